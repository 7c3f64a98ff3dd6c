package jvalkka.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.Placement;
import jvalkka.multiprocess.BackendStartException;

/**
 * A producer/consumer pool over worker JVMs: items {@link #put} into a bounded
 * input queue are run through one function by N worker backends, and their
 * {@link Result}s come out of an output queue with {@link #get}. The end marker
 * {@link #putEnd()} lets the workers stop once everything put has been answered.
 *
 * <pre>{@code
 * try (ProcessQueue<Integer, Long> q = ProcessQueue.of(Demo::square).workers(2).capacity(20).start()) {
 *     for (int i = 0; i < 100; i++) {
 *         q.put(i);                         // blocks while 20 items wait
 *     }
 *     q.putEnd();
 *     for (Result<Integer, Long> r; (r = q.get()) != null; ) {
 *         System.out.println(r.index() + ": " + r.getOrThrow());
 *     }
 * }
 * // or, in input order:  List<Long> squares = q.map(inputs);
 * }</pre>
 *
 * <p><b>The function</b> is a {@link SerializableFunction} (a lambda or method
 * reference, serialized to each worker with what it captures), or a
 * {@link Function} class with a no-argument constructor, created in each worker
 * (it may then hold state that cannot cross, such as an open file). Several
 * parameters per item: put a record or a map as the item and unpack it in the
 * function; items and results cross as {@link jvalkka.multiprocess.MessageObject}
 * parameters do (Jackson; records, maps, lists, primitive arrays keep their types).
 *
 * <p><b>Failures are results, never silence.</b> A function that throws fails
 * that item ({@link ItemFailedException.Kind#THREW}, with the worker's exception)
 * and the worker carries on. A worker that dies is replaced; the items it was
 * computing are retried once, each alone, then fail as
 * {@link ItemFailedException.Kind#WORKER_DIED}. Every item put yields exactly one
 * result. Replacements come from a {@linkplain jvalkka.multiprocess.WarmPool warm pool} of
 * {@value #DEFAULT_WARM_POOL} JVM (started in the background while the pool
 * starts; it costs an idle worker's memory while the pool is open, and is
 * stopped with the workers, at the end or by {@link #close()}), so a crashed worker's replacement takes work a
 * few milliseconds after the crash; options with their own
 * {@link BackendOptions#withWarmPool(int)} (0 turns it off) override it.
 *
 * <p><b>Memory: both queues are bounded.</b> At most {@code capacity} items
 * (default {@value #DEFAULT_CAPACITY}) wait in the input queue, and at most
 * {@code outputCapacity} results (default {@value #DEFAULT_OUTPUT_CAPACITY})
 * are in flight or waiting to be taken. A consumer that does not keep up stops
 * the dispatch, then {@code put} blocks: a slow consumer slows the producer, and
 * memory stays bounded. Nothing is dropped. So put and get on different
 * threads (the article's producer/consumer pattern), or use {@link #map}, which
 * does both on one thread. One thread that puts everything and only then gets
 * (as the article's short example does) works for up to
 * {@code capacity + outputCapacity} items; beyond that its {@code put} waits for
 * itself, and after {@value #STALL_SECONDS} s a warning in the log says so.
 * {@link Builder#outputCapacity outputCapacity(Integer.MAX_VALUE)} removes the
 * output bound (results then queue without limit while nobody takes them).
 *
 * <p><b>Threads.</b> All methods are thread-safe: one thread may put while
 * another gets (the article's pattern). {@link #map} needs the queue to itself.
 * A {@code jvalkka-pool-NAME} thread owns the workers. {@link #close()} stops
 * everything; the workers never outlive this JVM.
 *
 * @param <I> the item type
 * @param <O> the result type
 */
public final class ProcessQueue<I, O> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessQueue.class);

    /**
     * Worker JVM options unless {@link Builder#options} says otherwise: the full
     * JIT (workers compute) with the serial collector and without perf data, and a
     * heap that starts small ({@code -Xms8m}) and grows as the function needs. A
     * heap sized to the machine (a 64th of its memory) lets the start's garbage
     * touch tens of megabytes of young generation, and a crashed worker's end is
     * seen only once the kernel has freed every page of it: 9-16 ms after a
     * {@code kill -9} instead of 3, all of it before the replacement may start.
     */
    public static final List<String> WORKER_JVM = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss1m", "-Xms8m");

    /** What a pool was built with. */
    record Config(String name, int workers, int capacity, int outputCapacity, int maxBatch, BackendOptions options, Boolean progress,
            SerializableFunction<?, ?> function, Class<?> functionClass, List<Placement> placements) {
    }

    /** The warm JVMs kept for the workers' replacements unless the options choose ({@link BackendOptions#withWarmPool}). */
    public static final int DEFAULT_WARM_POOL = 1;

    /** The input queue's bound unless {@link Builder#capacity} says otherwise. */
    public static final int DEFAULT_CAPACITY = 1000;
    /** The bound of results in flight or untaken unless {@link Builder#outputCapacity} says otherwise. */
    public static final int DEFAULT_OUTPUT_CAPACITY = 10_000;
    /** How long a put may wait on results that nobody takes before a warning says why. */
    static final int STALL_SECONDS = 10;
    static final long STALL_NANOS = STALL_SECONDS * 1_000_000_000L;

    private final Config config;
    private final Pipe wake;
    private final Queues queues;
    private final Distributor distributor;
    private final Object mapping = new Object();
    private boolean closed;
    /** {@code jvalkka:type=ProcessQueue,name=NAME} while the pool runs. */
    private final javax.management.ObjectName jmxName;

    private ProcessQueue(Config config) {
        this.config = config;
        try {
            this.wake = Pipe.open();
            wake.source().configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException("ProcessQueue " + config.name() + ": cannot open its wake-up pipe", e);
        }
        Distributor[] d = new Distributor[1];
        this.queues = new Queues(config.capacity(), config.outputCapacity(), () -> d[0].wake(), STALL_NANOS,
                () -> LOG.warn("ProcessQueue {}: put() has waited {} s for room while {} result(s) wait untaken and no "
                        + "thread waits in get(): the workers pause at outputCapacity ({}). If the thread that puts "
                        + "is also the one that gets, it waits for itself: get() on another thread, use map(), or "
                        + "raise outputCapacity", config.name(), STALL_NANOS / 1_000_000_000L,
                        waitingResults(), config.outputCapacity()));
        this.distributor = d[0] = new Distributor(config, queues, wake);
        try {
            distributor.start();
        } catch (RuntimeException e) {
            closePipe();
            throw e;
        }
        jmxName = jvalkka.jmx.internal.Jmx.register("ProcessQueue", config.name(), jvalkka.jmx.ProcessQueueMXBean.class,
                distributor.stats);
    }

    /** The name of this pool's MBean, or null when JMX registration is off (for tests). */
    javax.management.ObjectName jmxName() {
        return jmxName;
    }

    private long waitingResults() {
        long[] c = queues.counters();
        return c[1] - c[2];
    }

    /**
     * A pool running {@code function} (a lambda or method reference; it crosses to the workers).
     *
     * @param <I> the item type
     * @param <O> the result type
     * @param function the function each worker runs on every item
     * @return a builder; {@code start()} starts the pool
     */
    public static <I, O> Builder<I, O> of(SerializableFunction<I, O> function) {
        return new Builder<>(Objects.requireNonNull(function, "function"), null);
    }

    /**
     * A pool running a new instance of {@code functionClass} in each worker.
     *
     * @throws IllegalArgumentException when the class has no no-argument constructor, or is abstract
     * @param <I> the item type
     * @param <O> the result type
     * @param functionClass the function class each worker instantiates
     * @return a builder; {@code start()} starts the pool
     */
    public static <I, O> Builder<I, O> of(Class<? extends Function<I, O>> functionClass) {
        Objects.requireNonNull(functionClass, "functionClass");
        if (Modifier.isAbstract(functionClass.getModifiers()) || functionClass.isInterface()) {
            throw new IllegalArgumentException("ProcessQueue.of(" + functionClass.getName()
                    + "): the class is abstract; each worker creates one with its no-argument constructor");
        }
        try {
            functionClass.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("ProcessQueue.of(" + functionClass.getName()
                    + "): the class needs a no-argument constructor (each worker creates its own instance)", e);
        }
        if (functionClass.getEnclosingClass() != null && !Modifier.isStatic(functionClass.getModifiers())) {
            throw new IllegalArgumentException("ProcessQueue.of(" + functionClass.getName()
                    + "): an inner class needs its outer instance; make it a static nested class");
        }
        return new Builder<>(null, functionClass);
    }

    // ----------------------------------------------------------------- producer

    /**
     * Puts an item, waiting while the input queue is full.
     *
     * @return the item's position (0, 1, 2... in put order), as its {@link Result#index()} will say
     * @throws IllegalStateException after {@link #putEnd()} or {@link #close()}
     * @throws InterruptedException when interrupted while waiting for room
     * @param item the item
     */
    public long put(I item) throws InterruptedException {
        return queues.put(item, -1);
    }

    /**
     * Puts an item if room appears within {@code timeout}.
     *
     * @return the item's position, or -1 when the queue stayed full
     * @param item the item
     * @param timeout the longest wait
     * @throws InterruptedException when interrupted while waiting
     */
    public long offer(I item, Duration timeout) throws InterruptedException {
        return queues.put(item, Math.max(0, timeout.toNanos()));
    }

    /**
     * The end marker: no more items. The workers stop once every item put has
     * been answered, and {@link #get()} returns null after the last result.
     */
    public void putEnd() {
        queues.end();
    }

    // ----------------------------------------------------------------- consumer

    /**
     * The next result, in completion order (see {@link Result#index()} for the
     * position), waiting as long as it takes.
     *
     * @return the result, or {@code null} once the end marker was put (or the
     *         queue closed) and every result was taken
     * @throws InterruptedException when interrupted while waiting
     */
    @SuppressWarnings("unchecked")
    public Result<I, O> get() throws InterruptedException {
        return (Result<I, O>) queues.poll(-1);
    }

    /**
     * The next result, waiting up to {@code timeout}.
     *
     * @return the result, or {@code null} when none came in time, or when the
     *         queue is finished and drained ({@link #isFinished()} tells which)
     * @param timeout the longest wait
     * @throws InterruptedException when interrupted while waiting
     */
    @SuppressWarnings("unchecked")
    public Result<I, O> get(Duration timeout) throws InterruptedException {
        return (Result<I, O>) queues.poll(Math.max(0, timeout.toNanos()));
    }

    /**
     * Whether the end marker was put, every item answered and every result taken.
     *
     * @return whether the end marker was put, every item answered and every result taken
     */
    public boolean isFinished() {
        long[] c = queues.counters();
        return queues.endedAndEmpty() && c[2] == c[0];
    }

    // ---------------------------------------------------------------------- map

    /**
     * Runs every input through the pool and returns the values in input order.
     * The queue stays open for more work.
     *
     * @throws ItemFailedException for the first item that failed (the others are suppressed in it),
     *         after every item has been run
     * @throws IllegalStateException when items put by {@link #put} are outstanding, or the queue is ended or closed
     * @param inputs the items to run, in the order their values come back
     * @return the values, in input order
     * @throws InterruptedException when interrupted while waiting
     */
    public List<O> map(Iterable<? extends I> inputs) throws InterruptedException {
        List<Result<I, O>> results = mapResults(inputs);
        List<O> values = new ArrayList<>(results.size());
        ItemFailedException first = null;
        for (Result<I, O> r : results) {
            if (r.ok()) {
                values.add(r.value());
            } else if (first == null) {
                first = r.failure();
            } else if (first.getSuppressed().length < 100) {
                first.addSuppressed(r.failure());
            }
        }
        if (first != null) {
            throw first;
        }
        return values;
    }

    /**
     * Like {@link #map} but returns every {@link Result}, failed ones included, in input order.
     *
     * @param inputs the items to run, in the order their values come back
     * @return the results, in input order
     * @throws InterruptedException when interrupted while waiting
     */
    @SuppressWarnings("unchecked")
    public List<Result<I, O>> mapResults(Iterable<? extends I> inputs) throws InterruptedException {
        synchronized (mapping) {
            if (!queues.idle()) {
                throw new IllegalStateException("map needs the ProcessQueue to itself: items put earlier are still "
                        + "outstanding (take their results with get() first)");
            }
            long base = queues.counters()[0];
            Iterator<? extends I> it = inputs.iterator();
            List<Result<I, O>> byIndex = new ArrayList<>(inputs instanceof Collection<?> c ? c.size() : 16);
            distributor.expectTotal(inputs instanceof Collection<?> c ? base + c.size() : -1);
            List<Result<?, ?>> got = new ArrayList<>();
            long put = 0;
            long received = 0;
            try {
                while (it.hasNext() || received < put) {
                    int n = it.hasNext() ? queues.offerSome(it) : 0;
                    put += n;
                    got.clear();
                    // with nothing put this round, a result is what frees room: wait for one
                    received += queues.drainTo(got, n > 0 ? 0 : 100_000_000L);
                    for (Result<?, ?> r : got) {
                        int at = (int) (r.index() - base);
                        while (byIndex.size() <= at) {
                            byIndex.add(null);
                        }
                        byIndex.set(at, (Result<I, O>) r);
                    }
                    if (n == 0 && got.isEmpty() && (queues.closed() || queues.finished())) {
                        throw new IllegalStateException("map: the ProcessQueue " + (queues.closed() ? "was closed"
                                : "failed (see its log)") + " while map ran; " + (put - received)
                                + " item(s) have no result");
                    }
                }
            } finally {
                distributor.expectTotal(-1);
            }
            return byIndex;
        }
    }

    // -------------------------------------------------------------------- close

    /**
     * Stops the workers and releases everything. Items not yet answered are
     * abandoned (a warning says how many); results already in the output queue
     * can still be taken with {@link #get}. Waits for the workers to exit.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        List<Task> waiting = queues.close();
        distributor.close();
        jvalkka.jmx.internal.Jmx.unregister(jmxName);
        int abandoned = waiting.size() + distributor.abandoned();
        if (abandoned > 0) {
            LOG.warn("ProcessQueue {}: closed with {} item(s) not answered; they were abandoned", config.name(),
                    abandoned);
        }
        closePipe();
    }

    private void closePipe() {
        try {
            wake.sink().close();
            wake.source().close();
        } catch (IOException e) {
            LOG.debug("closing the wake-up pipe: {}", e.toString());
        }
    }

    /** {@code <ProcessQueue pool: 2 workers, 10 put, 7 answered, 5 taken>}. */
    @Override
    public String toString() {
        long[] c = queues.counters();
        return "<ProcessQueue " + config.name() + ": " + config.workers() + " workers, " + c[0] + " put, " + c[1]
                + " answered, " + c[2] + " taken>";
    }

    // ------------------------------------------------------------------ builder

    /**
     * Configures and starts a {@link ProcessQueue}. Not thread-safe; each
     * {@link #start()} makes a new pool.
     */
    public static final class Builder<I, O> {
        private final SerializableFunction<I, O> function;
        private final Class<?> functionClass;
        private String name = "pool";
        private int workers = Runtime.getRuntime().availableProcessors();
        private int capacity = DEFAULT_CAPACITY;
        private int outputCapacity = DEFAULT_OUTPUT_CAPACITY;
        private int maxBatch = 256;
        private BackendOptions options = BackendOptions.defaults().withJvmArgs(WORKER_JVM);
        private Boolean progress;
        private List<Placement> placements = List.of();

        private Builder(SerializableFunction<I, O> function, Class<?> functionClass) {
            this.function = function;
            this.functionClass = functionClass;
        }

        /**
         * The pool's name: its thread, its workers ({@code NAME-1}, ...) and its log lines carry it.
         *
         * @param name the name
         * @return this
         */
        public Builder<I, O> name(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a ProcessQueue name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * How many worker JVMs (default: the number of processors).
         *
         * @param workers how many worker JVMs
         * @return this
         */
        public Builder<I, O> workers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("a ProcessQueue needs at least 1 worker, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /**
         * The bound of the input queue: {@code put} waits while this many items wait
         * (default {@value ProcessQueue#DEFAULT_CAPACITY}).
         *
         * @param capacity the bound
         * @return this
         */
        public Builder<I, O> capacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("a ProcessQueue capacity must be at least 1, got " + capacity);
            }
            this.capacity = capacity;
            return this;
        }

        /**
         * The bound of the results in flight or waiting to be taken (default
         * {@value ProcessQueue#DEFAULT_OUTPUT_CAPACITY}). A consumer that does not
         * keep up stops the workers, then the producer: put and get on different
         * threads, or use {@link ProcessQueue#map}. Results count as objects, not
         * bytes: lower it for large results. {@code Integer.MAX_VALUE} lifts the
         * bound (results queue without limit while nobody takes them).
         *
         * @param outputCapacity the bound of results in flight or untaken
         * @return this
         */
        public Builder<I, O> outputCapacity(int outputCapacity) {
            if (outputCapacity < 1) {
                throw new IllegalArgumentException("an output capacity must be at least 1, got " + outputCapacity);
            }
            this.outputCapacity = outputCapacity;
            return this;
        }

        /**
         * The most items sent to a worker in one message, for cheap items (default 256).
         *
         * @param maxBatch the most items in one message
         * @return this
         */
        public Builder<I, O> maxBatch(int maxBatch) {
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
            }
            this.maxBatch = maxBatch;
            return this;
        }

        /**
         * The workers' JVM options and deadlines (default: {@link #WORKER_JVM} on the core's defaults).
         *
         * @param options the backend options
         * @return this
         */
        public Builder<I, O> options(BackendOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Workers on the nodes of a cluster (this JVM runs a {@code jvalkka.cluster.ClusterDriver}):
         * worker {@code k} starts with {@code placements[k % placements.length]}, so
         * {@code placements(Placement.any())} with n workers lets the driver spread them over the
         * nodes (fewest workers per core first), and a list of {@link Placement#node} names puts
         * them where they are named. A worker that dies, or whose node is lost (unreachable, its
         * agent killed), is replaced with the same placement: with {@code any()} on a node that is
         * left; where its replacement cannot start (a named node that is lost), at the pool's next
         * placement, so that the pool keeps its number of workers (a pool with a single named
         * placement whose node is lost goes on a worker short; its start fails and is logged). The
         * items the lost worker was computing go back to the others, once, as for a crashed worker;
         * results still come in input order. No placement (the default): workers
         * run on this host, or where {@link #options}' placement says.
         *
         * @param placements one or more placements, used in turn
         * @return this
         */
        public Builder<I, O> placements(Placement... placements) {
            if (placements.length == 0) {
                throw new IllegalArgumentException("placements() needs at least one placement");
            }
            for (Placement p : placements) {
                Objects.requireNonNull(p, "a placement");
            }
            this.placements = List.of(placements);
            return this;
        }

        /**
         * Progress line on stderr: true always, false never; by default only on a terminal.
         *
         * @param on whether to show it
         * @return this
         */
        public Builder<I, O> progress(boolean on) {
            this.progress = on;
            return this;
        }

        /**
         * Starts the workers (in parallel) and returns the running pool.
         *
         * @return the running pool
         * @throws BackendStartException when a worker cannot start, for example because the
         *         function captured something that is not serializable (the message names it);
         *         no worker is left running then
         */
        public ProcessQueue<I, O> start() {
            return new ProcessQueue<>(new Config(name, workers, capacity, outputCapacity, maxBatch,
                    options.withWarmPoolDefault(DEFAULT_WARM_POOL), progress, function, functionClass, placements));
        }
    }
}
