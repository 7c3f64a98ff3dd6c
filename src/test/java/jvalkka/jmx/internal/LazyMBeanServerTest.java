package jvalkka.jmx.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.jmx.MainContextMXBean;

/**
 * Registering jvalkka's MBeans does not create the platform MBean server (some
 * 130 ms of CPU and its compilation, once per JVM): they wait for it, and appear
 * in it when something creates it (jconsole attaching, a JMX agent, a call of
 * {@code ManagementFactory.getPlatformMBeanServer()}). Each case in a fresh JVM,
 * since a JVM has one platform server for its life.
 */
@Timeout(60)
class LazyMBeanServerTest {
    /**
     * The child JVM's program: {@code lazy} registers first, {@code eager} creates the server
     * first, {@code foreignLoader} registers, then creates the server, with a context class
     * loader that does not see jvalkka (a web container's, a plug-in's).
     */
    public static void main(String[] args) throws Exception {
        boolean eager = args[0].equals("eager");
        if (eager) {
            ManagementFactory.getPlatformMBeanServer();
        }
        if (args[0].equals("foreignLoader")) { // a throwaway loader: bootstrap classes only
            Thread.currentThread().setContextClassLoader(new URLClassLoader(new URL[0], null));
        }
        ObjectName name = Jmx.register("Probe", "p", MainContextMXBean.class, new Probe());
        boolean noServer = MBeanServerFactory.findMBeanServer(null).isEmpty();
        try {
            ManagementFactory.getPlatformMBeanServer();
        } catch (RuntimeException e) {
            System.out.println("the platform MBean server cannot be made: " + e);
            return;
        }
        boolean registered = name != null && ManagementFactory.getPlatformMBeanServer().isRegistered(name);
        Object workers = registered ? ManagementFactory.getPlatformMBeanServer().getAttribute(name, "Workers") : null;
        Jmx.unregister(name);
        boolean gone = !ManagementFactory.getPlatformMBeanServer().isRegistered(name);
        System.out.println("noServer=" + noServer + " registered=" + registered + " workers=" + workers + " gone="
                + gone + " name=" + name.getCanonicalName());
    }

    /** A bean to register. */
    static final class Probe implements MainContextMXBean {
        @Override
        public String getName() {
            return "probe";
        }

        @Override
        public int getWorkers() {
            return 7;
        }

        @Override
        public int getWorkersAlive() {
            return 0;
        }

        @Override
        public long getRestarts() {
            return 0;
        }

        @Override
        public long getMessagesIn() {
            return 0;
        }

        @Override
        public long getMessagesOut() {
            return 0;
        }
    }

    private static String run(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LazyMBeanServerTest.class.getName(), mode).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(p.waitFor(40, TimeUnit.SECONDS), "the child JVM ends");
            assertEquals(0, p.exitValue());
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void registeringCreatesNoMBeanServerAndTheBeanAppearsWhenOneIsCreated() throws Exception {
        assertEquals("noServer=true registered=true workers=7 gone=true name=jvalkka:name=p,type=Probe", run("lazy"));
    }

    @Test
    void aThreadWhoseContextLoaderCannotSeeJvalkkaStillMakesTheServerAndTheBeanIsInIt() throws Exception {
        // the JDK loads the builder named in javax.management.builder.initial through the context loader
        assertEquals("noServer=false registered=true workers=7 gone=true name=jvalkka:name=p,type=Probe",
                run("foreignLoader"));
    }

    @Test
    void aServerThatExistsGetsTheBeanAtOnce() throws Exception {
        assertEquals("noServer=false registered=true workers=7 gone=true name=jvalkka:name=p,type=Probe", run("eager"));
    }
}
