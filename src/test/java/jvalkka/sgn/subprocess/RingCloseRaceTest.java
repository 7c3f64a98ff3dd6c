package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.shm.internal.RunRecord;
import jvalkka.testing.JavaProgram;

/**
 * A process-mode worker's queues (rings in shared memory) used after or while the main side
 * releases them throw {@link IllegalStateException} and never crash the JVM on the unmapped
 * segment. The uses run in a child JVM ({@link RingCloseRace}), so that a crash fails this test
 * instead of killing the test JVM; the child's run record lives in a directory of this test, which
 * it sweeps afterwards, crash or not.
 */
@Timeout(120)
class RingCloseRaceTest {
    @Test
    void theQueuesOfAClosedParallelizeRefuseEveryOperation() throws Exception {
        String out = runChild("after");
        assertTrue(out.contains("ok after"), out);
    }

    @Test
    void queueOperationsRacingTheReleaseOfTheirRingsAreRefusedAndNeverFault() throws Exception {
        int rounds = 120; // a flag instead of a count crashed within 200 rounds every time, within 30 now and then
        String out = runChild("race", Integer.toString(rounds));
        assertTrue(out.contains("ok race refused=" + rounds * 2), out);
    }

    private static String runChild(String... args) throws Exception {
        Path dir = Files.createTempDirectory("ring-close-race");
        long pid = -1;
        try {
            JavaProgram p = JavaProgram.start(RingCloseRace.class.getName(),
                    List.of("-D" + RunRecord.DIR_PROPERTY + "=" + dir, "-Xmx256m",
                            "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash"),
                    args);
            pid = p.pid();
            JavaProgram.Result r = p.waitFor(100);
            String out = r.output();
            assertEquals(0, r.exitCode(), "the child JVM failed (a crash: it touched an unmapped ring):\n" + out);
            return out;
        } finally {
            RunRecord.sweepStale(dir.resolve("run"));
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
            String prefix = "jvsgn-" + pid + "-";
            try (Stream<Path> s = Files.list(jvalkka.shm.SharedMemory.DIRECTORY)) {
                assertEquals(List.of(), s.filter(f -> f.getFileName().toString().startsWith(prefix)).toList(),
                        "the child's rings left in /dev/shm");
            }
        }
    }
}
