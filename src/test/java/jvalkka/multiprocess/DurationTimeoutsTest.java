package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.internal.Seconds;

/** The Duration overloads of methods that take valkka's seconds: one conversion, the same meaning. */
@Timeout(30)
class DurationTimeoutsTest {

    @AfterAll
    static void nothingLeft() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void aDurationBecomesSecondsToTheNanosecondWithoutOverflow() {
        assertEquals(1.5, Seconds.of(Duration.ofMillis(1500)));
        assertEquals(0.000_000_001, Seconds.of(Duration.ofNanos(1)), 1e-18);
        assertEquals(0.0, Seconds.of(Duration.ZERO));
        assertEquals(-2.0, Seconds.of(Duration.ofSeconds(-2)));
        // Duration.toNanos() would overflow here
        assertTrue(Seconds.of(Duration.ofDays(365L * 1000)) > 3.1e10);
        NullPointerException e = assertThrows(NullPointerException.class, () -> Seconds.of(null));
        assertTrue(e.getMessage().contains("timeout"), e.getMessage());
    }

    @Test
    void safeSelectWithADurationWaitsThatLongThenReturnsWhatIsReady() throws Exception {
        Pipe p = Pipe.open();
        try {
            p.source().configureBlocking(false);
            long t0 = System.nanoTime();
            Select.Ready r = Select.safeSelect(List.of(p.source()), List.of(), List.of(), Duration.ofMillis(300));
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(r.reads().isEmpty());
            assertTrue(waited >= 0.25, "returned after " + waited + " s, before its timeout");
            p.sink().write(ByteBuffer.wrap(new byte[] {1}));
            r = Select.safeSelect(List.of(p.source()), List.of(), List.of(), Duration.ofSeconds(20));
            assertEquals(List.of(p.source()), r.reads());
            assertThrows(NullPointerException.class,
                    () -> Select.safeSelect(List.of(p.source()), List.of(), List.of(), (Duration) null));
        } finally {
            p.sink().close();
            p.source().close();
        }
    }

    @Test
    void pollWithADurationWaitsForAMessageFromTheBackend() {
        Echo e = new Echo();
        e.start();
        try {
            MessagePipe pipe = e.getPipe();
            long t0 = System.nanoTime();
            assertTrue(!pipe.poll(Duration.ofMillis(200)), "nothing sent yet");
            assertTrue((System.nanoTime() - t0) / 1e9 >= 0.15, "poll returned before its timeout");
            e.sendMessageToBack(new MessageObject("ping", "i", 3));
            assertTrue(pipe.poll(Duration.ofSeconds(20)));
            assertEquals(3, pipe.recv().get("i"));
        } finally {
            e.stop();
        }
    }

    /** Answers pings. */
    static final class Echo extends MessageProcess {
        Echo() {
            super("duration-echo");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }
}
