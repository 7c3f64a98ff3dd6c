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

        int emitThenAdd(int a, int b);
    }

    static class Adder extends MessageProcess {
        Adder() {
            super("stress-adder");
        }

        int c__add(int a, int b) {
            return a + b;
        }

        /** Returns an object at once (it wakes the reply router while the caller reads), then answers late. */
        int c__emitThenAdd(int a, int b) throws InterruptedException {
            return_out__(new MessageObject("early", "a", a));
            Thread.sleep(200); // the caller reads the pipe meanwhile: the router finds it busy and takes it out
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

    /**
     * The race of the reverted design, made to happen: the router looks at a pipe it took out of
     * its selector and finds the caller still reading it; the caller then leaves (its call is
     * done, nothing left for the router); the router's pump takes the pipe itself. The pipe must
     * be watched again: an object the backend returns afterwards, with no call waiting, is read.
     * Before the fix the router went to sleep without a timeout with the pipe unwatched, and
     * {@code returnFromBack} waited for ever.
     */
    @Test
    void anObjectReturnedAfterACallerLeftBetweenTheRoutersLookAndItsPumpIsRead() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(BackendReplies.CALLER_READS, "callers read their replies");
        Adder p = new Adder();
        p.start();
        java.util.concurrent.atomic.AtomicBoolean raced = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Api api = p.proxy(Api.class);
            assertEquals(2, api.add(1, 1)); // the router runs
            ReplyRouter.beforePump = r -> {
                if (r.suspended() && r.readByCaller() && raced.compareAndSet(false, true)) {
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_BOUND_SECONDS);
                    while (r.readByCaller() && System.nanoTime() < until) { // the caller leaves meanwhile
                        Thread.onSpinWait();
                    }
                }
            };
            int attempts = 0;
            while (!raced.get() && attempts < 5) {
                attempts++;
                Future<Integer> call = pool.submit(() -> api.emitThenAdd(2, 3));
                while (!call.isDone() && !raced.get()) {
                    ReplyRouter.wake(); // the router looks while the caller reads: it takes the pipe out
                    Thread.yield();
                }
                assertEquals(5, call.get(CALL_BOUND_SECONDS, TimeUnit.SECONDS));
            }
            for (int i = 0; i < attempts; i++) {
                assertEquals("early", p.returnFromBack().command());
            }
            assertTrue(raced.get(), "the router never found the caller reading a pipe it had taken out");
            ReplyRouter.beforePump = null;
            p.sendMessageToBack(new MessageObject("emit", "i", 7, "n", 1)); // no call waits: only the router reads
            Future<MessageObject> got = pool.submit(p::returnFromBack);
            try {
                assertEquals(7, got.get(CALL_BOUND_SECONDS, TimeUnit.SECONDS).get("i", Integer.class));
            } catch (TimeoutException e) {
                fail("an object returned after the race was not read within " + CALL_BOUND_SECONDS
                        + " s: the router sleeps with the pipe out of its selector");
            }
        } finally {
            ReplyRouter.beforePump = null;
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
            BackendReplies.countForTests();
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
