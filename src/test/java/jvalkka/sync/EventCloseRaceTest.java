package jvalkka.sync;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.RaceChild;

/**
 * Setting, reading and waiting for the events of an {@link EventGroup} that another thread
 * closes, and the core's wake-up of its waiters when a peer dies, end with
 * {@link IllegalStateException} (or, for the wake-up, quietly) and never touch the unmapped
 * segment. The race runs in a child JVM ({@link EventCloseRace}) of a {@link RaceChild}, so that
 * a crash fails this test instead of killing the test JVM.
 */
@Timeout(120)
class EventCloseRaceTest {
    @Test
    void eventsUsedWhileTheirGroupClosesAreRefusedAndNeverFault() throws Exception {
        int rounds = 40;
        String out = RaceChild.run(EventCloseRace.class, "256m", pid -> "jvalkka-eg-" + pid + "-",
                "the child JVM failed (or crashed on the unmapped group)", 100, Integer.toString(rounds));
        assertTrue(out.contains("ok refused=" + rounds * 2), out);
    }
}
