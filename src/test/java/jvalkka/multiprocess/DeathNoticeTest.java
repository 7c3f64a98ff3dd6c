package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A backend killed with SIGKILL is noticed within moments, by everything that
 * waits on it: its pipe's "exited" event, a {@code returnFromBack} blocked on
 * another thread, a proxy call waiting for its reply. The bounds here are loose
 * (2 s: the suite runs on two busy cores); on a quiet machine each comes within
 * a few milliseconds of the kernel closing the backend's sockets.
 */
@Timeout(60)
class DeathNoticeTest {
    /** How long a killed backend's death may take to reach each waiter in this test. */
    static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(2);

    public interface Api {
        int sleepy(long millis) throws InterruptedException;
    }

    static class Victim extends MessageProcess {
        Victim() {
            super("victim");
        }

        int c__sleepy(long millis) throws InterruptedException {
            Thread.sleep(millis);
            return 1;
        }
    }

    @Test
    void aWakeEndsAPollThatWaitsOnAnEmptyQueueAtOnce() throws Exception {
        ReturnQueue q = new ReturnQueue(4);
        CompletableFuture<Object> polled = new CompletableFuture<>();
        Thread taker = new Thread(() -> {
            try {
                polled.complete(q.poll(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                polled.completeExceptionally(e);
            }
        });
        taker.setDaemon(true);
        taker.start();
        // the taker must be waiting inside poll before the wake: a wake before it waits is not what is tested
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (taker.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(Thread.State.TIMED_WAITING, taker.getState(), "the taker never waited in poll");
        long t0 = System.nanoTime();
        q.wakeTakers();
        assertNull(polled.get(5, TimeUnit.SECONDS), "a woken poll on an empty queue gives null (nothing came)");
        assertTrue(System.nanoTime() - t0 < BOUND_NANOS, "the woken poll took " + ms(System.nanoTime() - t0) + " ms");
        taker.join(5000);
    }

    @Test
    void aKilledBackendEndsItsPipeABlockedReturnFromBackAndAWaitingCallWithinMoments() throws Exception {
        Victim p = new Victim();
        p.start();
        try {
            Api api = p.proxy(Api.class);
            CompletableFuture<Long> returnEnded = new CompletableFuture<>();
            CompletableFuture<Long> callEnded = new CompletableFuture<>();
            Thread taker = daemon(() -> {
                try {
                    p.returnFromBack();
                    returnEnded.completeExceptionally(new AssertionError("returnFromBack returned"));
                } catch (PipeClosedException e) {
                    returnEnded.complete(System.nanoTime());
                } catch (RuntimeException e) {
                    returnEnded.completeExceptionally(e);
                }
            });
            Thread caller = daemon(() -> {
                try {
                    api.sleepy(60_000);
                    callEnded.completeExceptionally(new AssertionError("the call returned"));
                } catch (RuntimeException e) {
                    callEnded.complete(System.nanoTime());
                } catch (InterruptedException e) {
                    callEnded.completeExceptionally(e);
                }
            });
            awaitWaiting(taker);
            awaitWaiting(caller);
            long killed = System.nanoTime();
            ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly();
            MessageObject death = p.getPipe().recv();
            long exitedAt = System.nanoTime();
            assertTrue(WireProtocol.isExited(death), "not the exited event: " + death);
            assertTrue(String.valueOf(death.get("reason")).contains("SIGKILL"), String.valueOf(death.get("reason")));
            assertTrue(exitedAt - killed < BOUND_NANOS, "the exited event came " + ms(exitedAt - killed) + " ms after");
            long returnAt = returnEnded.get(10, TimeUnit.SECONDS);
            assertTrue(returnAt - killed < BOUND_NANOS, "returnFromBack failed " + ms(returnAt - killed)
                    + " ms after the kill");
            long callAt = callEnded.get(10, TimeUnit.SECONDS);
            assertTrue(callAt - killed < BOUND_NANOS, "the proxy call failed " + ms(callAt - killed)
                    + " ms after the kill");
            assertThrows(PipeClosedException.class, () -> p.sendMessageToBack(new MessageObject("sleepy")));
            taker.join(5000);
            caller.join(5000);
        } finally {
            p.waitStop();
        }
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Until {@code t} waits in its blocking call (within 10 s): parked, or in a selector's wait (a
     * synchronous caller reads its own reply from the pipe: the thread is RUNNABLE in epoll).
     */
    private static void awaitWaiting(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return;
            }
            StackTraceElement[] stack = t.getStackTrace();
            if (s == Thread.State.RUNNABLE && stack.length > 0 && stack[0].getClassName().equals("sun.nio.ch.EPoll")
                    && stack[0].getMethodName().equals("wait")) {
                return;
            }
            Thread.sleep(1); // a poll of the thread's state, bounded above
        }
        throw new AssertionError(t + " never blocked: " + t.getState());
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }
}
