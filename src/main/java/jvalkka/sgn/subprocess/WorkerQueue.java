package jvalkka.sgn.subprocess;

/**
 * A bounded queue between the main side of a {@code Parallelize*Element} and its worker (SGN's
 * {@code in_queue}/{@code out_queue}, seen from the worker as {@link WorkerContext#inputQueue()}
 * and {@link WorkerContext#outputQueue()}). Items may be {@code null} (SGN's sources send
 * {@code None} for end of stream).
 *
 * <p>Thread mode: a bounded queue of references, so the receiver gets the very object that was
 * put (no copy). Process mode: a ring buffer in shared memory; items are encoded (fast path for
 * {@code byte[]} and primitive arrays, {@link jvalkka.sgn.Frame}s, boxed primitives, strings,
 * lists and maps; anything else Jackson can serialize), so the receiver gets an equal copy; an
 * item larger than the ring's largest message is carried in pieces and delivered whole. A worker
 * placed on another host ({@code setPlacement}) has no shared memory with the main side: the same
 * encoded items travel as messages on its process pipe, bounded by the ring size in bytes.
 *
 * <p>Blocking: {@link #put} blocks while the queue is full (backpressure: nothing is dropped).
 * While the main side blocks putting into {@code inQueue}, it takes what the worker has sent into
 * a buffer that {@code outQueue} hands out first, so that both queues full at once cannot
 * deadlock (see "Known limits" in {@link Parallelize}).
 * Waits spin briefly, then sleep; they also end when the worker fails, which the main side sees
 * as {@link WorkerStoppedException}.
 *
 * <p>Threading: one thread puts and one thread gets (the main pipeline thread on one end, the
 * worker on the other). In process mode each end of a queue only works in its own direction
 * (the main side puts into {@code inQueue} and gets from {@code outQueue}).
 */
public interface WorkerQueue {
    /**
     * Puts {@code item}, waiting while the queue is full.
     *
     * @param item the item
     */
    void put(Object item);

    /**
     * Takes the next item, waiting as long as it takes.
     *
     * @param <T> the type the caller expects
     * @return the item
     */
    <T> T get();

    /**
     * Takes the next item, waiting at most {@code timeoutSeconds}.
     *
     * @throws Empty if nothing arrived in time
     * @param <T> the type the caller expects
     * @param timeoutSeconds the longest wait, in seconds
     * @return the item
     */
    <T> T get(double timeoutSeconds) throws Empty;

    /**
     * {@link #get(double)} with a {@link java.time.Duration}.
     *
     * @param <T> the item's type
     * @param timeout the longest wait
     * @return the item
     * @throws Empty if nothing arrived in time
     */
    default <T> T get(java.time.Duration timeout) throws Empty {
        return get(jvalkka.internal.Seconds.of(timeout));
    }

    /**
     * Takes the next item if one is ready.
     *
     * @throws Empty if none is
     * @param <T> the type the caller expects
     * @return the item
     */
    <T> T getNowait() throws Empty;

    /**
     * Whether no item is ready now (a snapshot).
     *
     * @return whether no item is ready now (a snapshot)
     */
    boolean isEmpty();
}
