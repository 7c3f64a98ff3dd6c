package jvalkka.shm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The one wait ladder: spin, yield, then sleep on a word; in one JVM, fast. */
@Timeout(30)
class WaiterTest {

    @Test
    void theLadderYieldsItsCountThenAsksToSleepUntilReset() {
        Waiter w = new Waiter(0, 3, true, 1_000_000);
        assertFalse(w.idle());
        assertFalse(w.idle());
        assertFalse(w.idle());
        assertFalse(w.sleeping());
        assertTrue(w.idle(), "the yields are used up: sleep now");
        assertTrue(w.sleeping());
        assertTrue(w.idle(), "and it stays on the sleep rung");
        w.reset();
        assertFalse(w.sleeping());
        assertFalse(w.idle(), "reset starts again from the first rung");
    }

    @Test
    void itSpinsForItsSpinTimeBeforeItYields() {
        long spin = TimeUnit.MILLISECONDS.toNanos(5);
        Waiter w = new Waiter(spin, 0, true, 1_000_000);
        long t0 = System.nanoTime();
        int rungs = 0;
        while (!w.idle()) {
            rungs++;
        }
        long took = System.nanoTime() - t0;
        assertTrue(took >= spin, "spun " + took + " ns, less than " + spin);
        assertTrue(rungs > 128, "rungs: " + rungs);
        Waiter none = new Waiter(0, 0, true, 1_000_000);
        assertTrue(none.idle(), "no spin time and no yields: sleep at once");
    }

    @Test
    void theLadderAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Waiter w = new Waiter(1000, 5, true, 1_000_000);
        for (int k = 0; k < 1000; k++) { // warm up (and let the JIT compile it)
            w.reset();
            while (!w.idle()) {
                // climb
            }
        }
        long id = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(id);
        for (int k = 0; k < 10_000; k++) {
            w.reset();
            while (!w.idle()) {
                // climb
            }
        }
        long allocated = mx.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 1024, "the ladder allocated " + allocated + " bytes in 10000 waits");
    }

    private static long addressOf(ByteBuffer direct) {
        return new UnsafeBuffer(direct).addressOffset();
    }

    private void sleeperWakesWhenTheWordChanges(boolean useFutex) throws Exception {
        ByteBuffer word = ByteBuffer.allocateDirect(64);
        UnsafeBuffer b = new UnsafeBuffer(word);
        long address = addressOf(word);
        Waiter w = new Waiter(0, 0, useFutex, 1_000_000);
        CompletableFuture<Long> woke = CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            while (b.getIntVolatile(0) == 0) {
                if (w.idle()) {
                    b.putIntVolatile(4, 1); // "I sleep"
                    w.sleep(address, 0, TimeUnit.SECONDS.toNanos(20));
                }
            }
            return System.nanoTime() - t0;
        });
        // wait (bounded) until the sleeper has announced itself, then change the word and wake it
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.getIntVolatile(4) == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, b.getIntVolatile(4), "the sleeper reached its sleep rung");
        b.putIntVolatile(0, 1);
        if (w.usesFutex()) {
            Futex.wake(address, Integer.MAX_VALUE);
        }
        long took = woke.get(10, TimeUnit.SECONDS);
        assertTrue(took < TimeUnit.SECONDS.toNanos(10), "woke after " + took + " ns");
    }

    @Test
    void aSleeperOnTheFutexWakesWhenTheWordChangesAndIsWoken() throws Exception {
        sleeperWakesWhenTheWordChanges(true);
    }

    @Test
    void withoutTheFutexASleeperParksBrieflyAndSeesTheChange() throws Exception {
        sleeperWakesWhenTheWordChanges(false);
    }

    @Test
    void aSleepEndsAtItsTimeoutAndAtOnceWhenTheWordDiffers() {
        ByteBuffer word = ByteBuffer.allocateDirect(64);
        long address = addressOf(word);
        Waiter w = new Waiter(0, 0, true, 1_000_000);
        long t0 = System.nanoTime();
        w.sleep(address, 0, TimeUnit.MILLISECONDS.toNanos(20)); // word is 0: sleeps until the timeout
        long slept = System.nanoTime() - t0;
        assertTrue(slept < TimeUnit.SECONDS.toNanos(5), "slept " + slept + " ns");
        t0 = System.nanoTime();
        w.sleep(address, 7, TimeUnit.SECONDS.toNanos(20)); // word is not 7: returns at once
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void untilZeroReturnsOnceAnotherThreadBringsTheCountToZero() throws Exception {
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger(2);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(() -> {
            started.countDown();
            return Waiter.untilZero(count::get, TimeUnit.SECONDS.toNanos(10));
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        count.decrementAndGet();
        assertFalse(waited.isDone() && waited.getNow(false), "not zero yet, so not done with true");
        count.decrementAndGet();
        assertTrue(waited.get(10, TimeUnit.SECONDS), "the count reached zero");
        assertTrue(Waiter.untilZero(count::get, 0), "a count of zero needs no time at all");
    }

    @Test
    void untilZeroGivesUpAfterItsTimeWhenTheCountStays() {
        long limit = TimeUnit.MILLISECONDS.toNanos(30);
        long t0 = System.nanoTime();
        assertFalse(Waiter.untilZero(() -> 1, limit));
        long took = System.nanoTime() - t0;
        assertTrue(took >= limit, "gave up after " + took + " ns, before its " + limit);
    }
}
