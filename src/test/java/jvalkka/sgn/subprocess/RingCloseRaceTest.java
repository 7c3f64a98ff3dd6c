package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.RaceChild;

/**
 * A process-mode worker's queues (rings in shared memory) used after or while the main side
 * releases them throw {@link IllegalStateException} and never crash the JVM on the unmapped
 * segment. The uses run in a child JVM ({@link RingCloseRace}) of a {@link RaceChild}, so that a
 * crash fails this test instead of killing the test JVM.
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
        return RaceChild.run(RingCloseRace.class, "256m", pid -> "jvsgn-" + pid + "-",
                "the child JVM failed (a crash: it touched an unmapped ring)", 100, args);
    }
}
