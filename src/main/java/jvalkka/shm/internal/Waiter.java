package jvalkka.shm.internal;

import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;

/**
 * The one way to wait for another process: spin, then yield, then sleep on a
 * word of shared memory (a futex), as the rings of the SGN workers and the
 * events of an {@code EventGroup} do. A wake that comes within microseconds costs
 * neither side a system call; a long wait costs no CPU.
 *
 * <p>Like Agrona's {@code IdleStrategy}, a waiter holds the state of one wait and
 * is used by one thread at a time: {@link #reset()} when a wait starts (or work
 * was found), {@link #idle()} each time the condition was checked and is not
 * met. {@code idle()} spins and yields by itself; once the spin time and the
 * yields are used up it returns {@code true}, and from then on the caller
 * sleeps, with its own protocol around {@link #sleep(long, int, long)}: it
 * announces that it sleeps (a flag, or a compare-and-set of the word), checks
 * the condition once more, then sleeps on the word, which the other side
 * changes and wakes after it has published. Nothing here allocates or makes a
 * system call before the sleep rung (the clock is read every 128 spins).
 *
 * <pre>{@code
 * waiter.reset();
 * while (!ready()) {
 *     if (waiter.idle()) {                       // spun and yielded enough
 *         int seq = announceSleep();              // the other side will wake seq's word
 *         if (!ready()) {
 *             waiter.sleep(address, seq, sliceNanos);
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Without a futex ({@link Futex#AVAILABLE} false, or {@code useFutex} false),
 * the sleep rung parks for a time that doubles from 1 µs up to
 * {@code maxParkNanos}.
 *
 * <p>{@link #untilZero} is the same ladder for a closer that waits for the
 * operations under way on a mapping to end (a count that only falls once the
 * mapping is closed to new ones).
 */
public final class Waiter {
    private static final int SPIN = 0;
    private static final int YIELD = 1;
    private static final int SLEEP = 2;
    private static final int CLOCK_EVERY = 128;
    /** {@link #untilZero}: how long a closer spins (an operation under way is mostly one memory copy). */
    private static final long DRAIN_SPIN_NANOS = 20_000;
    /** {@link #untilZero}: how many times a closer yields before it parks. */
    private static final int DRAIN_YIELDS = 10;
    /** {@link #untilZero}: its longest park (its latency once an operation ends). */
    private static final long DRAIN_MAX_PARK_NANOS = 50_000;

    private final long spinNanos;
    private final int yields;
    private final boolean futex;
    private final long maxParkNanos;

    private int phase;
    private int count;
    private long spinStart;
    private long park;

    /**
     * @param spinNanos    how long to spin before yielding (0: no spinning)
     * @param yields       how many times to yield before sleeping
     * @param useFutex     whether to sleep on the futex (ignored where there is none)
     * @param maxParkNanos without a futex, the longest single park
     */
    public Waiter(long spinNanos, int yields, boolean useFutex, long maxParkNanos) {
        this.spinNanos = Math.max(0, spinNanos);
        this.yields = Math.max(0, yields);
        this.futex = useFutex && Futex.AVAILABLE;
        this.maxParkNanos = Math.max(1000, maxParkNanos);
        reset();
    }

    /** Starts a wait from the first rung. */
    public void reset() {
        phase = spinNanos > 0 ? SPIN : YIELD;
        count = 0;
        spinStart = 0;
        park = 1000;
    }

    /**
     * One rung of the ladder, after a check that found nothing: spins (while the
     * spin time lasts) or yields and returns {@code false}; returns {@code true}
     * without waiting once it is time to sleep (see {@link #sleep}).
     */
    public boolean idle() {
        switch (phase) {
            case SPIN -> {
                if (++count % CLOCK_EVERY == 0) {
                    long now = System.nanoTime();
                    if (spinStart == 0) {
                        spinStart = now;
                    } else if (now - spinStart >= spinNanos) {
                        phase = yields > 0 ? YIELD : SLEEP;
                        count = 0;
                        return phase == SLEEP;
                    }
                }
                Thread.onSpinWait();
                return false;
            }
            case YIELD -> {
                if (count++ < yields) {
                    Thread.yield();
                    return false;
                }
                phase = SLEEP;
                return true;
            }
            default -> {
                return true;
            }
        }
    }

    /** Whether the ladder has reached its sleep rung. */
    public boolean sleeping() {
        return phase == SLEEP;
    }

    /**
     * The sleep rung: sleeps while the int at {@code address} holds
     * {@code expected}, at most {@code nanos} (no limit if negative): on the futex,
     * or without one, a park of growing length. Returns on a wake, a timeout, or
     * at once if the word differs; the caller checks its condition again.
     */
    public void sleep(long address, int expected, long nanos) {
        if (futex) {
            Futex.await(address, expected, nanos);
            return;
        }
        long p = nanos < 0 ? park : Math.min(park, nanos);
        LockSupport.parkNanos(Math.max(1, p));
        park = Math.min(park * 2, maxParkNanos);
    }

    /** Whether {@link #sleep} uses the futex. */
    public boolean usesFutex() {
        return futex;
    }

    /**
     * Waits until {@code count} reads zero, or {@code timeoutNanos} have passed: the
     * closer's wait for the operations under way on a mapping before it unmaps. The
     * caller has already made sure that the count only falls (it marked the mapping
     * closed before reading the count, and an operation that begins adds to the count
     * before it reads the mark, both volatile, so one of the two sees the other). The
     * ladder is this class's without the futex: spins for about 20 µs, yields, then
     * parks for a time that doubles up to 50 µs, so an operation that ends at once
     * costs the closer no system call and a long one costs it no CPU. Reads the count
     * once before any waiting or clock read. Not interruptible (an interrupt is left set).
     *
     * @param count        reads the count, volatile
     * @param timeoutNanos how long to wait at most; negative: no limit
     * @return whether the count reached zero (false: the time ran out first)
     */
    public static boolean untilZero(IntSupplier count, long timeoutNanos) {
        if (count.getAsInt() == 0) {
            return true;
        }
        long start = System.nanoTime();
        Waiter w = new Waiter(DRAIN_SPIN_NANOS, DRAIN_YIELDS, false, DRAIN_MAX_PARK_NANOS);
        while (count.getAsInt() != 0) {
            long left = -1;
            if (timeoutNanos >= 0) {
                left = timeoutNanos - (System.nanoTime() - start);
                if (left <= 0) {
                    return false;
                }
            }
            if (w.idle()) {
                w.sleep(0, 0, left);
            }
        }
        return true;
    }
}
