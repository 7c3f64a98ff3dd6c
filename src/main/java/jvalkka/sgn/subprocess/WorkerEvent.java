package jvalkka.sgn.subprocess;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A one-way flag that can be waited on (the part of Python's {@code threading.Event} that SGN's
 * {@code terminated} uses). Thread-safe.
 */
public final class WorkerEvent {
    private final CountDownLatch latch = new CountDownLatch(1);

    WorkerEvent() {
    }

    /**
     * Whether the event has happened. Cheap; never blocks.
     *
     * @return whether the event has happened
     */
    public boolean isSet() {
        return latch.getCount() == 0;
    }

    /**
     * Waits up to {@code timeoutSeconds}; returns whether the event has happened.
     *
     * @param timeoutSeconds the longest wait, in seconds
     * @return whether the event has happened
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean await(double timeoutSeconds) throws InterruptedException {
        return latch.await((long) (timeoutSeconds * 1e9), TimeUnit.NANOSECONDS);
    }

    /**
     * {@link #await(double)} with a {@link java.time.Duration}.
     *
     * @param timeout the longest wait
     * @return whether the event has happened
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean await(java.time.Duration timeout) throws InterruptedException {
        return await(jvalkka.internal.Seconds.of(timeout));
    }

    void set() {
        latch.countDown();
    }

    @Override
    public String toString() {
        return isSet() ? "WorkerEvent(set)" : "WorkerEvent(unset)";
    }
}
