package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A backend's exit costs no set-up of the JDK's {@code System.Logger}: from JDK 21 on,
 * {@code Runtime.exit} looks up the logger {@code java.lang.Runtime} to log the exit at DEBUG,
 * and that first lookup finds the logging back end (a service scan of the class path, method
 * handles): some milliseconds of CPU in every backend's stop. Seen in the backend's own class
 * loading ({@code -Xlog:class+load}), on a JDK 21 or later found here (skipped without one).
 */
@Timeout(60)
class BackendExitTest {
    /** A class the logger's first lookup loads, and nothing else in a backend does. */
    static final String LOGGER_SETUP = "jdk.internal.logger.BootstrapLogger$DetectBackend";

    static class Quiet extends MessageProcess {
        Quiet() {
            super("quiet");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    /** The {@code java} of a JDK of {@code feature} or later, this JVM's first, or null. */
    static String javaOf(int feature) throws Exception {
        if (Runtime.version().feature() >= feature) {
            return JavaRuntime.thisJavaCommand();
        }
        Path jvm = Path.of("/usr/lib/jvm");
        List<Path> javas;
        try (Stream<Path> s = Files.isDirectory(jvm) ? Files.list(jvm) : Stream.empty()) {
            javas = s.map(d -> d.resolve("bin").resolve("java")).filter(Files::isExecutable).sorted().toList();
        }
        for (Path j : javas) {
            if (JavaRuntime.of(j.toString()).feature() >= feature) {
                return j.toString();
            }
        }
        return null;
    }

    @Test
    void aBackendThatStopsDoesNotSetUpTheJdksSystemLogger() throws Exception {
        String java = javaOf(21);
        Assumptions.assumeTrue(java != null, "no JDK 21 or later here: its Runtime.exit looks the logger up");
        // one log per JVM (%p: its pid), and the backend's own is read: no other JVM's can be
        Path dir = Files.createTempDirectory("jvalkka-exit-classes");
        try {
            Quiet q = new Quiet();
            q.setOptions(BackendOptions.defaults().withJavaCommand(java)
                    .withExtraJvmArgs("-Xlog:class+load:file=" + dir.resolve("classes-%p.txt")));
            q.start();
            long pid = q.pid();
            try {
                q.sendMessageToBack(new MessageObject("ping", "i", 1));
                assertFalse(Select.safeSelect(List.of(q.getPipe()), List.of(), List.of(), 30.0).reads().isEmpty(),
                        "no reply within 30 s");
                assertEquals(1, q.getPipe().recv().get("i", Integer.class));
            } finally {
                q.stop();
            }
            assertEquals(0, q.exitCode(), "a clean stop");
            Path classes = dir.resolve("classes-" + pid + ".txt");
            String loaded = Files.readString(classes);
            assertTrue(loaded.contains(" jvalkka.multiprocess.BackendMain "), "not the backend's class log: " + classes);
            assertFalse(loaded.contains(" " + LOGGER_SETUP + " "), "the backend's exit set up the System.Logger");
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
