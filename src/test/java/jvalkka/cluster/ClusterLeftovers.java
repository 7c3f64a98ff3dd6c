package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jvalkka.shm.internal.RunRecord;

/** Checks that a cluster test class left no child process, segment, namespace or link of its own behind. */
final class ClusterLeftovers {
    private ClusterLeftovers() {
    }

    static void assertNone() throws Exception {
        for (ProcessHandle k : ProcessHandle.current().children().toList()) {
            String cmd = jvalkka.testing.CommandLines.of(k);
            if (!cmd.contains("jvalkka.")) {
                continue;
            }
            try {
                k.onExit().get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                k.destroyForcibly();
                throw new AssertionError("a child was left running: pid " + k.pid() + " " + cmd);
            }
        }
        // the record also keeps names whose files a test removed by hand (TestSegments): only files count
        assertEquals(List.of(), RunRecord.get().segmentNames().stream()
                .filter(n -> java.nio.file.Files.exists(java.nio.file.Path.of("/dev/shm", n))).toList(),
                "segments left in /dev/shm");
        assertEquals(List.of(), jvalkka.testing.NetHosts.leftoversOfThisJvm(), "namespaces or links left");
    }
}
