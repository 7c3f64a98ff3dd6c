package jvalkka.sgn.subprocess;

import java.util.List;

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
public abstract class ParallelizeTransformElement extends TransformElement implements ParallelizeElement {
    final ParallelState parallel;
    /** Main side: what the worker receives ({@link WorkerContext#inputQueue()}). */
    protected final WorkerQueue inQueue;
    /** Main side: what the worker sends ({@link WorkerContext#outputQueue()}). */
    protected final WorkerQueue outQueue;
    /** Set once the worker has ended (normally or not). */
    protected final WorkerEvent terminated;
    /** Main side: this element has seen end of stream (SGN's {@code at_eos}); for subclasses to use. */
    protected boolean atEos;

    /**
     * Creates the element and its main-side queues; the worker starts when a {@link Parallelize} runs it.
     *
     * @param name           unique element name, or null/empty for a generated one
     * @param sinkPadNames   at least one short sink pad name
     * @param sourcePadNames at least one short source pad name
     */
    protected ParallelizeTransformElement(String name, List<String> sinkPadNames, List<String> sourcePadNames) {
        super(name, sinkPadNames, sourcePadNames);
        parallel = new ParallelState(name());
        inQueue = parallel.inQueue;
        outQueue = parallel.outQueue;
        terminated = parallel.terminated;
    }

    /**
     * Overrides, for this element, whether its worker is a thread or a worker JVM. Override to fix it.
     *
     * @return {@code TRUE}: always a thread; {@code FALSE}: always a process; {@code null}
     *     (default): the {@link Parallelize}'s setting decides
     */
    protected Boolean useThreadingOverride() {
        return null;
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
        parallel.checkTerminated(this, atEos);
    }
}
