package jvalkka.sgn.subprocess;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a worker's {@code workerProcess} receives on every call (SGN's {@code WorkerContext}):
 * its two queues, the stop and shutdown flags, a {@link #state()} map that persists from call to
 * call, and the segments made by {@link Parallelize#toShm}.
 *
 * <p>Owned by the worker: use it only from within {@code workerProcess}. To unit-test a
 * {@code workerProcess} without starting a worker, call it with a {@link #standalone()} context.
 */
public final class WorkerContext {
    private final WorkerQueue input;
    private final WorkerQueue output;
    private final Control control;
    private final Map<String, Object> state = new HashMap<>();
    private final List<ShmRef> shmList;
    private final boolean standalone;

    WorkerContext(WorkerQueue input, WorkerQueue output, Control control, List<ShmRef> shmList) {
        this(input, output, control, shmList, false);
    }

    private WorkerContext(WorkerQueue input, WorkerQueue output, Control control, List<ShmRef> shmList,
            boolean standalone) {
        this.input = input;
        this.output = output;
        this.control = control;
        this.shmList = List.copyOf(shmList);
        this.standalone = standalone;
    }

    /**
     * What the main side puts into {@code inQueue}.
     *
     * @return what the main side puts into {@code inQueue}
     */
    public WorkerQueue inputQueue() {
        return input;
    }

    /**
     * What the main side gets from {@code outQueue}.
     *
     * @return what the main side gets from {@code outQueue}
     */
    public WorkerQueue outputQueue() {
        return output;
    }

    /**
     * Whether the worker must stop now (SGN's {@code worker_stop}): return promptly.
     *
     * @return whether the worker must stop now (SGN's {@code worker_stop}): return promptly
     */
    public boolean shouldStop() {
        return control.stop;
    }

    /**
     * Whether an orderly shutdown is under way (SGN's {@code worker_shutdown}): finish the input
     * that is left; the worker ends once its input queue is empty.
     *
     * @return whether an orderly shutdown is under way (SGN's {@code worker_shutdown}): finish the input that is left; the worker ends once its input queue is empty
     */
    public boolean shouldShutdown() {
        return control.shutdown;
    }

    /**
     * A context for calling a {@code workerProcess} directly, without {@link Parallelize} and
     * without a worker (SGN's {@code WorkerContext} built by hand in a unit test): two in-memory
     * queues of {@code queueMaxsize} items that the test fills and reads on its own thread, the
     * flags set by {@link #requestShutdown()} and {@link #requestStop()}, and {@code shm}. A put
     * into a full queue, or a {@code get()} without a timeout on an empty one, throws
     * {@code IllegalStateException}: no other end will ever act.
     *
     * @param queueMaxsize the bound of each queue, in items
     * @param shm the shared-memory segments the worker sees
     * @return the context
     */
    public static WorkerContext standalone(int queueMaxsize, List<ShmRef> shm) {
        if (queueMaxsize < 1) {
            throw new IllegalArgumentException("queueMaxsize must be at least 1, not " + queueMaxsize);
        }
        ThreadQueue in = new ThreadQueue(queueMaxsize);
        ThreadQueue out = new ThreadQueue(queueMaxsize);
        in.standalone();
        out.standalone();
        return new WorkerContext(in, out, new Control(), shm, true);
    }

    /**
     * {@link #standalone(int, List)} with queues of 100 items and no shared memory.
     *
     * @return the context
     */
    public static WorkerContext standalone() {
        return standalone(ParallelState.DEFAULT_QUEUE_MAXSIZE, List.of());
    }

    /**
     * Standalone contexts only: sets {@link #shouldShutdown()}, as {@code subProcessShutdown}
     * does for a real worker.
     *
     * @throws IllegalStateException on the context of a real worker
     */
    public void requestShutdown() {
        requireStandalone("requestShutdown");
        control.shutdown = true;
    }

    /**
     * Standalone contexts only: sets {@link #shouldStop()}, as {@code Parallelize.close()} does
     * for a real worker.
     *
     * @throws IllegalStateException on the context of a real worker
     */
    public void requestStop() {
        requireStandalone("requestStop");
        control.stop = true;
    }

    private void requireStandalone(String what) {
        if (!standalone) {
            throw new IllegalStateException(what + "() is for a standalone WorkerContext (WorkerContext.standalone(),"
                    + " for unit tests); a worker is shut down by subProcessShutdown and stopped by Parallelize.close()");
        }
    }

    /**
     * A map that keeps its content from one {@code workerProcess} call to the next.
     *
     * @return a map that keeps its content from one {@code workerProcess} call to the next
     */
    public Map<String, Object> state() {
        return state;
    }

    /**
     * The segments made by {@link Parallelize#toShm}, mapped in this worker.
     *
     * @return the segments made by {@link Parallelize#toShm}, mapped in this worker
     */
    public List<ShmRef> shmList() {
        return shmList;
    }

    /**
     * The segment made by {@code toShm(name, ...)}; throws naming the known ones if none.
     *
     * @param name the name
     * @return the segment made by {@code toShm(name, ...)}; throws naming the known ones if none
     */
    public ShmRef shm(String name) {
        for (ShmRef ref : shmList) {
            if (ref.name().equals(name)) {
                return ref;
            }
        }
        throw new IllegalArgumentException("no shared memory '" + name + "' made by Parallelize.toShm; known: "
                + shmList.stream().map(ShmRef::name).toList());
    }

    /** The flags both ends of a worker watch. */
    static final class Control {
        volatile boolean stop;
        volatile boolean shutdown;
        /** Set on the main side when the worker ended badly; waits on the main side throw it. */
        volatile Throwable failure;
        /** Set when the worker has ended (well or badly). */
        volatile boolean terminated;
    }
}
