package jvalkka.sgn.subprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.PipeClosedException;
import jvalkka.sgn.Element;
import jvalkka.shm.SharedMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process mode, main side: the worker is a JVM (beside {@link ThreadWorker}, where it is a
 * thread; not to be confused with {@link WorkerProcess}, the process object running in that
 * JVM). Owns its two rings (in a segment that {@link Parallelize} makes for all its local
 * workers, see {@link RingSpace}), the {@link WorkerProcess}, and a
 * monitor thread that reads the process channel (the worker's "terminated" report) and notices
 * a dead worker JVM (channel closed) within a poll interval.
 */
final class JvmWorker extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(JvmWorker.class);
    private static final AtomicLong SEGMENTS = new AtomicLong();

    /**
     * Where a local worker's control block and rings are: {@code segment} (made and removed by
     * {@link Parallelize}, one for all its local process-mode workers: one segment to create
     * rather than one per worker, which each run's start waited for) at {@code offset}.
     */
    record RingSpace(SharedMemory segment, int offset) {
    }

    /**
     * Whether a process-mode worker with {@code options} needs a {@link RingSpace}: it runs on
     * this host (no placement; a placed worker's frames go over its pipe).
     */
    static boolean usesRings(BackendOptions options) {
        return (options == null ? BackendOptions.defaults() : options).placement() == null;
    }

    /**
     * Fails unless {@code ringBytes} is a valid ring size: a power of two from 4096 to
     * {@link RingQueue#MAX_RING_CAPACITY} (2^29: the two rings of a worker share one segment of at
     * most {@link SharedMemory#MAX_SIZE} bytes).
     */
    static void checkRingBytes(int ringBytes) {
        if (Integer.bitCount(ringBytes) != 1 || ringBytes < 4096 || ringBytes > RingQueue.MAX_RING_CAPACITY) {
            throw new IllegalArgumentException("ringBytes must be a power of two from 4096 to "
                    + RingQueue.MAX_RING_CAPACITY + " (two rings fit one shared memory segment), not " + ringBytes);
        }
    }

    private final DeadlineQueue in;
    private final DeadlineQueue out;
    /** For a placed worker ({@link BackendOptions#placement()} set): its queues over the pipe; else null. */
    private final PipeQueue pipeIn;
    private final PipeQueue pipeOut;
    /** A placed worker: the toShm segments to copy to its host at start; else empty. */
    private final List<ShmRef> shmToCopy;
    /** Where a placed worker runs, or null. */
    private final jvalkka.multiprocess.Placement placement;
    /** A placed worker: how long it waits for the toShm copy another worker on its host makes. */
    private final long shmWaitMillis;
    final WorkerProcess process;
    private Thread monitor;
    private volatile boolean closing;
    /** A placed worker: the reason in the frontend's "exited" event (a lost node's, naming it), or null. */
    private volatile Object exitReason;
    /** A local worker: the segment its rings are in (Parallelize's); null for a placed worker. */
    final SharedMemory ringSegment;
    /** False if, at {@link #release}, a queue operation did not end in time: the segment must stay mapped. */
    private boolean ringsIdle = true;

    /**
     * @param space where a local worker's rings are ({@link #usesRings}); null for a placed worker
     */
    JvmWorker(Element element, WorkerEvent terminated, int ringBytes, BackendOptions options, List<ShmRef> shm,
            RingSpace space) {
        super(element, terminated);
        checkRingBytes(ringBytes);
        BackendOptions o = options == null ? BackendOptions.defaults() : options;
        placement = o.placement();
        ringSegment = space == null ? null : space.segment();
        shmWaitMillis = o.startTimeout().toMillis();
        if (o.placement() != null) { // another host: no shared memory, frames over the pipe
            OtherEnd mainView = new OtherEnd(control, true);
            process = new WorkerProcess(element, null, 0, ringBytes, shm);
            shmToCopy = List.copyOf(shm);
            pipeIn = new PipeQueue(true, this::toBack, mainView, ringBytes, "in of " + element.name());
            pipeOut = new PipeQueue(false, this::toBack, mainView, ringBytes, "out of " + element.name());
            pipeIn.spillWhileBlocked(pipeOut); // both directions full must not deadlock
            in = pipeIn;
            out = pipeOut;
            process.ignoreSIGINT();
            process.setOptions(o);
            return;
        }
        pipeIn = null;
        pipeOut = null;
        shmToCopy = List.of();
        OtherEnd mainView = new OtherEnd(control, true);
        RingQueue rin = new RingQueue(space.segment(), space.offset(), ringBytes, 0, true, mainView,
                "in of " + element.name());
        RingQueue rout = new RingQueue(space.segment(), space.offset(), ringBytes, 1, false, mainView,
                "out of " + element.name());
        rin.spillWhileBlocked(rout); // both rings full must not deadlock
        in = rin;
        out = rout;
        process = new WorkerProcess(element, space.segment().name(), space.offset(), ringBytes, shm);
        process.ignoreSIGINT(); // Ctrl+C reaches the whole process group: the main side coordinates
        process.setOptions(o.withWarmPoolDefault(Parallelize.DEFAULT_WARM_POOL));
    }

    /**
     * The rings of local workers of {@code ringBytes} each (in that order): one segment for
     * all of them, the {@link RingSpace}s one after the other, unless together they exceed
     * {@link SharedMemory#MAX_SIZE} (then a new segment where the next would not fit). Each
     * segment made is added to {@code made} as soon as it exists (also when a later one
     * fails): the caller removes them once every worker using them has ended.
     *
     * @param elementNames the workers' elements, for the error
     * @return one space per worker, in order
     */
    static List<RingSpace> createRings(List<Integer> ringBytes, List<String> elementNames, List<SharedMemory> made) {
        List<RingSpace> spaces = new java.util.ArrayList<>();
        int from = 0;
        while (from < ringBytes.size()) {
            long size = RingQueue.segmentSize(ringBytes.get(from));
            int to = from + 1;
            while (to < ringBytes.size() && size + RingQueue.segmentSize(ringBytes.get(to)) <= SharedMemory.MAX_SIZE) {
                size += RingQueue.segmentSize(ringBytes.get(to));
                to++;
            }
            String name = "jvsgn-" + ProcessHandle.current().pid() + "-" + SEGMENTS.incrementAndGet();
            SharedMemory s;
            try {
                s = SharedMemory.create(name, size);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the shared memory for the worker(s) of "
                        + elementNames.subList(from, to), e);
            }
            made.add(s);
            long offset = 0; // at most size, which fits an int
            for (int i = from; i < to; i++) {
                spaces.add(new RingSpace(s, Math.toIntExact(offset)));
                offset += RingQueue.segmentSize(ringBytes.get(i));
            }
            from = to;
        }
        return spaces;
    }

    /** A placed worker's queue message to the backend (pipeline thread, or the monitor while spilling). */
    private void toBack(MessageObject m) {
        try {
            process.sendMessageToBack(m);
        } catch (RuntimeException e) {
            // the connection is gone: the worker JVM or its node is lost; the monitor learns why
            // within moments, and the pipeline then sees what it sees for a local worker's death
            try {
                terminated.await(2.0);
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
            }
            Throwable f = control.failure;
            if (f != null) {
                throw new WorkerStoppedException(f);
            }
            throw e;
        }
    }

    @Override
    WorkerQueue mainIn() {
        return in;
    }

    @Override
    WorkerQueue mainOut() {
        return out;
    }

    @Override
    void startThread() {
        monitor = new Thread(this::monitor, "sgn-monitor-" + element.name());
        monitor.setDaemon(true);
        monitor.start();
        if (pipeIn != null) {
            // before any frame: the worker starts once its copies are there (one per host, read-only)
            process.copyShm(shmToCopy, String.valueOf(placement), shmWaitMillis);
        }
    }

    private void monitor() {
        MessagePipe pipe = process.getPipe();
        while (true) {
            try {
                if (pipe.poll(0.05)) {
                    MessageObject m = pipe.recv();
                    if (pipeOut != null && m != null && (fromPipeQueue(m) || shmMessage(m))) {
                        continue;
                    }
                    if (pipeOut != null && m != null && "exited".equals(m.command())) {
                        exitReason = m.get("reason"); // the frontend's report of the end: for a node, why it was lost
                    }
                    if (m != null && "terminated".equals(m.command())) {
                        HostCopies.ended(process); // its JVM ends now, and the names of the copies it holds
                        byte[] err = (byte[]) m.get("error");
                        ended(err == null ? null : jvalkka.multiprocess.Throwables.decode(err));
                    }
                    continue;
                }
                if (!process.isAlive()) {
                    if (pipeOut != null) {
                        drainPlaced(pipe); // the frontend's "exited" event says why a node was lost
                    }
                    died();
                    return;
                }
            } catch (PipeClosedException e) {
                if (pipeOut != null && exitReason == null) {
                    exitReason = e.getMessage(); // names the backend and, for a lost node, why
                }
                died();
                return;
            } catch (RuntimeException e) {
                if (closing) {
                    return;
                }
                LOG.debug("monitor of {}: {}", element.name(), e.toString());
                died();
                return;
            }
        }
    }

    /** A placed worker whose backend is gone: takes what is left on its pipe (bounded: a silent socket ends it). */
    private void drainPlaced(MessagePipe pipe) {
        try {
            for (int i = 0; i < 1000 && pipe.poll(0.1); i++) {
                MessageObject m = pipe.recv();
                if (m == null) {
                    continue;
                }
                if (!fromPipeQueue(m) && "exited".equals(m.command())) {
                    exitReason = m.get("reason");
                }
            }
        } catch (RuntimeException e) {
            // closed: nothing more to learn
        }
    }

    /** A placed worker: a frame piece or an acknowledgement from the backend's queues; whether {@code m} was one. */
    private boolean fromPipeQueue(MessageObject m) {
        String c = m.command();
        if (PipeQueue.FRAME.equals(c)) {
            pipeOut.receive(PipeQueue.bytes(m.get("b")), Boolean.TRUE.equals(m.get("last")));
            return true;
        } else if (PipeQueue.ACK.equals(c)) {
            pipeIn.acked(((Number) m.get("n")).longValue());
            return true;
        }
        return false;
    }

    /** A placed worker's word about its toShm copies ({@link WorkerProcess#SHM_READY}, {@code SHM_NEED}); whether {@code m} was one. */
    private boolean shmMessage(MessageObject m) {
        if (WorkerProcess.SHM_READY.equals(m.command())) {
            for (String name : String.valueOf(m.get("names")).split("/")) {
                HostCopies.ready(name);
            }
            return true;
        } else if (WorkerProcess.SHM_NEED.equals(m.command())) {
            process.resendShm(shmToCopy, String.valueOf(placement), String.valueOf(m.get("i")));
            return true;
        }
        return false;
    }

    private void died() {
        HostCopies.ended(process);
        if (!control.terminated && pipeIn != null) { // its pid is another host's: no local handle on it
            ended(new IllegalStateException("the worker JVM of " + element.name() + " on its node ("
                    + placement + ", pid " + process.pid() + " there) ended or was lost before"
                    + " its worker did (exit status " + process.exitCode() + ")"
                    + (exitReason == null ? "" : ": " + exitReason)));
        } else if (!control.terminated) {
            Optional<ProcessHandle> h = ProcessHandle.of(process.pid());
            h.ifPresent(p -> {
                try {
                    p.onExit().get(1, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // fall through: report what we know
                }
            });
            ended(new IllegalStateException("the worker JVM of " + element.name() + " (pid " + process.pid()
                    + ") ended before its worker did (exit status " + process.exitCode() + ")"));
        } else {
            ended(null);
        }
    }

    @Override
    void requestShutdown() {
        if (!control.terminated) {
            process.shutdown();
        }
    }

    @Override
    void requestStop() {
        control.stop = true;
        if (process.isAlive()) {
            try {
                process.stopWorker();
                process.requestStop();
            } catch (RuntimeException e) {
                LOG.debug("stop of {}: {}", element.name(), e.toString());
            }
        }
        wakeAll();
    }

    @Override
    void join(Duration timeout) {
        closing = true;
        if (pipeIn != null) {
            joinPlaced(timeout);
            return;
        }
        long pid = process.pid();
        Optional<ProcessHandle> h = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (h.isPresent()) {
            try {
                h.get().onExit().get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.warn("the worker JVM of {} (pid {}) did not stop within {} ms: killing it", element.name(), pid,
                        timeout.toMillis());
                h.get().destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                h.get().destroyForcibly();
            } catch (java.util.concurrent.ExecutionException e) {
                // cannot happen for onExit
            }
        }
        reapAndJoinMonitor();
    }

    /** Reaps the worker's JVM and closes its channel ({@code waitStop}), then waits briefly for its monitor. */
    private void reapAndJoinMonitor() {
        try {
            process.waitStop();
        } catch (RuntimeException e) {
            LOG.debug("waitStop of {}: {}", element.name(), e.toString());
        }
        if (monitor != null) {
            try {
                monitor.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A placed worker: its pid is another host's, so no local process handle. Waits up to
     * {@code timeout} for its monitor to see the connection end (the JVM exited), then lets the
     * process's own bounded wait end it ({@code waitStop}: the options' stop timeout, then a kill
     * through the launcher).
     */
    private void joinPlaced(Duration timeout) {
        if (monitor != null) {
            try {
                monitor.join(Math.max(1, timeout.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (monitor.isAlive()) {
                LOG.warn("the worker JVM of {} on {} did not stop within {} ms: stopping it", element.name(),
                        placement, timeout.toMillis());
            }
        }
        reapAndJoinMonitor(); // its own bounded wait: the stop timeout, then a kill through the launcher
    }

    /**
     * Closes a local worker's two rings (a queue operation under way on another thread ends
     * first, or the wait for it times out: see {@link #ringsIdle}). The rings' segment is
     * {@link Parallelize}'s, unmapped and removed once every worker using it has been released.
     */
    /** Whether no queue operation was under way on this worker's rings when they were released. */
    boolean ringsIdle() {
        return ringsIdle;
    }

    @Override
    void release() {
        if (in instanceof RingQueue r) {
            // through the rings: the monitor (or a user thread) may be inside a queue operation
            ringsIdle = RingQueue.closeEnds(r, (RingQueue) out);
        }
    }

    @Override
    long pid() {
        return process.pid();
    }

    @Override
    void wakeAll() {
        in.wakeAll();
        out.wakeAll();
    }
}
