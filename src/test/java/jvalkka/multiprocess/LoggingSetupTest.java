package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.CompiledAtTestTime;
import jvalkka.testing.JavaProgram;

/**
 * A user's program with its own logging setup, run as the user runs it: the library and its
 * dependencies on the class path, without the tests' classes (which register jvalkka's own
 * binding). Its backends log through the binding its main JVM uses, under logger names its
 * configuration can address by package; with no binding at all, SLF4J warns once per program.
 */
@Timeout(120)
class LoggingSetupTest {
    static final String WORKER = """
            package lbtest;
            import jvalkka.multiprocess.MessageObject;
            import jvalkka.multiprocess.MessageProcess;
            public class Worker extends MessageProcess {
                public Worker(String name) { super(name); }
                void c__hello(String who) {
                    logger.info("hello {} from the backend", who);
                    send_out__(new MessageObject("done"));
                }
            }
            """;
    static final String MAIN = """
            package lbtest;
            import java.util.ArrayList;
            import java.util.List;
            import jvalkka.multiprocess.MessageObject;
            public class Main {
                public static void main(String[] args) {
                    org.slf4j.LoggerFactory.getLogger(Main.class).info("frontend line");
                    List<Worker> workers = new ArrayList<>();
                    try {
                        for (int i = 0; i < Integer.parseInt(args[0]); i++) {
                            Worker w = new Worker("w" + i);
                            workers.add(w);
                            w.start();
                        }
                        for (Worker w : workers) {
                            w.sendMessageToBack(new MessageObject("hello", "who", w.getName()));
                            if (!w.getPipe().poll(30)) {
                                throw new IllegalStateException("no answer from " + w);
                            }
                            w.getPipe().recv();
                        }
                    } finally {
                        workers.forEach(Worker::stop);
                    }
                    System.out.println("finished");
                }
            }
            """;
    static final String LOGBACK_XML = """
            <configuration>
              <appender name="E" class="ch.qos.logback.core.ConsoleAppender">
                <target>System.err</target>
                <encoder><pattern>LB %logger %level %msg%n</pattern></encoder>
              </appender>
              <logger name="lbtest" level="INFO"/>
              <root level="WARN"><appender-ref ref="E"/></root>
            </configuration>
            """;

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    /** This JVM's class path without the test classes (whose resources register jvalkka's binding). */
    static List<String> libraryClassPath() {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.endsWith("test-classes") && !e.endsWith("test-classes/")) {
                out.add(e);
            }
        }
        return out;
    }

    /** A jar of the local Maven repository (found next to slf4j-api's), or null. */
    static Path localJar(String groupPath, String artifact) throws Exception {
        Path copied = Path.of("target", "test-logback", artifact + ".jar"); // the pom copies Logback here
        if (Files.isRegularFile(copied)) {
            return copied.toAbsolutePath();
        }
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.contains("slf4j-api-")) {
                Path repo = Path.of(e).getParent().getParent().getParent().getParent().getParent();
                Path dir = repo.resolve(groupPath).resolve(artifact);
                if (!Files.isDirectory(dir)) {
                    return null;
                }
                try (Stream<Path> versions = Files.list(dir)) {
                    for (Path v : versions.sorted().toList()) {
                        Path jar = v.resolve(artifact + "-" + v.getFileName() + ".jar");
                        if (Files.isRegularFile(jar)) {
                            return jar;
                        }
                    }
                }
            }
        }
        return null;
    }

    static JavaProgram.Result run(CompiledAtTestTime c, List<String> extra, int workers) throws Exception {
        List<String> cp = new ArrayList<>();
        cp.add(c.classes().toString());
        cp.addAll(extra);
        cp.addAll(libraryClassPath());
        return JavaProgram.start(null, String.join(File.pathSeparator, cp), "lbtest.Main", List.of(), Map.of(),
                String.valueOf(workers)).waitFor(90);
    }

    @Test
    void backendLinesGoThroughTheUsersLogbackConfigurationWhichAddressesThemByPackage() throws Exception {
        Path classic = localJar("ch/qos/logback", "logback-classic");
        Path core = localJar("ch/qos/logback", "logback-core");
        assumeTrue(classic != null && core != null, "logback-classic is neither in target/test-logback nor in the local Maven repository");
        try (CompiledAtTestTime c = CompiledAtTestTime.compile(Map.of("lbtest.Worker", WORKER, "lbtest.Main", MAIN),
                List.of("-parameters"))) {
            Files.writeString(c.classes().resolve("logback.xml"), LOGBACK_XML);
            JavaProgram.Result r = run(c, List.of(classic.toString(), core.toString()), 2);
            String out = r.output();
            assertEquals(0, r.exitCode(), out);
            assertTrue(out.contains("finished"), out);
            assertTrue(out.contains("LB lbtest.Main INFO frontend line"), out);
            // the backends' lines, by Logback, under a name the "lbtest" package's level applies to
            assertTrue(out.contains("LB lbtest.Worker.w0 INFO hello w0 from the backend"), out);
            assertTrue(out.contains("LB lbtest.Worker.w1 INFO hello w1 from the backend"), out);
            assertFalse(out.contains("SLF4J("), out);
        }
    }

    @Test
    void withNoBindingSlf4jWarnsOncePerProgramNotOncePerJvm() throws Exception {
        try (CompiledAtTestTime c = CompiledAtTestTime.compile(Map.of("lbtest.Worker", WORKER, "lbtest.Main", MAIN),
                List.of("-parameters"))) {
            JavaProgram.Result r = run(c, List.of(), 3);
            String out = r.output();
            assertEquals(0, r.exitCode(), out);
            assertTrue(out.contains("finished"), out);
            assertEquals(1, out.split("No SLF4J providers were found", -1).length - 1, out);
        }
    }
}
