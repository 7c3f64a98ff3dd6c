package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.sync.EventGroup;

/**
 * An asynchronous backend holds at most {@code maxInFlight} stages: beyond that
 * its loop waits for one to complete before it reads the next message, and
 * every message is still served.
 */
@Timeout(60)
class AsyncBoundTest {
    static final int MAX = 4;
    static final int SENT = 10;

    static class Holder extends AsyncBackMessageProcess {
        final EventGroup gate = new EventGroup(1);

        Holder() {
            super("holder");
        }

        /** Says it was read, then completes once the frontend opens the gate. */
        CompletionStage<Void> c__hold(int i) {
            send_out__(new MessageObject("held", "i", i));
            return CompletableFuture.runAsync(() -> {
                try {
                    gate.fromIndex(0).await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, executor__());
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    /** The next "held" index on the main pipe, or -1 when none comes within {@code seconds}. */
    static int nextHeld(MessageProcess p, double seconds) {
        if (!p.getPipe().poll(seconds)) {
            return -1;
        }
        MessageObject m = p.getPipe().recv();
        assertEquals("held", m.command(), "" + m);
        return m.get("i", Integer.class);
    }

    @Test
    void theLoopReadsNoFurtherMessageWhileMaxInFlightStagesAreRunning() {
        Holder p = new Holder();
        p.maxInFlight = MAX;
        p.start();
        try {
            for (int i = 0; i < SENT; i++) {
                p.sendMessageToBack(new MessageObject("hold", "i", i));
            }
            for (int i = 0; i < MAX; i++) {
                assertEquals(i, nextHeld(p, 30));
            }
            // MAX stages wait at the gate: the next message stays unread
            int more = nextHeld(p, 1);
            assertEquals(-1, more, "the backend read message " + more + " with " + MAX + " stages in flight");
            p.gate.set(0);
            for (int i = MAX; i < SENT; i++) {
                assertEquals(i, nextHeld(p, 30));
            }
        } finally {
            p.gate.set(0);
            p.stop();
            p.gate.close();
        }
        assertEquals(0, p.exitCode());
    }

    @Test
    void theDefaultIsTenThousand() {
        assertEquals(10_000, new AsyncBackMessageProcess("plain") { }.maxInFlight);
    }
}
