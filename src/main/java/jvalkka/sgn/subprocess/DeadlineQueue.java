package jvalkka.sgn.subprocess;

/**
 * The three ways to take from a {@link WorkerQueue} — wait forever, wait up to a
 * timeout, do not wait — written once over one deadline-based {@link #take}.
 */
abstract class DeadlineQueue implements WorkerQueue {
    /**
     * Takes the next item.
     *
     * @param deadline a {@link System#nanoTime()} to give up at; 0 does not wait
     * @param forever wait without a deadline
     * @throws Empty when nothing came by the deadline
     */
    abstract <T> T take(long deadline, boolean forever) throws Empty;

    /** Wakes every thread waiting at either end of this queue, so that it re-checks the other end (a stop, a death). */
    abstract void wakeAll();

    @Override
    public final <T> T get() {
        try {
            return take(Long.MAX_VALUE, true);
        } catch (Empty e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public final <T> T get(double timeoutSeconds) throws Empty {
        long nanos = (long) (timeoutSeconds * 1e9);
        return take(nanos <= 0 ? 0 : System.nanoTime() + nanos, false);
    }

    @Override
    public final <T> T getNowait() throws Empty {
        return take(0, false);
    }
}
