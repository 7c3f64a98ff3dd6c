package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;

/**
 * Pekko is an optional dependency used only by {@code jvalkka.cluster}: no other
 * class refers to it, and a plain backend never loads it, even with Pekko's jars
 * on its class path (as in this test JVM).
 */
@Timeout(60)
class PackagingTest {

    static final class Pinger extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Pinger() {
            super("packaging-pinger");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        ClusterLeftovers.assertNone();
    }

    @Test
    void aPlainBackendLoadsNoPekkoOrScalaClassThoughTheyAreOnItsClassPath() throws Exception {
        assertTrue(System.getProperty("java.class.path").contains("pekko-actor"),
                "the test needs Pekko on the class path it hands the backend");
        Pinger p = new Pinger();
        p.start();
        List<String> classes;
        try {
            p.sendMessageToBack(new MessageObject("ping", "i", 7));
            assertTrue(p.getPipe().poll(30), "no answer within 30 s");
            assertEquals(7, p.getPipe().recv().get("i", Integer.class));
            classes = loadedClasses(p.pid());
        } finally {
            p.stop();
        }
        assertTrue(classes.stream().anyMatch(c -> c.contains("jvalkka.multiprocess.")),
                "the class listing should name the backend's own classes: " + classes.size() + " lines");
        List<String> foreign = classes.stream()
                .filter(c -> c.contains("org.apache.pekko") || c.contains("scala.") || c.contains("com.typesafe"))
                .toList();
        assertEquals(List.of(), foreign, "a plain backend loaded Pekko or Scala classes");
    }

    @Test
    void noClassOutsideJvalkkaClusterRefersToPekkoOrScala() throws IOException {
        Path classes = Path.of("target", "classes", "jvalkka");
        assertTrue(Files.isDirectory(classes), "compiled classes at " + classes.toAbsolutePath());
        List<String> offenders = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".class"))::iterator) {
                if (f.startsWith(classes.resolve("cluster"))) {
                    continue;
                }
                checked++;
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                if (text.contains("org/apache/pekko") || text.contains("scala/")) {
                    offenders.add(f.toString());
                }
            }
        }
        assertTrue(checked > 50, "checked only " + checked + " class files");
        assertEquals(List.of(), offenders);
    }

    /** Every class loaded in JVM {@code pid}, listed by {@code jcmd VM.class_hierarchy}. */
    private static List<String> loadedClasses(long pid) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process j = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "VM.class_hierarchy")
                .redirectErrorStream(true).start();
        byte[] out = j.getInputStream().readAllBytes();
        assertTrue(j.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "jcmd did not end");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, j.exitValue(), text);
        return text.lines().toList();
    }
}
