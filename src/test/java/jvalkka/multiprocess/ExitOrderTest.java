package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.JavaProgram;

/** At exit: the backends stop first, then the segments go, then the archive trainer ends. */
@Timeout(120)
class ExitOrderTest {
    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void atExitBackendsStopThenSegmentsGoThenTheTrainerEnds() throws Exception {
        JavaProgram.Result r = JavaProgram.run(ExitOrderProgram.class, 60);
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder("segment true",
                "backends phase: backend false, segment true",
                "segments phase: segment false",
                "trainer phase");
    }
}
