package jvalkka.sgn.subprocess;

/**
 * Thrown by {@link WorkerQueue#get(double)} and {@link WorkerQueue#getNowait()} when no item
 * arrived in time (Python's {@code queue.Empty}). Cheap to throw: one shared instance without a
 * stack trace, since an empty queue is an ordinary event on a hot path, not a fault.
 */
public final class Empty extends Exception {
    private static final long serialVersionUID = 1L;

    static final Empty INSTANCE = new Empty();

    private Empty() {
        super("the queue stayed empty", null, false, false);
    }
}
