package jvalkka.sgn.subprocess;

import java.util.List;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.sgn.Element;

/**
 * What the three {@code Parallelize*Element} classes offer besides their SGN element kind, written
 * once: each class extends its own SGN element class, holds its {@link ParallelState} state, and
 * implements this interface, whose default methods work on that state. Package-private: the
 * public names are the three element classes.
 */
interface ParallelizeElement {
    /**
     * The element's name ({@link Element#name()}).
     *
     * @return the name, which also labels the worker and its queues in messages
     */
    String name();

    /**
     * Runs in the worker, again and again until the worker stops; do one unit of work per call
     * (never a loop of your own) and wait on queues with a timeout.
     *
     * @param ctx the worker's side of the element: its {@code inQueue}, {@code outQueue} and
     *     shared-memory arrays
     * @throws Exception ends the worker; the main side gets {@link WorkerStoppedException}
     */
    void workerProcess(WorkerContext ctx) throws Exception;

    /**
     * Orderly shutdown (SGN's {@code sub_process_shutdown}): the worker finishes its input and
     * ends; meanwhile this collects what it sends. Blocks up to {@code timeoutSeconds}; 0 waits
     * as long as it takes, as in SGN. Afterwards {@code inQueue} and {@code outQueue} are
     * closed (SGN sets them to {@code None}): a put or get there throws
     * {@code IllegalStateException} saying what to change, so that no item is lost unnoticed
     * (the items this returns, an end-of-stream frame among them, are no longer in
     * {@code outQueue}).
     *
     * @param timeoutSeconds the longest wait for the worker to end, in seconds; 0: as long as it takes
     * @return the items the worker sent that were still in {@code outQueue}, in order
     * @throws IllegalArgumentException for a negative timeout
     * @throws IllegalStateException when called a second time
     * @throws RuntimeException if the worker does not end in time
     * @throws WorkerStoppedException if the worker failed
     */
    default List<Object> subProcessShutdown(double timeoutSeconds) {
        return ParallelState.of(this).shutdown(name(), timeoutSeconds);
    }

    /**
     * {@link #subProcessShutdown(double)} with a {@link java.time.Duration}.
     *
     * @param timeout how long to wait for the worker to end (zero: as long as it takes)
     * @return the items the worker sent that were still in {@code outQueue}, in order
     */
    default List<Object> subProcessShutdown(java.time.Duration timeout) {
        return subProcessShutdown(jvalkka.internal.Seconds.of(timeout));
    }

    /**
     * {@link #subProcessShutdown(double)} waiting as long as it takes (SGN's default, {@code timeout=0}).
     *
     * @return the items the worker sent that were still in {@code outQueue}, in order
     */
    default List<Object> subProcessShutdown() {
        return subProcessShutdown(0);
    }

    /**
     * The exception that ended this element's worker (SGN's {@code get_worker_exception()}):
     * what {@code workerProcess} threw (from a worker JVM: carried across with its type, message
     * and stack trace), or an {@code IllegalStateException} describing a worker JVM that died;
     * null while the worker runs, after a normal end, or before start.
     *
     * @return the worker's failure, or {@code null} when there is none (yet)
     */
    default Throwable workerException() {
        Worker w = ParallelState.of(this).worker;
        return w == null ? null : w.control.failure;
    }

    /**
     * Bounds of the thread-mode queues in items (default 100; rounded up to a power of two). Before start.
     *
     * @param items the bound of {@code inQueue} and of {@code outQueue}, each; read when the
     *     worker starts, so a call after start has no effect (below 2 counts as 2)
     */
    default void setQueueMaxsize(int items) {
        ParallelState.of(this).queueMaxsize = items;
    }

    /**
     * Bytes of each process-mode ring, a power of two (default 8 MiB; the largest single message is an eighth).
     *
     * @param bytes the capacity of each of the two rings (in and out); a power of two from 4096
     *     to 2^29 (512 MiB), checked when the worker starts ({@link IllegalArgumentException} then)
     */
    default void setRingBytes(int bytes) {
        ParallelState.of(this).ringBytes = bytes;
    }

    /**
     * JVM options of the process-mode worker (default {@link BackendOptions#defaults()}). Before start.
     *
     * @param options the worker JVM's options; {@code null}: the defaults. Ignored in thread mode
     */
    default void setBackendOptions(BackendOptions options) {
        ParallelState.of(this).options = options;
    }

    /**
     * Runs the process-mode worker on a node of the cluster instead of this host (shorthand for
     * {@link #setBackendOptions} with {@link BackendOptions#withPlacement}). Before start. The
     * worker then shares no memory with the main side: its frames travel over the worker's
     * process pipe (the installed {@link jvalkka.internal.RemoteLauncher}'s connection) instead of
     * the shared-memory rings, in order, with the same bound as the rings ({@link #setRingBytes}
     * bytes in flight per direction, or one larger item); end of stream and the worker's failure
     * or loss (its JVM or its node) reach the main side as for a worker on this host. Ignored in
     * thread mode.
     *
     * @param placement where the worker JVM runs; null: this host
     */
    default void setPlacement(jvalkka.multiprocess.Placement placement) {
        ParallelState p = ParallelState.of(this);
        p.options = (p.options == null ? BackendOptions.defaults() : p.options).withPlacement(placement);
    }

    /**
     * The worker JVM's pid, or -1 in thread mode or before start.
     *
     * @return the pid of the worker JVM, or -1 when there is none
     */
    default long workerPid() {
        Worker w = ParallelState.of(this).worker;
        return w == null ? -1 : w.pid();
    }
}
