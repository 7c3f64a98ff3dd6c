package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The options a backend JVM gets beyond the user's: the ones that spare its start
 * work, only where they fit, and never over the user's own. A real backend JVM
 * is started here; the command line's rules are tested without one in
 * BackendCommandTest.
 */
@Timeout(120)
class LaunchOptionsTest {
    private static final String SELECTOR = "-Djava.nio.channels.spi.SelectorProvider=";

    static final class Pinger extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Pinger() {
            super("pinger");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    /** Starts a backend, checks that it answers, and returns its command line. */
    private static List<String> commandLineOf(BackendOptions options) throws Exception {
        Pinger p = new Pinger();
        p.setOptions(options);
        p.start();
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline"));
            p.sendMessageToBack(new MessageObject("ping", "i", 5));
            assertTrue(p.getPipe().poll(30), "no answer within 30 s");
            assertEquals(5, p.getPipe().recv().get("i", Integer.class));
            return Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
        } finally {
            p.stop();
        }
    }

    private static long count(List<String> cmd, String prefix) {
        return cmd.stream().filter(a -> a.startsWith(prefix)).count();
    }

    @Test
    void aBackendOfThisJdkGetsTheArchiveAtItsBaseAndTheProviders() throws Exception {
        BackendOptions options = BackendOptions.defaults();
        boolean archive = options.prepareArchive();
        List<String> cmd = commandLineOf(options);
        if (archive) {
            assertEquals(1, count(cmd, "-XX:SharedArchiveFile="), cmd.toString());
            assertTrue(cmd.contains("-XX:ArchiveRelocationMode=0"), cmd.toString());
        }
        boolean platformProvider = java.nio.channels.spi.SelectorProvider.provider().getClass().getName()
                .equals("sun.nio.ch.EPollSelectorProvider");
        assertEquals(platformProvider ? 1 : 0, count(cmd, SELECTOR), cmd.toString());
        assertTrue(cmd.contains("-XX:+DisplayVMOutputToStderr"), cmd.toString()); // so a failed start can report it
        int feature = Runtime.version().feature();
        boolean warnsAboutAccess = feature >= 24 && feature <= 25;
        assertEquals(warnsAboutAccess ? 1 : 0, count(cmd, "--sun-misc-unsafe-memory-access="), cmd.toString());
        assertEquals(warnsAboutAccess ? 1 : 0, count(cmd, "--enable-native-access="), cmd.toString());
    }

    @Test
    void theUsersOwnRelocationModeWins() throws Exception {
        BackendOptions options = BackendOptions.defaults().withExtraJvmArgs("-XX:+UnlockDiagnosticVMOptions",
                "-XX:ArchiveRelocationMode=1");
        boolean archive = options.prepareArchive();
        List<String> cmd = commandLineOf(options);
        assertEquals(1, count(cmd, "-XX:ArchiveRelocationMode="), cmd.toString());
        assertTrue(cmd.contains("-XX:ArchiveRelocationMode=1"), cmd.toString());
        assertEquals(archive ? 1 : 0, count(cmd, "-XX:SharedArchiveFile="), cmd.toString());
    }
}
