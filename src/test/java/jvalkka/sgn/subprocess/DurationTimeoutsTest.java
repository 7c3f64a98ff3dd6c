package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Duration overloads of the worker queue's get and the worker event's await. */
@Timeout(30)
class DurationTimeoutsTest {

    @Test
    void getWithADurationTimesOutOnAnEmptyQueueAndTakesAnItemThatIsThere() throws Exception {
        WorkerQueue q = new ThreadQueue(4);
        long t0 = System.nanoTime();
        assertThrows(Empty.class, () -> q.get(Duration.ofMillis(200)));
        assertTrue((System.nanoTime() - t0) / 1e9 >= 0.15, "gave up before its timeout");
        q.put("x");
        assertEquals("x", q.get(Duration.ofSeconds(20)));
    }

    @Test
    void awaitWithADurationSaysWhetherTheEventHappened() throws Exception {
        WorkerEvent e = new WorkerEvent();
        long t0 = System.nanoTime();
        assertFalse(e.await(Duration.ofMillis(200)));
        assertTrue((System.nanoTime() - t0) / 1e9 >= 0.15, "returned before its timeout");
        e.set();
        assertTrue(e.await(Duration.ofSeconds(20)));
        assertThrows(NullPointerException.class, () -> e.await((Duration) null));
    }

    @Test
    void statsSourceWaitTakesADurationAsItsSeconds() {
        jvalkka.sgn.sources.StatsSource s = new jvalkka.sgn.sources.StatsSource("stats", "out");
        assertEquals(0.25, s.waitSeconds(Duration.ofMillis(250)).waitSeconds());
        assertThrows(IllegalArgumentException.class, () -> s.waitSeconds(Duration.ofSeconds(-1)));
    }
}
