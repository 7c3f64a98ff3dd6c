package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wake-ups between synchronous proxy callers and whoever reads their replies: many short
 * calls from several threads, one thread's calls with and without gaps between them (so that
 * the reader goes idle and back again at every moment of a call), mixed with
 * {@code return_out__} objects that arrive while callers register, send and wait. Every call
 * is bounded: a lost wake-up shows as a call that does not come back within the bound, not as
 * a hung suite. A reverted design (6044953) that let a caller read its own reply hung in 1 of 9
 * bench runs of a single caller: a reader hand-over that left nobody watching the socket.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProxyStressTest {
    public interface Api {
        int add(int a, int b);
    }

    static class Adder extends MessageProcess {
        Adder() {
            super("stress-adder");
        }

        int c__add(int a, int b) {
            return a + b;
        }

        void c__emit(int i, int n) {
            for (int k = 0; k < n; k++) {
                return_out__(new MessageObject("emitted", "i", i, "k", k));
            }
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    /** How long one call may take before the test calls it lost (the machine may be loaded). */
    private static final long CALL_BOUND_SECONDS = 20;

    @Test
    void manyShortCallsFromSeveralThreadsMixedWithReturnedObjectsAllComeBack() throws Exception {
        Adder p = new Adder();
        p.start();
        int threads = 4;
        int calls = 500;
        int emits = 300;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 3);
        try {
            Api api = p.proxy(Api.class);
            AtomicInteger progress = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * 1_000_000;
                boolean gaps = t == 0;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < calls; i++) {
                        assertEquals(base + i + 7, api.add(base + i, 7), "a call got another call's answer");
                        progress.incrementAndGet();
                        if (gaps) { // a pause of 0 to ~100 us: the readers go idle at every point of the next call
                            long until = System.nanoTime() + (i % 7) * 15_000L;
                            while (System.nanoTime() < until) {
                                Thread.onSpinWait();
                            }
                        }
                    }
                    return null;
                }));
            }
            done.add(pool.submit(() -> { // replies arrive while callers register and wait
                for (int i = 0; i < emits; i++) {
                    p.sendMessageToBack(new MessageObject("emit", "i", i, "n", 3));
                }
                return null;
            }));
            Future<?> taker = pool.submit(() -> {
                for (int i = 0; i < emits; i++) {
                    for (int k = 0; k < 3; k++) {
                        MessageObject m = p.returnFromBack();
                        assertEquals(i, m.get("i", Integer.class), "returned objects out of order");
                        assertEquals(k, m.get("k", Integer.class), "returned objects out of order");
                    }
                }
                return null;
            });
            done.add(taker);
            int last = -1;
            for (Future<?> f : done) {
                while (true) {
                    try {
                        f.get(CALL_BOUND_SECONDS, TimeUnit.SECONDS);
                        break;
                    } catch (TimeoutException e) {
                        int now = progress.get();
                        if (now == last) { // no call came back within the bound: one was lost
                            fail("no proxy call came back within " + CALL_BOUND_SECONDS + " s after " + now
                                    + " calls: a lost wake-up");
                        }
                        last = now;
                    }
                }
            }
            assertEquals(threads * calls, progress.get());
        } finally {
            pool.shutdownNow();
            p.stop();
        }
    }

    @Test
    void oneCallerWithGapsOfEveryLengthNeverWaitsForever() throws Exception {
        Adder p = new Adder();
        p.start();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Api api = p.proxy(Api.class);
            AtomicInteger progress = new AtomicInteger();
            long readThemselves = BackendReplies.callerReadReplies();
            Future<?> caller = pool.submit(() -> {
                for (int i = 0; i < 2000; i++) {
                    assertEquals(i + 1, api.add(i, 1));
                    progress.incrementAndGet();
                    long until = System.nanoTime() + (i % 13) * 20_000L; // 0 to 240 us, past the caller's spin
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                }
                return null;
            });
            int last = -1;
            while (true) {
                try {
                    caller.get(CALL_BOUND_SECONDS, TimeUnit.SECONDS);
                    break;
                } catch (TimeoutException e) {
                    int now = progress.get();
                    if (now == last) {
                        fail("call " + now + " did not come back within " + CALL_BOUND_SECONDS + " s: a lost wake-up");
                    }
                    last = now;
                }
            }
            if (BackendReplies.CALLER_READS) {
                assertTrue(BackendReplies.callerReadReplies() > readThemselves,
                        "no call read its reply itself: the race between callers and the router was not exercised");
            }
        } finally {
            pool.shutdownNow();
            p.stop();
        }
    }
}
