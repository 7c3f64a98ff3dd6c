package jvalkka.sgn.subprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
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
 * else the class-wide {@link #useThreadingDefault()}. {@link #close()} stops every worker, waits
 * up to {@link #joinTimeout} for each, then kills it, and removes the segments made by
 * {@link #toShm} that this instance adopted. Process-mode workers come from a
 * {@linkplain jvalkka.multiprocess.WarmPool warm pool} of {@value #DEFAULT_WARM_POOL} JVMs
 * unless their {@code setBackendOptions} choose one ({@code withWarmPool(0)} turns it off): the
 * first run starts its workers' JVMs, the pool fills in the background, and the next run's
 * workers take warm JVMs and start in milliseconds. The warm JVMs cost an idle backend's
 * memory each until this JVM exits or {@link jvalkka.multiprocess.WarmPool#stopAll()}. Like SGN's, it also turns SIGINT/SIGTERM into end
 * of stream while it is open ({@link SignalEOS}); workers ignore SIGINT, so Ctrl+C drains the
 * pipeline in order.
 *
 * <p>A process-mode element placed on a node ({@code setPlacement}, or a {@code BackendOptions}
 * with a placement) starts its worker JVM there through the installed remote launcher (with the
 * others, in {@code startAll}); its frames then travel over the worker's process pipe instead of
 * shared-memory rings ({@code PipeQueue}: same order, same bound in bytes), the {@link #toShm}
 * segments are copied to its host at start, once per host (the workers given the same placement
 * map one copy there, which the first of them holds) and read-only there (a write through the
 * segment's buffer throws {@link UnsupportedOperationException}), and its death or its node's loss
 * fails the run as a local worker's death does.
 *
 * <p>No worker failure goes unsaid: each is logged at ERROR when the main side learns of it, and
 * raised from {@link #run()} or {@link #close()} as one {@link WorkerStoppedException} whose
 * cause is the first failure and whose suppressed exceptions are the others.
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
    /** The warm JVMs kept for process-mode workers unless their options choose. */
    public static final int DEFAULT_WARM_POOL = 2;

    /** See {@link #useThreadingDefault()}. */
    private static volatile boolean useThreadingDefault = false;

    /** Guards {@link #UNADOPTED}, {@link #OPEN} and every instance's {@link #ownShm}. */
    private static final Object SHM_LOCK = new Object();
    /** Segments made by {@link #toShm} that no Parallelize has adopted yet. */
    private static final List<ShmRef> UNADOPTED = new ArrayList<>();
    /** The Parallelize instances not closed yet, in creation order. */
    private static final Set<Parallelize> OPEN = new java.util.LinkedHashSet<>();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Parallelize.class);
    private static final Set<Pipeline> MANAGED = Collections.synchronizedSet(
            Collections.newSetFromMap(new IdentityHashMap<>()));

    private final Pipeline pipeline;
    private final boolean useThreading;
    private final List<Worker> workers = new ArrayList<>();
    /** The segment(s) of the local process-mode workers' rings ({@link JvmWorker.RingSpace}); removed by close(). */
    private final List<SharedMemory> rings = new ArrayList<>();
    private final SignalEOS signals;
    /** The toShm segments this instance adopted at creation, and removes on close. */
    private final List<ShmRef> ownShm = new ArrayList<>();
    /** Workers whose failure has been raised (or added to {@link #raised}). */
    private final Set<Worker> reported = Collections.newSetFromMap(new IdentityHashMap<>());
    /** What {@link #run} threw, to which failures found later are added as suppressed. */
    private Throwable raised;
    private Duration joinTimeout = Duration.ofSeconds(10);
    private boolean closed;
    /** The workers' MBeans ({@code jvalkka:type=Parallelize,name=ELEMENT}), unregistered by close(). */
    private final List<javax.management.ObjectName> jmxNames = new ArrayList<>();

    /**
     * Starts the workers of {@code pipeline} in the default mode.
     *
     * @param pipeline the pipeline
     */
    public Parallelize(Pipeline pipeline) {
        this(pipeline, null);
    }

    /**
     * Starts the workers of {@code pipeline}.
     *
     * @param useThreading whether workers are threads (unless an element overrides it); null:
     *                     {@link #useThreadingDefault()}
     * @throws IllegalStateException if another Parallelize already manages this pipeline
     * @param pipeline the pipeline
     */
    public Parallelize(Pipeline pipeline, Boolean useThreading) {
        this.pipeline = pipeline;
        this.useThreading = useThreading != null ? useThreading : useThreadingDefault;
        if (pipeline != null && !MANAGED.add(pipeline)) {
            throw new IllegalStateException("this pipeline is already run by another Parallelize");
        }
        this.signals = new SignalEOS();
        synchronized (SHM_LOCK) {
            ownShm.addAll(UNADOPTED);
            UNADOPTED.clear();
            OPEN.add(this);
        }
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
        List<ShmRef> shm = shmList(); // every open segment, as SGN's shm_list
        List<MessageProcess> processes = new ArrayList<>();
        List<Element> elements = new ArrayList<>();
        List<Boolean> inThreads = new ArrayList<>();
        List<Integer> ringSizes = new ArrayList<>();
        List<String> ringNames = new ArrayList<>();
        for (Element e : elementsWithin(pipeline)) {
            ParallelState p = ParallelState.of(e);
            if (p == null) {
                continue;
            }
            if (p.worker != null && !p.worker.control.terminated) {
                throw new IllegalStateException("element '" + e.name() + "' already has a running worker");
            }
            Boolean override = ParallelState.threadingOverride(e);
            boolean threads = override != null ? override : useThreading;
            elements.add(e);
            inThreads.add(threads);
            if (!threads && JvmWorker.usesRings(p.options)) {
                JvmWorker.checkRingBytes(p.ringBytes);
                ringSizes.add(p.ringBytes);
                ringNames.add(e.name());
            }
        }
        // one segment for all (one create, one run-record entry) rather than one per worker
        List<JvmWorker.RingSpace> spaces = JvmWorker.createRings(ringSizes, ringNames, rings);
        int nextSpace = 0;
        for (int i = 0; i < elements.size(); i++) {
            Element e = elements.get(i);
            ParallelState p = ParallelState.of(e);
            Worker w;
            if (inThreads.get(i)) {
                w = new ThreadWorker(e, newEvent(p), p.queueMaxsize, shm);
            } else {
                JvmWorker.RingSpace space = null;
                if (JvmWorker.usesRings(p.options)) {
                    space = spaces.get(nextSpace++);
                }
                JvmWorker pw = new JvmWorker(e, newEvent(p), p.ringBytes, p.options, shm, space);
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
            jmxNames.add(ParallelizeStats.register(w));
        }
    }

    private static WorkerEvent newEvent(ParallelState p) {
        return p.terminated; // one event per element, as SGN's terminated
    }

    /**
     * Time {@link #close()} waits for each worker before killing it (default 10 s).
     *
     * @param timeout how long to wait for each worker
     * @return this
     */
    public Parallelize joinTimeout(Duration timeout) {
        this.joinTimeout = timeout;
        return this;
    }

    /**
     * The mode of the elements that do not override it.
     *
     * @return the mode of the elements that do not override it
     */
    public boolean useThreading() {
        return useThreading;
    }

    /**
     * Runs the pipeline (SGN's {@code run}) until every sink is at EOS, without a limit.
     *
     * <p>Every worker failure surfaces: one the pipeline ran into, or one already recorded when
     * the pipeline ends, is thrown from here as a {@link WorkerStoppedException} ("worker
     * stopped before EOS", not wrapped in the pipeline's {@link PipelineException}) caused by
     * the first failure, with the failures of other workers as suppressed exceptions; one that
     * happens later (after the main side's last queue operation) is thrown by {@link #close()},
     * or added to what this threw. Each is also logged at ERROR when it happens.
     */
    public void run() {
        run(null, Long.MAX_VALUE);
    }

    /**
     * {@link #run()}, giving up after {@code timeout} ({@link Pipeline#run(Duration)}).
     *
     * @throws jvalkka.sgn.RunLimitException when the time is up before every sink is at EOS
     * @param timeout the longest wait
     */
    public void run(Duration timeout) {
        if (timeout == null) {
            throw new IllegalArgumentException("timeout is null; run() runs without one");
        }
        run(timeout, Long.MAX_VALUE);
    }

    /**
     * {@link #run()} with limits ({@link Pipeline#run(Duration, long)}): no loop started after
     * {@code timeout} (null: no time limit), at most {@code maxLoops} loops.
     *
     * @throws jvalkka.sgn.RunLimitException when a limit is reached before every sink is at EOS
     * @param timeout the longest wait
     * @param maxLoops the most loops to run
     */
    public void run(Duration timeout, long maxLoops) {
        if (pipeline == null) {
            throw new IllegalStateException("this Parallelize has no pipeline to run");
        }
        RuntimeException error = null;
        try {
            pipeline.run(timeout, maxLoops, false);
        } catch (RuntimeException e) {
            error = e;
        }
        List<Worker> failed = unreportedFailures();
        if (failed.isEmpty()) {
            if (error != null) {
                throw remember(unwrapWorkerStop(error));
            }
            return;
        }
        WorkerStoppedException stopped = report(failed);
        if (error == null || unwrapWorkerStop(error) instanceof WorkerStoppedException) {
            throw remember(stopped); // the pipeline's own WorkerStoppedException names one of these failures
        }
        error.addSuppressed(stopped); // an element's own error, and worker failures besides
        throw remember(error);
    }

    private RuntimeException remember(RuntimeException e) {
        raised = e;
        return e;
    }

    private static RuntimeException unwrapWorkerStop(RuntimeException e) {
        if (e instanceof PipelineException) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof WorkerStoppedException w) {
                    return w;
                }
            }
        }
        return e;
    }

    /** The workers that failed and whose failure was not raised yet, in the order they failed. */
    private List<Worker> unreportedFailures() {
        List<Worker> out = new ArrayList<>();
        for (Worker w : workers) {
            if (w.control.failure != null && !reported.contains(w)) {
                out.add(w);
            }
        }
        out.sort(java.util.Comparator.comparingLong(w -> w.failureOrder));
        return out;
    }

    /** One exception for {@code failed}: the first failure as the cause, the others suppressed. */
    private WorkerStoppedException report(List<Worker> failed) {
        WorkerStoppedException e = new WorkerStoppedException(failed.get(0).control.failure);
        for (int i = 1; i < failed.size(); i++) {
            e.addSuppressed(failed.get(i).control.failure);
        }
        reported.addAll(failed);
        return e;
    }

    /**
     * Stops every worker (stop flag, then join up to {@link #joinTimeout}, then kill), releases
     * their segments, removes the segments this instance adopted from {@link #toShm}, and
     * restores the signal handlers. Idempotent.
     *
     * @throws WorkerStoppedException for worker failures not raised yet (the first as the cause,
     *     the others suppressed), after everything is released; when {@link #run} threw, they are
     *     added to that exception as suppressed instead
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
            removeRings(rings, workers); // every worker using them has ended (or was killed) and was released
            removeShm();
        } finally {
            jmxNames.forEach(jvalkka.jmx.internal.Jmx::unregister);
            if (pipeline != null) {
                MANAGED.remove(pipeline);
            }
            signals.close();
        }
        List<Worker> failed = unreportedFailures();
        if (!failed.isEmpty()) {
            WorkerStoppedException stopped = report(failed);
            if (raised == null) {
                throw stopped;
            }
            if (raised instanceof WorkerStoppedException) {
                failed.forEach(w -> raised.addSuppressed(w.control.failure));
            } else {
                raised.addSuppressed(stopped);
            }
            LOG.debug("{} worker failure(s) after run() threw: added to its exception as suppressed", failed.size());
        }
    }

    /**
     * Unmaps and removes the local workers' ring segments, once every worker was
     * {@linkplain Worker#release released}: a segment over which a queue operation did not end in
     * time stays mapped until this JVM exits (logged), and is removed all the same. Empties
     * {@code rings}.
     */
    static void removeRings(List<SharedMemory> rings, List<? extends Worker> workers) {
        for (SharedMemory s : rings) {
            if (workers.stream().noneMatch(w -> w instanceof JvmWorker j && j.ringSegment == s && !j.ringsIdle())) {
                s.close();
            } else {
                LOG.warn("a queue operation on a worker's rings did not end within {} ms of the close: the shared"
                        + " memory '{}' stays mapped until this JVM exits", RingQueue.CLOSE_WAIT_NANOS / 1_000_000,
                        s.name());
            }
            s.unlink();
        }
        rings.clear();
    }

    private void removeShm() {
        synchronized (SHM_LOCK) {
            for (int i = ownShm.size() - 1; i >= 0; i--) {
                SharedMemory s = ownShm.get(i).shm();
                s.close();
                s.unlink();
            }
            ownShm.clear();
            OPEN.remove(this);
        }
    }

    /**
     * Copies {@code bytes} into a new shared-memory segment {@code name} that workers find in
     * {@link WorkerContext#shmList()} (SGN's {@code to_shm}). Call it before the Parallelize that
     * should hand it to its workers is created: the next Parallelize created adopts it and
     * removes it on its close (another Parallelize's close leaves it alone).
     *
     * @param metadata extra entries kept in the returned reference (may be empty)
     * @throws SegmentExistsException if a segment {@code name} exists (Python's {@code FileExistsError})
     * @param name the segment's name
     * @param bytes the content
     * @return the reference to the new segment
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
        synchronized (SHM_LOCK) {
            UNADOPTED.add(ref);
        }
        return ref;
    }

    /**
     * {@link #toShm(String, byte[], Map)} without metadata.
     *
     * @param name the name
     * @param bytes the bytes
     * @return the reference to the new segment
     * @throws SegmentExistsException if a segment of that name exists
     */
    public static ShmRef toShm(String name, byte[] bytes) throws SegmentExistsException {
        return toShm(name, bytes, Map.of());
    }

    /**
     * The segments made by {@link #toShm} and not yet removed: those no Parallelize has adopted
     * yet, then those of every open Parallelize. Workers see all of them.
     *
     * @return the segments made by {@link #toShm} and not yet removed: those no Parallelize has adopted yet, then those of every open Parallelize
     */
    public static List<ShmRef> shmList() {
        synchronized (SHM_LOCK) {
            List<ShmRef> out = new ArrayList<>(UNADOPTED);
            for (Parallelize p : OPEN) {
                out.addAll(p.ownShm);
            }
            return List.copyOf(out);
        }
    }

    /**
     * The segments this instance adopted when it was created, which its {@link #close()} removes.
     *
     * @return the segments this instance adopted when it was created, which its {@link #close()} removes
     */
    public List<ShmRef> ownShm() {
        synchronized (SHM_LOCK) {
            return List.copyOf(ownShm);
        }
    }

    /**
     * Whether {@code pipeline} holds any {@code Parallelize*Element} (SGN's {@code needs_parallelization}).
     *
     * @param pipeline the pipeline
     * @return whether {@code pipeline} holds any {@code Parallelize*Element} (SGN's {@code needs_parallelization})
     */
    public static boolean needsParallelization(Pipeline pipeline) {
        for (Element e : elementsWithin(pipeline)) {
            if (ParallelState.of(e) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * When {@code pipeline} needs workers and no Parallelize runs it yet, runs it inside one and
     * returns true; otherwise returns false and the pipeline runs as usual. Reached from
     * {@link Pipeline#run()} through {@link AutoParallelization}, never by an import.
     *
     * @param pipeline the pipeline
     * @param timeout no loop starts after it (null: no limit)
     * @param maxLoops the most loops to run
     * @return whether it ran the pipeline
     */
    static boolean runIfNeeded(Pipeline pipeline, Duration timeout, long maxLoops) {
        if (MANAGED.contains(pipeline) || !needsParallelization(pipeline)) {
            return false;
        }
        try (Parallelize p = new Parallelize(pipeline)) {
            p.run(timeout, maxLoops);
        }
        return true;
    }

    /**
     * Whether workers are threads unless the pipeline or the element says otherwise (SGN's
     * {@code use_threading_default}); false unless set.
     *
     * @return true when new Parallelize instances run their workers as threads by default,
     *     false when as worker JVMs
     */
    public static boolean useThreadingDefault() {
        return useThreadingDefault;
    }

    /**
     * Sets {@link #useThreadingDefault()} for the Parallelize instances created after this call,
     * in this JVM (SGN's {@code _use_threading_override}).
     *
     * @param threads true: workers are threads unless the pipeline or the element says
     *     otherwise; false: worker JVMs
     */
    public static void useThreadingDefault(boolean threads) {
        useThreadingDefault = threads;
    }

    /**
     * The pipeline's elements and, recursively, the inner elements of its composed ones: an element
     * inside a {@link jvalkka.sgn.Compose} runs in the pipeline like any other, and needs its worker.
     */
    static List<Element> elementsWithin(Pipeline pipeline) {
        List<Element> all = new ArrayList<>();
        ArrayDeque<Element> todo = new ArrayDeque<>(pipeline.elements());
        while (!todo.isEmpty()) {
            Element e = todo.poll();
            all.add(e);
            if (e instanceof jvalkka.sgn.ComposedSourceElement c) {
                todo.addAll(c.internalElements());
            } else if (e instanceof jvalkka.sgn.ComposedTransformElement c) {
                todo.addAll(c.internalElements());
            } else if (e instanceof jvalkka.sgn.ComposedSinkElement c) {
                todo.addAll(c.internalElements());
            }
        }
        return all;
    }
}
