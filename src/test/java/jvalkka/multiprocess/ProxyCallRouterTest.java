package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A synchronous proxy caller reads its reply off the internal pipe itself ({@link BackendReplies#await}); the
 * shared {@link ReplyRouter} should then neither wake for those replies (a thread woken on a 2-core machine
 * takes a core from the caller or the backend) nor stand between a caller and the pipe.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProxyCallRouterTest {
    public interface Api {
        int add(int a, int b);

        int slowAdd(int a, int b);
    }

    static class Adder extends MessageProcess {
        Adder() {
            super("router-adder");
        }

        int c__add(int a, int b) {
            return a + b;
        }

        int c__slowAdd(int a, int b) throws InterruptedException {
            Thread.sleep(100); // the reply comes well after the router let go of the pipe
            return a + b;
        }
    }

    @AfterEach
    void noHook() {
        ReplyRouter.beforePump = null;
        BackendReplies.whilePumping = null;
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    private static void await(BooleanSupplier condition, String what) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, what + " within 10 s");
            Thread.yield();
        }
    }

    @Test
    void afterACallerReadItsReplyTheRoutersNextLookTakesThePipeOutOfItsSelector() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(BackendReplies.CALLER_READS, "callers read their replies");
        Adder p = new Adder();
        p.start();
        try {
            Api api = p.proxy(Api.class);
            assertEquals(2, api.add(1, 1));
            AtomicReference<BackendReplies> seen = new AtomicReference<>();
            ReplyRouter.beforePump = seen::set;
            await(() -> {
                ReplyRouter.wake();
                return seen.get() != null;
            }, "a look of the router");
            BackendReplies r = seen.get();
            ReplyRouter.beforePump = null;
            // no call for a while: the router watches the pipe (and reads what comes) itself
            await(() -> !r.suspended(), "the pipe back in the router's selector after the calls");
            for (int i = 0; i < 3; i++) {
                // the router's next look at the pipe is held until a call is done, read by its caller
                java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.CountDownLatch called = new java.util.concurrent.CountDownLatch(1);
                AtomicReference<Boolean> outAtTheLookAfter = new AtomicReference<>();
                java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();
                ReplyRouter.beforePump = x -> {
                    int n = looks.incrementAndGet();
                    if (n == 1) {
                        holding.countDown();
                        try {
                            called.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    } else if (n == 2) {
                        outAtTheLookAfter.set(x.suspended()); // what the look after the call decided
                    }
                };
                ReplyRouter.wake();
                assertTrue(holding.await(10, TimeUnit.SECONDS), "the router looks");
                assertEquals(i + 5, api.add(i, 5)); // read by the caller: the router is held
                called.countDown();
                await(() -> {
                    ReplyRouter.wake(); // a router still watching the pipe waits for nothing else
                    return outAtTheLookAfter.get() != null;
                }, "the router's look after the call");
                ReplyRouter.beforePump = null;
                assertTrue(outAtTheLookAfter.get(), "the router still watches a pipe whose caller reads its replies:"
                        + " each reply wakes it for nothing");
                await(() -> !r.suspended(), "the pipe back in the router's selector once calls stopped");
            }
        } finally {
            p.stop();
        }
    }

    /**
     * The router holds a pipe for one pump (microseconds) at each of its looks; a caller that comes then
     * must not leave its reply to the router (a hand-off: the router's wake-up, then the caller's).
     */
    @Test
    void aCallerThatFindsTheRouterPumpingItsPipeReadsItsReplyItselfOnceTheRouterLetsGo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(BackendReplies.CALLER_READS, "callers read their replies");
        Adder p = new Adder();
        p.start();
        try {
            Api api = p.proxy(Api.class);
            assertEquals(2, api.add(1, 1));
            BackendReplies.countForTests();
            for (int i = 0; i < 2; i++) {
                long read = BackendReplies.callerReadReplies();
                long misses = BackendReplies.callerLockMisses();
                java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
                BackendReplies.whilePumping = x -> {
                    if (armed.compareAndSet(true, false)) {
                        holding.countDown();
                        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (BackendReplies.callerLockMisses() == misses && System.nanoTime() < until) {
                            Thread.yield(); // held until the caller found the pipe taken
                        }
                    }
                };
                await(() -> {
                    ReplyRouter.wake();
                    return holding.getCount() == 0;
                }, "the router pumping the pipe");
                assertEquals(i + 7, api.slowAdd(i + 3, 4));
                BackendReplies.whilePumping = null;
                assertEquals(misses + 1, BackendReplies.callerLockMisses(), "the caller found the router pumping");
                assertEquals(read + 1, BackendReplies.callerReadReplies(),
                        "the caller left its reply to the router, which had the pipe for one pump only");
            }
        } finally {
            p.stop();
        }
    }
}
