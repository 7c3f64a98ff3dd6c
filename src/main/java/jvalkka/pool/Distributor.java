package jvalkka.pool;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jvalkka.multiprocess.BackendException;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.PipeClosedException;
import jvalkka.multiprocess.Placement;
import jvalkka.multiprocess.Select;
import jvalkka.pool.ItemFailedException.Kind;
import jvalkka.pool.WorkerSlot.Notice;

/**
 * The thread that owns a {@link ProcessQueue}'s workers: it hands items out in
 * batches, collects the answers into the output queue, and replaces workers
 * that die. It sleeps in {@link Select#safeSelect} over the workers' pipes and a
 * wake-up pipe, which producers, consumers and the reader threads poke only when
 * it asked them to.
 *
 * <p><b>Distribution.</b> While items wait, a worker holds the batch it
 * computes and more: at least two batches, and up to about
 * {@link #HOLD_NANOS} of work, so that it never waits for the round trip of an
 * answer (which, with every core busy, can take milliseconds). When fewer items
 * wait than there are workers, only idle workers get one, so the tail of a run
 * is spread out. A batch is sized to the work that makes a message's cost small
 * beside it, for each worker: {@link #OVERHEAD_FACTOR} times what that worker's
 * batches cost beyond the function (measured: a worker across a network, or on a
 * machine whose cores are all busy, pays more per message), at least
 * {@link #TARGET_BATCH_NANOS}, at most {@link #MAX_TARGET_BATCH_NANOS}, divided by
 * the measured cost per item (one item when items are slow, up to {@code maxBatch}
 * when they are cheap), and never above a fair share of what waits, which keeps
 * the tail of a run fine-grained.
 *
 * <p><b>Crashes.</b> When a worker dies, the items of the batch it was computing
 * count one crash each and go back, each alone, to the other workers (or its
 * replacement); a second crash fails the item. Batches it had not started go
 * back without a mark. Answers it sent before it died are kept: its end is
 * reported only after they were read. Its replacement starts earlier, at the
 * first sign of the death (its main pipe's end), so that the replacement's
 * start overlaps the reading of its last answers and of its exit status.
 */
final class Distributor implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Distributor.class);
    static final long TARGET_BATCH_NANOS = 1_000_000;
    /** A batch holds this many times its measured cost beyond the function (see {@link #targetNanos}). */
    static final double OVERHEAD_FACTOR = 20;
    static final long MAX_TARGET_BATCH_NANOS = 50_000_000;
    private static final int MAX_HELD_BATCHES = 8;
    static final long HOLD_NANOS = 20_000_000;
    private static final int CRASHES_TO_FAIL = 2;
    private static final double COST_DECAY = 0.97;

    private final ProcessQueue.Config config;
    /** Where each worker of a pool with placements runs (distributor thread, and start() before it). */
    private final Map<PoolWorker, Placement> placements = new java.util.concurrent.ConcurrentHashMap<>();
    private final Queues queues;
    private final ProgressView progress;
    private final Pipe wake;
    private final AtomicBoolean asleep = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Notice> events = new ConcurrentLinkedQueue<>();
    private final List<WorkerSlot> slots = new ArrayList<>();
    private final ArrayDeque<Task> retries = new ArrayDeque<>();
    /**
     * Starts replacements, each start on a thread of its own (a start waits for its JVM);
     * a thread that started one waits a while for the next, so that a replacement's start
     * after a crash does not first pay for a new thread (0.5-1 ms, measured).
     */
    private final java.util.concurrent.ThreadPoolExecutor starters = new java.util.concurrent.ThreadPoolExecutor(0,
            Integer.MAX_VALUE, 60, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
            r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            });
    private final ByteBuffer drain = ByteBuffer.allocate(64);

    /** Items sent to workers and not answered, plus retries waiting to go. */
    private int inFlight;
    private int starting;
    private int workerSeq;
    private int deathsWithoutAnswer;
    private RuntimeException noWorkersReason;
    /** Decaying sums of the workers' compute time and items: their ratio is the cost of an item. */
    private double costNanos;
    private double costItems;
    private volatile boolean closing;
    private volatile boolean shuttingDown;
    private volatile long expectedTotal = -1;
    private Thread thread;
    /** The JMX view's per-worker counts. */
    final PoolStats stats;

    Distributor(ProcessQueue.Config config, Queues queues, Pipe wake) {
        this.config = config;
        this.queues = queues;
        this.stats = new PoolStats(config.name(), queues);
        this.wake = wake;
        this.progress = ProgressView.forMode(config.name(), config.progress());
    }

    /** Starts the first workers (in parallel) and the thread; on failure nothing is left running. */
    void start() {
        List<PoolWorker> first = new ArrayList<>();
        List<Placement> where = config.placements();
        for (int i = 0; i < config.workers(); i++) {
            first.add(newWorker(where.isEmpty() ? null : where.get(i % where.size())));
        }
        try {
            MessageProcess.startAll(first);
        } catch (RuntimeException e) {
            for (PoolWorker w : first) {
                stopQuietly(w);
            }
            throw e;
        }
        for (PoolWorker w : first) {
            WorkerSlot s = new WorkerSlot(w);
            slots.add(s);
            stats.joined(w.getName());
            s.startReader(this::post);
        }
        thread = new Thread(this, "jvalkka-pool-" + config.name());
        thread.setDaemon(true);
        thread.start();
    }

    /** A worker with the pool's options, placed at {@code placement} when the pool has placements (else null). */
    private PoolWorker newWorker(Placement placement) {
        PoolWorker w = new PoolWorker(config.name() + "-" + (++workerSeq), config.function(), config.functionClass());
        w.setOptions(placement == null ? config.options() : config.options().withPlacement(placement));
        if (placement != null) {
            placements.put(w, placement);
        }
        return w;
    }

    /** Any thread: wakes the distributor if it sleeps. */
    void wake() {
        if (asleep.getAndSet(false)) {
            try {
                wake.sink().write(ByteBuffer.wrap(new byte[] {1}));
            } catch (IOException e) {
                // the pool is closing: nobody needs waking any more
            }
        }
    }

    private void post(Notice e) {
        events.add(e);
        wake();
    }

    void expectTotal(long total) {
        expectedTotal = total;
    }

    /** Stops the thread and every worker, abandoning what they hold; waits for them. */
    void close() {
        closing = true;
        asleep.set(true);
        wake();
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Items sent to workers (or waiting for a retry) when the thread ended. */
    int abandoned() {
        return inFlight;
    }

    // --------------------------------------------------------------------- loop

    @Override
    public void run() {
        try {
            while (true) {
                handleEvents();
                if (closing) {
                    break;
                }
                dispatch();
                if (inFlight == 0 && queues.endedAndEmpty()) {
                    shutdown(false);
                    tickProgress();
                    queues.finish();
                    return;
                }
                tickProgress();
                sleep();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("ProcessQueue {}: the distributor failed: {}", config.name(), e.toString(), e);
            failEverything(e);
        }
        shutdown(true);
    }

    private void tickProgress() {
        if (progress != null) {
            long[] c = queues.counters();
            long total = queues.ended() ? c[0] : expectedTotal;
            progress.tick(System.nanoTime(), c[1], c[0], total);
        }
    }

    private void sleep() {
        asleep.set(true);
        if (!events.isEmpty() || closing) {
            asleep.set(false);
            return;
        }
        int idle = 0;
        int prefetch = 0;
        int live = 0;
        for (WorkerSlot s : slots) {
            live++;
            if (s.batches.isEmpty()) {
                idle++;
            } else if (wantsMore(s)) {
                prefetch++;
            }
        }
        boolean starved = live == 0 && starting == 0;
        if (!queues.armWake(idle, prefetch, live, starved, inFlight)) {
            asleep.set(false);
            return;
        }
        List<Object> reads = new ArrayList<>(slots.size() + 1);
        reads.add(wake.source());
        for (WorkerSlot s : slots) {
            if (!s.mainClosed) {
                reads.add(s.pipe);
            }
        }
        Select.Ready r = Select.safeSelect(reads, List.of(), List.of(), progress != null ? 0.25 : 1.0);
        asleep.set(false);
        for (Object o : r.reads()) {
            if (o == wake.source()) {
                drainWake();
            } else {
                for (WorkerSlot s : slots) {
                    if (s.pipe == o) {
                        drainMain(s);
                    }
                }
            }
        }
    }

    private void drainWake() {
        try {
            while (true) {
                drain.clear();
                if (wake.source().read(drain) <= 0) {
                    return;
                }
            }
        } catch (IOException e) {
            // closed: the loop ends anyway
        }
    }

    /**
     * The main pipe carries only the core's error reports and, at the end, the
     * "exited" event (a death) or the stop marker, then EOF. Its end is the first
     * sign of a death: the replacement starts then ({@link #replaceEarly}),
     * without taking the "exited" event, which waits for the exit status (the
     * kernel gives it after the end of the worker's channels, a few milliseconds
     * later on a busy machine, up to a second for a worker that closed its
     * channels and lives on); its end comes from its reader, which waits for it.
     */
    private void drainMain(WorkerSlot s) {
        while (s.pipe.poll(0)) {
            if (s.pipe.atEnd()) {
                s.mainClosed = true; // nothing more can come: no longer selected on
                replaceEarly(s);
                return;
            }
            try {
                MessageObject m = s.pipe.recv();
                if (m != null && jvalkka.multiprocess.Restarter.isExited(m)) {
                    replaceEarly(s); // its EOF follows; its answers and then its end come from its reader
                } else if (m != null) {
                    // the core dropped a message it could not decode (an item that encodes but does not
                    // decode): ask which batches never arrived; the answer comes after all the others
                    LOG.warn("ProcessQueue {}: worker {} reported {}", config.name(), s.describe(), m);
                    s.lastFault = String.valueOf(m.get("reason"));
                    try {
                        s.worker.sendMessageToBack(new MessageObject(PoolWorker.SYNC, "upTo", s.lastSeq));
                    } catch (PipeClosedException e) {
                        // it is gone: its end retries what it held
                    }
                }
            } catch (PipeClosedException e) {
                s.mainClosed = true; // EOF: its end comes as an event once its answers are read
                replaceEarly(s);
                return;
            }
        }
    }

    /**
     * A worker's main pipe ended without a stop asked for: it is dead, or dying.
     * Its replacement starts now, while the reader still reads the answers it
     * sent and its exit status comes in, instead of after {@link #died}: a warm
     * JVM's start and the death's notice then overlap. What it held is still
     * handed back by {@link #died} only, once its answers are all read. No early
     * start when the run of deaths without an answer would stop replacements
     * ({@link #died} decides then), nor while shutting down, nor for a worker on
     * another node: its pipe may end because its node is being lost, which the
     * driver may not know yet, and a replacement placed there would fail.
     */
    private void replaceEarly(WorkerSlot s) {
        if (s.replaced || s.gone || shuttingDown || closing || placements.get(s.worker) != null
                || config.options().placement() != null
                || (!s.answered && deathsWithoutAnswer + 1 >= 3 * config.workers())) {
            return;
        }
        s.replaced = true;
        respawn(null);
    }

    // ------------------------------------------------------------------- events

    private void handleEvents() {
        Notice e;
        while ((e = events.poll()) != null) {
            switch (e.kind()) {
                case DONE -> answered(e.slot(), e.done());
                case DIED -> died(e.slot());
                case STARTED -> started(e.slot());
                case START_FAILED -> startFailed(e.slot(), e.startFailure());
                default -> throw new IllegalStateException("unknown event " + e);
            }
        }
    }

    private void answered(WorkerSlot s, MessageObject m) {
        if (PoolWorker.SYNCED.equals(m.command())) {
            synced(s, ((Number) m.get("upTo")).longValue());
            return;
        }
        Batches.Decoded answer = Batches.read(m, "values");
        long seq = answer.seq();
        long[] ids = answer.ids();
        List<?> values = answer.values();
        List<?> errors = answer.errors();
        long ns = answer.ns(); // -1: not given
        while (!s.batches.isEmpty() && s.batches.peekFirst().seq() < seq) {
            lost(s, s.batches.poll()); // answers come in order: an earlier batch never reached the function
        }
        WorkerSlot.Batch head = s.batches.peekFirst();
        if (head == null || head.seq() != seq) {
            LOG.error("ProcessQueue {}: worker {} answered batch {}, which it does not hold: ignored",
                    config.name(), s.describe(), seq);
            return;
        }
        Map<?, ?>[] errorAt = new Map<?, ?>[ids.length];
        if (errors != null) {
            for (Object o : errors) {
                Map<?, ?> err = (Map<?, ?>) o;
                errorAt[((Number) err.get("pos")).intValue()] = err;
            }
        }
        List<Result<?, ?>> out = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            Task t = head.tasks().peek();
            if (t == null || t.index != ids[i]) {
                LOG.error("ProcessQueue {}: worker {} answered item #{} out of turn: ignored", config.name(),
                        s.describe(), ids[i]);
                continue;
            }
            head.tasks().poll();
            out.add(errorAt[i] == null ? new Result<>(t.index, t.input, values.get(i), null)
                    : new Result<>(t.index, t.input, null, failureOf(t.index, errorAt[i], s)));
        }
        if (head.tasks().isEmpty()) {
            s.batches.poll();
            if (ns >= 0) {
                noteOverhead(s, head, ns);
            }
        }
        inFlight -= out.size();
        stats.answered(s.worker.getName(), out.size());
        s.answered = true;
        deathsWithoutAnswer = 0;
        if (ns > 0 && !out.isEmpty()) {
            // an average over the last few dozen answers: item costs can be bimodal (the article's
            // cal_pow), and a short memory would take a run of cheap items for cheap items to come
            costNanos = COST_DECAY * costNanos + ns;
            costItems = COST_DECAY * costItems + out.size();
        }
        queues.deliver(out);
    }

    /** Batches up to {@code upTo} still held were never decoded by the worker. */
    private void synced(WorkerSlot s, long upTo) {
        while (!s.batches.isEmpty() && s.batches.peekFirst().seq() <= upTo) {
            lost(s, s.batches.poll());
        }
    }

    /** A batch the worker dropped undecoded: its items go again, each alone; an item alone fails. */
    private void lost(WorkerSlot s, WorkerSlot.Batch b) {
        if (b.tasks().size() == 1) {
            Task t = b.tasks().poll();
            inFlight--;
            queues.deliver(List.of(new Result<>(t.index, t.input, null, new ItemFailedException(t.index,
                    Kind.NOT_SENDABLE, "the worker could not decode the item: " + s.lastFault, null, null, null))));
        } else {
            retries.addAll(b.tasks());
        }
    }

    private static ItemFailedException failureOf(long index, Map<?, ?> e, WorkerSlot s) {
        String type = (String) e.get("type");
        String message = (String) e.get("message");
        Throwable cause = null;
        if (e.get("exception") instanceof byte[] bytes) {
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
                cause = (Throwable) in.readObject();
            } catch (IOException | ClassNotFoundException | ClassCastException ex) {
                cause = null;
            }
        }
        if (cause == null) {
            cause = new BackendException(type, message, null);
        }
        Kind kind = Kind.valueOf((String) e.get("kind"));
        return new ItemFailedException(index, kind, type + ": " + message + " (in worker " + s.describe() + ")",
                type, (String) e.get("trace"), cause);
    }

    private void died(WorkerSlot s) {
        if (s.gone) {
            return;
        }
        s.gone = true;
        slots.remove(s);
        Placement placement = placements.remove(s.worker);
        stats.left(s.worker.getName());
        if (shuttingDown) {
            stopQuietly(s.worker); // reaps it; it has exited already
            return;
        }
        if (s.worker.isAlive()) {
            stopQuietly(s.worker); // its reader failed before its end: end it first, to say how it ended
        }
        String why = s.describe() + " exited with status " + s.worker.exitCode();
        int held = 0;
        for (WorkerSlot.Batch b : s.batches) {
            held += b.tasks().size();
        }
        LOG.warn("ProcessQueue {}: worker {}; {} item(s) it held go back to the queue", config.name(), why, held);
        List<Result<?, ?>> failed = new ArrayList<>();
        boolean computing = true;
        for (WorkerSlot.Batch b : s.batches) {
            for (Task t : b.tasks()) {
                if (computing) {
                    t.crashes++;
                    t.deaths += (t.deaths.isEmpty() ? "" : "; ") + why;
                }
                if (t.crashes >= CRASHES_TO_FAIL) {
                    failed.add(new Result<>(t.index, t.input, null, new ItemFailedException(t.index, Kind.WORKER_DIED,
                            "the worker running it died " + t.crashes + " times (" + t.deaths + ")", null, null,
                            null)));
                } else {
                    retries.add(t);
                }
            }
            computing = false;
        }
        s.batches.clear();
        inFlight -= failed.size();
        queues.deliver(failed);
        if (!s.answered && ++deathsWithoutAnswer >= 3 * config.workers()) {
            noWorkersReason = new IllegalStateException(deathsWithoutAnswer
                    + " workers in a row died before answering anything; not starting more (last: " + why + ")");
            LOG.error("ProcessQueue {}: {}", config.name(), noWorkersReason.getMessage());
        } else if (!s.replaced) {
            s.replaced = true;
            respawn(placement);
        }
        stopQuietly(s.worker); // reaps it (it has exited already), after the replacement's start began
    }

    /** The placement after {@code failed} in the pool's list that differs from it, or null. */
    private Placement nextPlacement(Placement failed) {
        List<Placement> where = config.placements();
        int at = where.indexOf(failed);
        for (int k = 1; k < where.size(); k++) {
            Placement p = where.get((at + k) % where.size());
            if (!p.equals(failed)) {
                return p;
            }
        }
        return null;
    }

    /** Starts a replacement, placed as the worker it replaces was (with Placement.any(), on any node left). */
    private void respawn(Placement placement) {
        respawn(placement, 0);
    }

    /** {@link #respawn(Placement)}; {@code tries}: the placements this worker's replacement failed to start at. */
    private void respawn(Placement placement, int tries) {
        if (queues.closed() || noWorkersReason != null) {
            return;
        }
        PoolWorker w = newWorker(placement);
        WorkerSlot s = new WorkerSlot(w);
        s.placementTries = tries;
        starting++;
        starters.execute(() -> {
            Thread.currentThread().setName("jvalkka-pool-start-" + w.getName());
            try {
                w.start();
                post(new Notice(WorkerSlot.Kind.STARTED, s, null, null));
            } catch (RuntimeException e) {
                post(new Notice(WorkerSlot.Kind.START_FAILED, s, null, e));
            }
        });
    }

    private void started(WorkerSlot s) {
        starting--;
        if (shuttingDown || closing) {
            stopQuietly(s.worker);
            return;
        }
        slots.add(s);
        stats.joined(s.worker.getName());
        dispatch(); // what waits for it (a crashed worker's items) goes before its reader's and the log's costs
        s.startReader(this::post);
        LOG.info("ProcessQueue {}: replacement worker {} started", config.name(), s.describe());
    }

    private void startFailed(WorkerSlot s, RuntimeException e) {
        starting--;
        Placement failedAt = placements.remove(s.worker);
        Placement next = failedAt == null || s.placementTries + 1 >= config.placements().size() ? null
                : nextPlacement(failedAt);
        if (next != null && !shuttingDown && !closing) {
            // its node is gone (lost, or never there): the worker goes to the pool's next placement instead, so
            // that a lost node does not leave the pool a worker short; at most one try per placement of the pool
            LOG.warn("ProcessQueue {}: a replacement worker failed to start at {} ({}); starting it at {}",
                    config.name(), failedAt, e.getMessage(), next);
            respawn(next, s.placementTries + 1);
            return;
        }
        LOG.error("ProcessQueue {}: a replacement worker failed to start: {}", config.name(), e.getMessage());
        if (slots.isEmpty() && starting == 0) {
            noWorkersReason = e;
        }
    }

    // ----------------------------------------------------------------- dispatch

    private void dispatch() {
        if (slots.isEmpty()) {
            if (starting == 0) {
                failForNoWorkers();
            }
            return;
        }
        int live = slots.size();
        int queued = queues.inputSize();
        int room = queues.outputRoom(inFlight);
        // first every idle worker gets a batch; then, while enough waits, each gets more up to its hold
        for (int depth = 1; depth <= MAX_HELD_BATCHES; depth++) {
            if (depth > 1 && queued + retries.size() < live) {
                return;
            }
            for (int i = 0; i < slots.size(); i++) {
                WorkerSlot s = slots.get(i);
                if (s.batches.size() >= depth || !wantsMore(s)) {
                    continue;
                }
                List<Task> batch = new ArrayList<>();
                if (!retries.isEmpty()) {
                    batch.add(retries.poll()); // alone: if it crashes again, it is the culprit
                } else {
                    if (room <= 0 || queued <= 0) {
                        return;
                    }
                    int size = batchSize(s, queued, live, room);
                    queues.take(size, batch);
                    if (batch.isEmpty()) {
                        return;
                    }
                    queued -= batch.size();
                    room -= batch.size();
                    inFlight += batch.size();
                }
                send(s, batch);
            }
        }
    }

    /**
     * Whether a worker should be sent more while items wait: it holds fewer
     * than two batches, or less than {@link #HOLD_NANOS} of work. Cheap items
     * finish at once, and the answer's round trip (several thread wake-ups on
     * a machine whose cores the workers keep busy) must not leave it idle.
     */
    private boolean wantsMore(WorkerSlot s) {
        int n = s.batches.size();
        if (n < 2) {
            return true;
        }
        if (n >= MAX_HELD_BATCHES) {
            return false;
        }
        int held = 0;
        for (WorkerSlot.Batch b : s.batches) {
            held += b.tasks().size();
        }
        return held * nanosPerItem() < HOLD_NANOS;
    }

    private double nanosPerItem() {
        return costItems > 0 ? costNanos / costItems : -1;
    }

    private int batchSize(WorkerSlot s, int queued, int live, int room) {
        return batchSize(nanosPerItem(), targetNanos(s.overheadNanos), queued, live, room, config.maxBatch());
    }

    /**
     * The work a batch for a worker should hold: {@link #OVERHEAD_FACTOR} times what each of its
     * batches costs beyond the function ({@code overheadNanos}, measured; negative before that), so
     * that a message's cost (the worker's decode and answer, between one item and the next, the
     * wake-ups at both ends, a network's round trip) stays a few percent of the work; at least
     * {@link #TARGET_BATCH_NANOS}, at most {@link #MAX_TARGET_BATCH_NANOS}.
     */
    static long targetNanos(double overheadNanos) {
        return (long) Math.max(TARGET_BATCH_NANOS, Math.min(MAX_TARGET_BATCH_NANOS, OVERHEAD_FACTOR * overheadNanos));
    }

    /**
     * Notes the time a worker's batch cost beyond its function: from when it could start it (sent,
     * or the worker's previous answer, whichever came later) to its answer, less the function's
     * time, as a moving average per worker.
     */
    private static void noteOverhead(WorkerSlot s, WorkerSlot.Batch b, long computeNanos) {
        long now = System.nanoTime();
        long from = s.lastAnswerNanos == 0 ? b.sentNanos() : Math.max(b.sentNanos(), s.lastAnswerNanos);
        s.lastAnswerNanos = now;
        long o = now - from - computeNanos;
        if (computeNanos > 0 && o >= 0) {
            s.overheadNanos = s.overheadNanos < 0 ? o : 0.8 * s.overheadNanos + 0.2 * o;
        }
    }

    /**
     * The size of the next batch, a pure function of what the distributor knows: about
     * {@link #TARGET_BATCH_NANOS} of work at the measured {@code nanosPerItem} (8 items
     * before any is measured, negative), never more than a fair share (half of
     * {@code queued} spread over {@code live} workers, so that every worker gets work
     * twice), than {@code room} in the worker's hold, or than {@code maxBatch}; at least 1.
     */
    static int batchSize(double nanosPerItem, int queued, int live, int room, int maxBatch) {
        return batchSize(nanosPerItem, TARGET_BATCH_NANOS, queued, live, room, maxBatch);
    }

    /** {@link #batchSize(double, int, int, int, int)} with about {@code targetNanos} of work (rounded). */
    static int batchSize(double nanosPerItem, long targetNanos, int queued, int live, int room, int maxBatch) {
        int bySpeed = nanosPerItem < 0 ? 8
                : (int) Math.max(1, Math.min(maxBatch, Math.round(targetNanos / Math.max(1.0, nanosPerItem))));
        int fair = (int) Math.max(1, (queued + 2L * live - 1) / (2L * live));
        return Math.max(1, Math.min(Math.min(bySpeed, fair), Math.min(room, maxBatch)));
    }

    private void send(WorkerSlot s, List<Task> batch) {
        long[] ids = new long[batch.size()];
        ArrayList<Object> items = new ArrayList<>(batch.size());
        for (int i = 0; i < ids.length; i++) {
            ids[i] = batch.get(i).index;
            items.add(batch.get(i).input);
        }
        try {
            s.worker.sendMessageToBack(Batches.simple(items)
                    ? new MessageObject(PoolWorker.RUN, Batches.PACKED, Batches.encode(s.lastSeq + 1, ids, items))
                    : new MessageObject(PoolWorker.RUN, "seq", s.lastSeq + 1, "ids", ids, "items", items));
            s.batches.add(new WorkerSlot.Batch(++s.lastSeq, new ArrayDeque<>(batch), System.nanoTime()));
        } catch (IllegalArgumentException e) {
            if (batch.size() > 1) {
                for (Task t : batch) { // find the item that cannot be encoded; the others go
                    send(s, List.of(t));
                }
                return;
            }
            Task t = batch.get(0);
            inFlight--;
            queues.deliver(List.of(new Result<>(t.index, t.input, null, new ItemFailedException(t.index,
                    Kind.NOT_SENDABLE, "the item cannot be sent to a worker: " + e.getMessage(), null, null, e))));
        } catch (PipeClosedException e) {
            // the worker is gone; its end arrives as an event. The batch never reached it: no crash mark.
            retries.addAll(batch);
        }
    }

    private void failForNoWorkers() {
        RuntimeException why = noWorkersReason != null ? noWorkersReason
                : new IllegalStateException("no worker is running");
        List<Result<?, ?>> failed = new ArrayList<>();
        for (Task t : retries) {
            failed.add(noWorker(t, why));
        }
        inFlight -= retries.size();
        retries.clear();
        int room = queues.outputRoom(inFlight + failed.size());
        if (room > 0) {
            List<Task> ts = new ArrayList<>();
            queues.take(room, ts);
            for (Task t : ts) {
                failed.add(noWorker(t, why));
            }
        }
        queues.deliver(failed);
    }

    private static Result<?, ?> noWorker(Task t, RuntimeException why) {
        return new Result<>(t.index, t.input, null, new ItemFailedException(t.index, Kind.NO_WORKERS,
                "no worker could run it: " + why.getMessage(), null, null, why));
    }

    private void failEverything(Throwable cause) {
        RuntimeException why = new IllegalStateException("the ProcessQueue failed: " + cause, cause);
        List<Result<?, ?>> failed = new ArrayList<>();
        for (WorkerSlot s : slots) {
            for (WorkerSlot.Batch b : s.batches) {
                for (Task t : b.tasks()) {
                    failed.add(noWorker(t, why));
                }
            }
            s.batches.clear();
        }
        for (Task t : retries) {
            failed.add(noWorker(t, why));
        }
        retries.clear();
        inFlight = 0;
        queues.deliver(failed);
        queues.finish();
    }

    // ----------------------------------------------------------------- shutdown

    /** Stops every worker; {@code abandon}: those still computing are terminated rather than awaited. */
    private void shutdown(boolean abandon) {
        shuttingDown = true;
        for (WorkerSlot s : slots) {
            s.worker.requestStop();
        }
        if (abandon) {
            for (WorkerSlot s : slots) {
                if (!s.batches.isEmpty()) {
                    // it would finish its batches first; ended through its Process, never by a pid, which for a
                    // worker placed on another host names a process of that host, not of this one
                    s.worker.terminate();
                }
            }
        }
        for (WorkerSlot s : slots) {
            stopQuietly(s.worker);
        }
        starters.shutdown(); // the starts under way finish (a start is bounded by its timeout); their threads end
        try {
            starters.awaitTermination(config.options().startTimeout().toMillis() + 5000,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Notice e;
        while ((e = events.poll()) != null) {
            if (e.kind() == WorkerSlot.Kind.STARTED) {
                stopQuietly(e.slot().worker);
            }
        }
        for (WorkerSlot s : slots) {
            s.joinReader(1000);
        }
        jvalkka.multiprocess.WarmPool.stop(config.options()); // no more replacements: the spare goes too
    }

    private void stopQuietly(PoolWorker w) {
        try {
            w.stop();
        } catch (RuntimeException e) {
            LOG.warn("ProcessQueue {}: stopping {} failed: {}", config.name(), w, e.toString());
        }
    }
}
