package jvalkka.sgn.subprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jvalkka.multiprocess.MessageProcess;
import jvalkka.sgn.Element;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.PipelineException;
import jvalkka.sgn.SignalEOS;
import jvalkka.shm.SegmentExistsException;
import jvalkka.shm.SharedMemory;

/**
 * Runs a pipeline whose {@code Parallelize*Element}s have workers (SGN's {@code Parallelize}):
 * <pre>{@code
 * try (Parallelize par = new Parallelize(pipeline)) {
 *     par.run();
 * }}</pre>
 * or simply {@code pipeline.run()}, which does the same when {@link #needsParallelization}
 * (SGN's recommended way).
 *
 * <p>The constructor starts every worker: process-mode workers as backend JVMs (started
 * together, so they boot in parallel), thread-mode workers as threads. The mode of an element
 * is its {@code useThreadingOverride()} if not null, else this pipeline's {@code useThreading},
 * else the class-wide {@link #useThreadingDefault}. {@link #close()} stops every worker, waits
 * up to {@link #joinTimeout} for each, then kills it, and removes every segment made by
 * {@link #toShm}. Like SGN's, it also turns SIGINT/SIGTERM into end of stream while it is open
 * ({@link SignalEOS}); workers ignore SIGINT, so Ctrl+C drains the pipeline in order.
 *
 * <p>Threading: create, run and close on one thread.
 *
 * <p><b>Known limits.</b>
 * <ul>
 * <li><b>Both queues full at once: memory beyond the bound.</b> Each queue is bounded (thread
 * mode: {@code setQueueMaxsize} items; process mode: a ring of {@code setRingBytes} bytes, and an
 * item larger than the ring fills it by itself). If the main side keeps putting into
 * {@code inQueue} without taking from {@code outQueue} while the worker answers, the worker
 * blocks on a full {@code outQueue} and stops taking input, and the main side blocks on a full
 * {@code inQueue}. So that this does not deadlock, the main side, while it waits to put, moves
 * what the worker sent into a buffer of its own that {@code outQueue} hands out first (in
 * order). That buffer is not bounded: it keeps what the worker sent while the main side waited
 * until the main side takes it (a transform that puts N frames before taking any result back
 * ends up holding up to N results there; a worker that sends without taking its input fills it
 * as long as the main side waits). To keep memory within the queue bounds, bound the frames in flight (put but not yet taken back) so that they
 * fit in the two queues, and wait on {@code outQueue} once the bound is reached; the simple
 * pattern (one {@code put} in {@code pull}, one blocking {@code get} in {@code newFrame}) always
 * does. This needs the thread that puts into {@code inQueue} to be the one that gets from
 * {@code outQueue} (the pipeline thread), as the queues require anyway.</li>
 * <li><b>A thread-mode worker cannot be killed.</b> {@link #close()} sets the stop flag and waits
 * {@link #joinTimeout} for each worker; a worker JVM still running then is killed, but a worker
 * thread can only be interrupted: a {@code workerProcess} that never returns (a loop of its own,
 * a wait without a timeout, a call that ignores interrupts) keeps its thread, a daemon, running
 * in the background until the JVM exits, still holding whatever it uses. Return from
 * {@code workerProcess} promptly and check {@link WorkerContext#shouldStop()}; use process mode
 * for code that may hang.</li>
 * </ul>
 */
public class Parallelize implements AutoCloseable {
    /** Whether workers are threads unless the pipeline or the element says otherwise (SGN's {@code use_threading_default}). */
    public static volatile boolean useThreadingDefault = false;

    private static final List<ShmRef> SHM = Collections.synchronizedList(new ArrayList<>());
    private static final Set<Pipeline> MANAGED = Collections.synchronizedSet(
            Collections.newSetFromMap(new IdentityHashMap<>()));

    private final Pipeline pipeline;
    private final boolean useThreading;
    private final List<Worker> workers = new ArrayList<>();
    private final SignalEOS signals;
    private Duration joinTimeout = Duration.ofSeconds(10);
    private boolean closed;

    /** Starts the workers of {@code pipeline} in the default mode. */
    public Parallelize(Pipeline pipeline) {
        this(pipeline, null);
    }

    /**
     * Starts the workers of {@code pipeline}.
     *
     * @param useThreading whether workers are threads (unless an element overrides it); null:
     *                     {@link #useThreadingDefault}
     * @throws IllegalStateException if another Parallelize already manages this pipeline
     */
    public Parallelize(Pipeline pipeline, Boolean useThreading) {
        this.pipeline = pipeline;
        this.useThreading = useThreading != null ? useThreading : useThreadingDefault;
        if (pipeline != null && !MANAGED.add(pipeline)) {
            throw new IllegalStateException("this pipeline is already run by another Parallelize");
        }
        this.signals = new SignalEOS();
        try {
            if (pipeline != null) {
                startWorkers();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void startWorkers() {
        List<ShmRef> shm;
        synchronized (SHM) {
            shm = List.copyOf(SHM);
        }
        List<MessageProcess> processes = new ArrayList<>();
        List<ProcessWorker> processWorkers = new ArrayList<>();
        for (Element e : pipeline.elements()) {
            Parallel p = Parallel.of(e);
            if (p == null) {
                continue;
            }
            if (p.worker != null && !p.worker.control.terminated) {
                throw new IllegalStateException("element '" + e.name() + "' already has a running worker");
            }
            Boolean override = Parallel.threadingOverride(e);
            boolean threads = override != null ? override : useThreading;
            Worker w;
            if (threads) {
                w = new ThreadWorker(e, newEvent(p), p.queueMaxsize, shm);
            } else {
                ProcessWorker pw = new ProcessWorker(e, newEvent(p), p.ringBytes, p.options, shm);
                processWorkers.add(pw);
                processes.add(pw.process);
                w = pw;
            }
            workers.add(w);
            p.bind(w);
        }
        if (!processes.isEmpty()) {
            MessageProcess.startAll(processes);
        }
        for (Worker w : workers) {
            w.startThread();
        }
    }

    private static WorkerEvent newEvent(Parallel p) {
        return p.terminated; // one event per element, as SGN's terminated
    }

    /** Time {@link #close()} waits for each worker before killing it (default 10 s). */
    public Parallelize joinTimeout(Duration timeout) {
        this.joinTimeout = timeout;
        return this;
    }

    /** The mode of the elements that do not override it. */
    public boolean useThreading() {
        return useThreading;
    }

    /**
     * Runs the pipeline (SGN's {@code run}). A worker failure surfaces as
     * {@link WorkerStoppedException} ("worker stopped before EOS") caused by the worker's
     * exception, not wrapped in the pipeline's {@link PipelineException}.
     */
    public void run() {
        if (pipeline == null) {
            throw new IllegalStateException("this Parallelize has no pipeline to run");
        }
        try {
            pipeline.run();
        } catch (PipelineException e) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof WorkerStoppedException w) {
                    throw w;
                }
            }
            throw e;
        }
    }

    /**
     * Stops every worker (stop flag, then join up to {@link #joinTimeout}, then kill), releases
     * their segments, removes the segments made by {@link #toShm}, and restores the signal
     * handlers. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (Worker w : workers) {
                w.requestStop();
            }
            for (int i = workers.size() - 1; i >= 0; i--) {
                Worker w = workers.get(i);
                w.join(joinTimeout);
                w.release();
            }
            removeShm();
        } finally {
            if (pipeline != null) {
                MANAGED.remove(pipeline);
            }
            signals.close();
        }
    }

    private static void removeShm() {
        synchronized (SHM) {
            for (int i = SHM.size() - 1; i >= 0; i--) {
                SharedMemory s = SHM.get(i).shm();
                s.close();
                s.unlink();
            }
            SHM.clear();
        }
    }

    /**
     * Copies {@code bytes} into a new shared-memory segment {@code name} that workers find in
     * {@link WorkerContext#shmList()} (SGN's {@code to_shm}). Call it before the Parallelize that
     * should hand it to its workers is created; that Parallelize removes it on close.
     *
     * @param metadata extra entries kept in the returned reference (may be empty)
     * @throws SegmentExistsException if a segment {@code name} exists (Python's {@code FileExistsError})
     */
    public static ShmRef toShm(String name, byte[] bytes, Map<String, Object> metadata) throws SegmentExistsException {
        SharedMemory s;
        try {
            s = SharedMemory.create(name, Math.max(1, bytes.length));
        } catch (SegmentExistsException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("toShm(" + name + "): " + e.getMessage(), e);
        }
        s.buffer().putBytes(0, bytes);
        ShmRef ref = new ShmRef(name, s, metadata);
        SHM.add(ref);
        return ref;
    }

    /** {@link #toShm(String, byte[], Map)} without metadata. */
    public static ShmRef toShm(String name, byte[] bytes) throws SegmentExistsException {
        return toShm(name, bytes, Map.of());
    }

    /** The segments made by {@link #toShm} and not yet removed. */
    public static List<ShmRef> shmList() {
        synchronized (SHM) {
            return List.copyOf(SHM);
        }
    }

    /** Whether {@code pipeline} holds any {@code Parallelize*Element} (SGN's {@code needs_parallelization}). */
    public static boolean needsParallelization(Pipeline pipeline) {
        for (Element e : pipeline.elements()) {
            if (Parallel.of(e) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Called by {@link Pipeline#run()}: when the pipeline needs workers and no Parallelize runs
     * it yet, runs it inside one and returns true; otherwise returns false and the pipeline runs
     * as usual.
     */
    public static boolean runIfNeeded(Pipeline pipeline) {
        if (MANAGED.contains(pipeline) || !needsParallelization(pipeline)) {
            return false;
        }
        try (Parallelize p = new Parallelize(pipeline)) {
            p.run();
        }
        return true;
    }
}
