package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import jvalkka.shm.internal.RunRecord;

/** Checks that a test class left no child JVM and no shared-memory segment behind. */
final class Leftovers {
    private Leftovers() {
    }

    static void assertNone() throws Exception {
        List<ProcessHandle> kids = ProcessHandle.current().children()
                .filter(p -> jvalkka.testing.CommandLines.of(p).contains("jvalkka.multiprocess.BackendMain")).toList();
        for (ProcessHandle k : kids) {
            try {
                k.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                k.destroyForcibly();
                throw new AssertionError("a backend was left running: pid " + k.pid() + " " + k.info());
            }
        }
        assertEquals(List.of(), RunRecord.get().segmentNames(), "segments left in /dev/shm");
    }
}
