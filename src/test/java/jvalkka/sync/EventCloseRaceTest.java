package jvalkka.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.shm.SharedMemory;
import jvalkka.shm.internal.RunRecord;
import jvalkka.testing.JavaProgram;

/**
 * Setting, reading and waiting for the events of an {@link EventGroup} that another thread
 * closes, and the core's wake-up of its waiters when a peer dies, end with
 * {@link IllegalStateException} (or, for the wake-up, quietly) and never touch the unmapped
 * segment. The race runs in a child JVM ({@link EventCloseRace}), so that a crash fails this test
 * instead of killing the test JVM; the child's run record lives in a directory of this test,
 * which it sweeps afterwards, crash or not.
 */
@Timeout(120)
class EventCloseRaceTest {
    @Test
    void eventsUsedWhileTheirGroupClosesAreRefusedAndNeverFault() throws Exception {
        int rounds = 40;
        Path dir = Files.createTempDirectory("event-close-race");
        long pid = -1;
        try {
            JavaProgram p = JavaProgram.start(EventCloseRace.class.getName(),
                    List.of("-D" + RunRecord.DIR_PROPERTY + "=" + dir, "-Xmx256m",
                            "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash"),
                    Integer.toString(rounds));
            pid = p.pid();
            JavaProgram.Result r = p.waitFor(100);
            String out = r.output();
            assertEquals(0, r.exitCode(), "the child JVM failed (or crashed on the unmapped group):\n" + out);
            assertTrue(out.contains("ok refused=" + rounds * 2), out);
        } finally {
            RunRecord.sweepStale(dir.resolve("run"));
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
            String prefix = "jvalkka-eg-" + pid + "-";
            try (Stream<Path> s = Files.list(SharedMemory.DIRECTORY)) {
                assertEquals(List.of(), s.filter(f -> f.getFileName().toString().startsWith(prefix)).toList(),
                        "the child's groups left in /dev/shm");
            }
        }
    }
}
