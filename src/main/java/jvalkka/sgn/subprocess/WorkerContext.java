package jvalkka.sgn.subprocess;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a worker's {@code workerProcess} receives on every call (SGN's {@code WorkerContext}):
 * its two queues, the stop and shutdown flags, a {@link #state()} map that persists from call to
 * call, and the segments made by {@link Parallelize#toShm}.
 *
 * <p>Owned by the worker: use it only from within {@code workerProcess}.
 */
public final class WorkerContext {
    private final WorkerQueue input;
    private final WorkerQueue output;
    private final Control control;
    private final Map<String, Object> state = new HashMap<>();
    private final List<ShmRef> shmList;

    WorkerContext(WorkerQueue input, WorkerQueue output, Control control, List<ShmRef> shmList) {
        this.input = input;
        this.output = output;
        this.control = control;
        this.shmList = List.copyOf(shmList);
    }

    /** What the main side puts into {@code inQueue}. */
    public WorkerQueue inputQueue() {
        return input;
    }

    /** What the main side gets from {@code outQueue}. */
    public WorkerQueue outputQueue() {
        return output;
    }

    /** Whether the worker must stop now (SGN's {@code worker_stop}): return promptly. */
    public boolean shouldStop() {
        return control.stop;
    }

    /**
     * Whether an orderly shutdown is under way (SGN's {@code worker_shutdown}): finish the input
     * that is left; the worker ends once its input queue is empty.
     */
    public boolean shouldShutdown() {
        return control.shutdown;
    }

    /** A map that keeps its content from one {@code workerProcess} call to the next. */
    public Map<String, Object> state() {
        return state;
    }

    /** The segments made by {@link Parallelize#toShm}, mapped in this worker. */
    public List<ShmRef> shmList() {
        return shmList;
    }

    /** The segment made by {@code toShm(name, ...)}; throws naming the known ones if none. */
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
