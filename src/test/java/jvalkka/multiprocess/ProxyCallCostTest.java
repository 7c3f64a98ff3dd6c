package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a synchronous proxy call costs beyond its round trip: it does not wake
 * the reply router unless the router holds an object back for want of room
 * (that case: {@link ReturnBoundTest#aProxyCallIsAnsweredWhileReturnsWaitUntaken}),
 * and it spins only briefly, then parks, for a slow handler.
 */
@Timeout(60)
class ProxyCallCostTest {
    public interface Api {
        int add(int a, int b);

        int slowAdd(int a, int b);

        int boom();
    }

    static class Adder extends MessageProcess {
        Adder() {
            super("adder");
        }

        int c__add(int a, int b) {
            return a + b;
        }

        int c__slowAdd(int a, int b) throws InterruptedException {
            Thread.sleep(5);
            return a + b;
        }

        int c__boom() {
            throw new IllegalStateException("boom");
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void aProxyWorksOutEachMethodsCallOnceWhenMadeNotOnEveryCall() {
        Adder p = new Adder();
        p.start();
        try {
            long before = ProcessProxy.plansBuilt();
            Api api = p.proxy(Api.class);
            long made = ProcessProxy.plansBuilt() - before;
            assertEquals(3, made, "one plan per method of Api (add, slowAdd, boom), made with the proxy");
            for (int i = 0; i < 200; i++) {
                assertEquals(i + 1, api.add(i, 1));
            }
            assertThrows(IllegalStateException.class, api::boom);
            assertEquals("<proxy Api of " + p + ">", api.toString());
            assertEquals(made, ProcessProxy.plansBuilt() - before,
                    "calls worked out their method again (parameter names, reply type) instead of using its plan");
        } finally {
            p.stop();
        }
    }

    @Test
    void aCallerReadingItsOwnReplyFromALocalBackendSpinsBeforeItParks() {
        PipeReceiver.spinNanos = 2_000_000_000L; // every reply comes within the spin, even on a loaded machine
        Adder p = new Adder();
        p.start();
        try {
            Api api = p.proxy(Api.class);
            assertEquals(3, api.add(1, 2));
            BackendReplies.countForTests();
            long read0 = BackendReplies.callerReadReplies();
            long spun0 = BackendReplies.callerSpunReplies();
            // a wait spins only while an answer is likely (the last reply came within 200 us): on a loaded
            // machine many waits begin later than that, so calls go on until some spun (each one checked)
            int calls = 0;
            while (calls < 2_000 && BackendReplies.callerSpunReplies() - spun0 < 10) {
                assertEquals(calls + 1, api.add(calls, 1));
                calls++;
            }
            long read = BackendReplies.callerReadReplies() - read0;
            long spun = BackendReplies.callerSpunReplies() - spun0;
            assertTrue(read > 0, "the callers read their replies themselves: " + read + " of " + calls);
            assertTrue(spun > 0, "a caller's wait spun and found its reply: " + spun + " of " + read + " it read");
        } finally {
            PipeReceiver.spinNanos = PipeReceiver.SPIN_NANOS;
            p.stop();
        }
    }

    @Test
    void sequentialProxyCallsDoNotWakeTheReplyRouter() {
        Adder p = new Adder();
        p.start();
        try {
            Api api = p.proxy(Api.class);
            assertEquals(3, api.add(1, 2)); // the router runs from here on
            long before = BackendReplies.callWakes();
            for (int i = 0; i < 200; i++) {
                assertEquals(i + 1, api.add(i, 1));
            }
            assertEquals(0, BackendReplies.callWakes() - before,
                    "proxy calls woke the reply router although nothing waited for room in the return queue");
        } finally {
            p.stop();
        }
    }

    @Test
    void slowAndQuickCallsAndFailuresAllGetTheirAnswers() {
        Adder p = new Adder();
        p.start();
        try {
            Api api = p.proxy(Api.class);
            for (int i = 0; i < 20; i++) {
                assertEquals(i + 2, api.slowAdd(i, 2)); // longer than the spin: parked, then woken
                assertEquals(i + 1, api.add(i, 1));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, api::boom);
            assertEquals("boom", e.getMessage());
        } finally {
            p.stop();
        }
    }
}
