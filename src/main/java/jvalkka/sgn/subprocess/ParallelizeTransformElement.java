package jvalkka.sgn.subprocess;

import java.util.List;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.sgn.TransformElement;

/**
 * A transform whose processing runs in a worker: a backend JVM (process mode, the default) or a
 * thread (SGN's {@code ParallelizeTransformElement}). The main side implements
 * {@link #pull pull} (usually: put the frame into {@link #inQueue}) and {@link #newFrame
 * newFrame} (usually: take a result from {@link #outQueue}); the worker implements
 * {@link #workerProcess}, which the worker calls again and again, one unit of work per call:
 * <pre>{@code
 * class Squarer extends ParallelizeTransformElement {
 *     int power = 2;                                  // a worker parameter: fields travel to the worker
 *     Squarer() { super("squarer", List.of("in"), List.of("out")); }
 *     public void pull(SinkPad pad, Frame frame) {
 *         inQueue.put(frame);
 *         if (frame.isEOS()) atEos = true;
 *     }
 *     public Frame newFrame(SourcePad pad) { return outQueue.get(); }
 *     public void workerProcess(WorkerContext ctx) throws Exception {
 *         try {
 *             Frame f = ctx.inputQueue().get(0.1);
 *             if (f.data() != null) f.setData((int) Math.pow((Integer) f.data(), power));
 *             ctx.outputQueue().put(f);
 *         } catch (Empty e) {
 *             // nothing this time
 *         }
 *     }
 * }}</pre>
 *
 * <p><b>Worker parameters.</b> In process mode the worker JVM gets a copy of the element with
 * the fields declared by your subclasses (not transient, not static; each must be
 * {@code Serializable}: a field that is not fails the start naming it). No constructor runs
 * there and the main side's pads and queues do not exist: in {@code workerProcess} use only
 * your fields and the {@link WorkerContext}. Use a top-level or static nested class. In thread
 * mode the worker calls {@code workerProcess} on this very object, from another thread.
 *
 * <p><b>Mode.</b> {@link #useThreadingOverride()} chooses for this class; otherwise the
 * pipeline's {@link Parallelize} setting decides.
 *
 * <p><b>Failure.</b> When {@code workerProcess} throws, the worker ends, the failure is logged
 * at ERROR, and the main side's next queue operation (a put, a get, an {@code isEmpty()} that
 * finds nothing) or its next loop ({@link #internal()}) throws {@link WorkerStoppedException}
 * ("worker stopped before EOS") caused by that exception; a dead worker JVM is reported the same
 * way. A failure the pipeline did not run into (after the main side's last queue operation) is
 * raised by {@link Parallelize#run()} or {@link Parallelize#close()}; {@link #workerException()}
 * gives it too.
 */
public abstract class ParallelizeTransformElement extends TransformElement {
    final Parallel parallel;
    /** Main side: what the worker receives ({@link WorkerContext#inputQueue()}). */
    protected final WorkerQueue inQueue;
    /** Main side: what the worker sends ({@link WorkerContext#outputQueue()}). */
    protected final WorkerQueue outQueue;
    /** Set once the worker has ended (normally or not). */
    protected final WorkerEvent terminated;
    /** Main side: this element has seen end of stream (SGN's {@code at_eos}); for subclasses to use. */
    protected boolean atEos;

    /**
     * A transform element whose {@code workerProcess} runs in a worker.
     *
     * @param name the element's name
     * @param sinkPadNames the names of its sink pads
     * @param sourcePadNames the names of its source pads
     */
    protected ParallelizeTransformElement(String name, List<String> sinkPadNames, List<String> sourcePadNames) {
        super(name, sinkPadNames, sourcePadNames);
        parallel = new Parallel(name());
        inQueue = parallel.inQueue;
        outQueue = parallel.outQueue;
        terminated = parallel.terminated;
    }

    /**
     * Runs in the worker, again and again until the worker stops; do one unit of work per call
     * (never a loop of your own) and wait on queues with a timeout.
     *
     * @throws Exception ends the worker; the main side gets {@link WorkerStoppedException}
     * @param ctx the worker's context
     */
    public abstract void workerProcess(WorkerContext ctx) throws Exception;

    /**
     * {@code TRUE}: always a thread; {@code FALSE}: always a process; {@code null} (default): the pipeline decides.
     *
     * @return {@code TRUE}: always a thread; {@code FALSE}: always a process; {@code null} (default): the pipeline decides
     */
    protected Boolean useThreadingOverride() {
        return null;
    }

    /**
     * Orderly shutdown (SGN's {@code sub_process_shutdown}): the worker finishes its input and
     * ends; meanwhile this collects what it sends. Blocks up to {@code timeoutSeconds}; 0 waits
     * as long as it takes, as in SGN. Afterwards {@link #inQueue} and {@link #outQueue} are
     * closed (SGN sets them to {@code None}): a put or get there throws
     * {@code IllegalStateException} saying what to change, so that no item is lost unnoticed
     * (the items this returns, an end-of-stream frame among them, are no longer in
     * {@code outQueue}).
     *
     * @return the items the worker sent that were still in {@link #outQueue}, in order
     * @throws IllegalArgumentException for a negative timeout
     * @throws IllegalStateException when called a second time
     * @throws RuntimeException if the worker does not end in time
     * @throws WorkerStoppedException if the worker failed
     * @param timeoutSeconds the longest wait, in seconds
     */
    public List<Object> subProcessShutdown(double timeoutSeconds) {
        return parallel.shutdown(name(), timeoutSeconds);
    }

    /**
     * {@link #subProcessShutdown(double)} with a {@link java.time.Duration}
     * ({@code Duration.ZERO} waits as long as it takes, as 0 seconds does).
     *
     * @param timeout how long to wait for the worker to end
     * @return the items the worker sent that were still in {@code outQueue}, in order
     */
    public List<Object> subProcessShutdown(java.time.Duration timeout) {
        return subProcessShutdown(jvalkka.internal.Seconds.of(timeout));
    }

    /**
     * {@link #subProcessShutdown(double)} waiting as long as it takes (SGN's default, {@code timeout=0}).
     *
     * @return the items the worker sent that were still in {@code outQueue}, in order
     */
    public List<Object> subProcessShutdown() {
        return parallel.shutdown(name(), 0);
    }

    /**
     * The exception that ended this element's worker (SGN's {@code get_worker_exception()}):
     * what {@code workerProcess} threw (from a worker JVM: carried across with its type, message
     * and stack trace), or an {@code IllegalStateException} describing a worker JVM that died;
     * null while the worker runs, after a normal end, or before start.
     *
     * @return the exception that ended this element's worker (SGN's {@code get_worker_exception()}): what {@code workerProcess} threw (from a worker JVM: carried across with its type, message and stack trace), or an {@code IllegalStateException} describing a worker JVM that died; null while the worker runs, after a normal end, or before start
     */
    public Throwable workerException() {
        Worker w = parallel.worker;
        return w == null ? null : w.control.failure;
    }

    /**
     * Checks, every loop, that the worker has not ended before this element reached EOS (SGN's
     * {@code check_worker_terminated}), so that a failed or dead worker is noticed even by a main
     * side that does not touch its queues. An override must call {@code super.internal()}.
     *
     * @throws WorkerStoppedException caused by {@link #workerException()} (null after an ordinary end)
     */
    @Override
    public void internal() throws Exception {
        if (terminated.isSet() && !atEos) {
            throw new WorkerStoppedException(workerException());
        }
    }

    /**
     * Bounds of the thread-mode queues in items (default 100; rounded up to a power of two). Before start.
     *
     * @param items the items
     */
    public void setQueueMaxsize(int items) {
        parallel.queueMaxsize = items;
    }

    /**
     * Bytes of each process-mode ring, a power of two (default 8 MiB; the largest single message is an eighth).
     *
     * @param bytes the bytes
     */
    public void setRingBytes(int bytes) {
        parallel.ringBytes = bytes;
    }

    /**
     * JVM options of the process-mode worker (default {@link BackendOptions#defaults()}). Before start.
     *
     * @param options the backend options
     */
    public void setBackendOptions(BackendOptions options) {
        parallel.options = options;
    }

    /**
     * The worker JVM's pid, or -1 in thread mode or before start.
     *
     * @return the worker JVM's pid, or -1 in thread mode or before start
     */
    public long workerPid() {
        Worker w = parallel.worker;
        return w == null ? -1 : w.pid();
    }
}
