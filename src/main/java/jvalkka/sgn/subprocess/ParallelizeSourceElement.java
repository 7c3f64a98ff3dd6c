package jvalkka.sgn.subprocess;

import java.util.List;

import jvalkka.sgn.SourceElement;

/**
 * A source whose data is made in a worker: a backend JVM (process mode, the default) or a
 * thread (SGN's {@code ParallelizeSourceElement}). The worker implements {@link #workerProcess}
 * (called again and again, one unit of work per call) and sends data through its output queue;
 * the main side implements {@link #newFrame newFrame}, taking from {@link #outQueue}, and may
 * send commands through {@link #inQueue} (for example from {@link #internal()}):
 * <pre>{@code
 * class Numbers extends ParallelizeSourceElement {
 *     int count = 5;                                   // a worker parameter
 *     Numbers() { super("numbers", List.of("out")); }
 *     public Frame newFrame(SourcePad pad) throws Exception {
 *         if (atEos) return Frame.eos();
 *         try {
 *             Object data = outQueue.get(0.1);
 *             if (data == null) { atEos = true; return Frame.eos(); }   // null: the worker's end of stream
 *             return new Frame(data);
 *         } catch (Empty e) {
 *             return Frame.gap();
 *         }
 *     }
 *     public void workerProcess(WorkerContext ctx) {
 *         int i = (int) ctx.state().merge("i", 1, (a, b) -> (int) a + (int) b);
 *         if (i <= count) ctx.outputQueue().put("item " + i);
 *         else if (i == count + 1) ctx.outputQueue().put(null);
 *         else try { Thread.sleep(10); } catch (InterruptedException e) { }   // wait for the stop
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
public abstract class ParallelizeSourceElement extends SourceElement implements ParallelizeElement {
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
     * @param sourcePadNames at least one short pad name
     */
    protected ParallelizeSourceElement(String name, List<String> sourcePadNames) {
        super(name, sourcePadNames);
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
