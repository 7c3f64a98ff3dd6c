package jvalkka.multiprocess;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jvalkka.shm.internal.ExitSequence;

/**
 * Warm backend JVMs: started ahead of time, booted as far as a backend boots
 * without its process object, then blocked reading their boot line, for a
 * {@code start()} to take ({@link BackendOptions#withWarmPool(int)}).
 *
 * <p><b>What a warm JVM is.</b> The very command a {@code start()} would run
 * (the same {@code java}, JVM options, class path or module path and
 * class-data sharing), shown in {@code ps} as
 * {@code -Djvalkka.process=warm-<n> -Djvalkka.warm=true}; that stays its
 * command line after it was taken (a JVM cannot change it), while its backend
 * names itself after the process. Before it blocks it rehearses a backend's
 * start with jvalkka's own process classes ({@link WarmUp}), never with a class
 * of the application. Then it connects to a channel this JVM opened for it, as
 * a backend connects to its frontend, and this JVM accepts both connections
 * with a start's checks (the peer of each must be that JVM's pid and this user,
 * with the one-time token) before the warm JVM counts as ready: so a
 * {@code start()} whose command matches one (the label aside) takes it, writes
 * it the process's name and sends the boot frame on connections proven before,
 * and goes on exactly as with a fresh JVM (the process object is sent and
 * restored as always; nothing is read from the warm JVM before it was proven).
 * A request that matches no idle warm JVM starts a JVM as without a pool.
 *
 * <p><b>What it guarantees.</b> The process's class and every class of the
 * application are first loaded after it was taken (only jvalkka's and its
 * libraries' are loaded before), so its statics and static initialisers are
 * those of a fresh JVM, and the process object is the one restored from the
 * frontend. A warm JVM dies with this JVM: its standard input is a pipe from
 * this JVM and it halts at its end (so also when this JVM is killed with
 * {@code kill -9}); the run record lists it, so {@code scripts/cleanup} finds it
 * too. Idle warm JVMs are stopped first thing at exit, with the backends. They
 * are never counted as this JVM's processes (no {@code MainContext} or
 * {@code ProcessQueue} statistics, no JMX bean) until they are taken.
 *
 * <p><b>What it costs.</b> Each idle warm JVM holds its resident memory (a
 * little more than an idle backend, some 50 to 65 MB with the default JVM options;
 * {@code scripts/bench messageprocess} reports it as {@code warm_idle_rss_mb})
 * and no CPU. Refilling the pool costs a JVM's start (its CPU) in the
 * background, one JVM at a time, from {@code jvalkka.warm.refillDelayMillis}
 * (default 20) after each start that took one is done. At most
 * {@link #MAX_WARM} warm JVMs exist in this JVM (the property
 * {@code jvalkka.warm.max}, default 8), the least recently asked-for kind of
 * JVM giving way to a new one.
 *
 * <p>A kind of JVM whose warm JVM exits before it was taken (a JVM option it
 * refuses, say) is not refilled until the next start asks for it again; the
 * start itself reports the failure as without a pool. Thread-safe.
 */
public final class WarmPool {
    private static final Logger LOG = LoggerFactory.getLogger(WarmPool.class);
    /** The largest pool one kind of JVM may ask for. */
    public static final int MAX_PER_KIND = 64;
    /** The most warm JVMs this JVM keeps, over all kinds ({@code -Djvalkka.warm.max}, default 8). */
    public static final int MAX_WARM = Math.max(1, Integer.getInteger("jvalkka.warm.max", 8));
    /** The property that makes a backend JVM warm (set on its command line only). */
    static final String WARM_PROPERTY = "jvalkka.warm";
    /** What a warm JVM writes on its standard error once it waits for its boot line. */
    static final int READY_BYTE = 6;
    private static final String LABEL_OPTION = "-Djvalkka.process=";
    private static final long READY_TIMEOUT_SECONDS = 120;
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** By kind (the command without label and sharing options), least recently asked for first. */
    private static final LinkedHashMap<List<String>, Kind> KINDS = new LinkedHashMap<>(16, 0.75f, true);
    /** Warm JVMs being started by the refiller (stopped at exit too). */
    private static final Map<Process, Kind> STARTING = new ConcurrentHashMap<>();
    /** Warm JVMs being started that {@link #stopAll} ended: their end is no failure. */
    private static final Set<Process> ENDED = ConcurrentHashMap.newKeySet();
    private static Thread refiller;
    /** Whether the pool holds the reply thread ({@link ReplyRouter#hold}): while a kind is kept. Guarded by WarmPool.class. */
    private static boolean holdsRouter;
    private static volatile boolean exiting;
    /**
     * How long after a start that took a warm JVM is done the pool waits before
     * it refills ({@code -Djvalkka.warm.refillDelayMillis}, default 20): a JVM's
     * boot takes every core of a small machine for a while, and the taken JVM's
     * first messages come right after its start.
     */
    private static final long REFILL_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(
            Math.max(0, Long.getLong("jvalkka.warm.refillDelayMillis", 20)));
    /** The longest a take holds the refill back when its start never says it is done. */
    private static final long REFILL_HOLD_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** No refill starts before this {@code System.nanoTime()}. Guarded by WarmPool.class. */
    private static long quietUntil = System.nanoTime();
    /** Starts that took a warm JVM and are not done yet. Guarded by WarmPool.class. */
    private static int takenStarting;

    static {
        ExitSequence.add(ExitSequence.Phase.STOP_BACKENDS, WarmPool::atExit);
    }

    /**
     * For tests: called with the warm JVM a start took, right before the start
     * hands it over (writes its take line).
     */
    static volatile java.util.function.Consumer<Process> beforeHandOver;

    private WarmPool() {
    }

    /** One kind of warm JVM: its latest command, its target, its idle JVMs. Guarded by WarmPool.class. */
    private static final class Kind {
        final List<String> key;
        List<String> command;
        int labelAt;
        int target;
        BackendOptions options;
        boolean failed;
        int starting;
        int generation;
        final ArrayDeque<WarmJvm.Connected> idle = new ArrayDeque<>();

        Kind(List<String> key) {
            this.key = key;
        }
    }

    // ---------------------------------------------------------------- taking

    /**
     * A warm JVM for a start with {@code options} whose command is {@code cmd}
     * (naming the backend {@code label}, with the sharing options
     * {@code sharingArgs}) and restoring a process of class {@code processClass}
     * (its take line names it: the JVM loads it while the start serialises the
     * process; {@code plain}: the process crosses as field values, {@link ProcessTransfer}),
     * or null when the options ask for no pool or none is idle. Either way,
     * records the demand so that the pool (re)fills.
     */
    static WarmJvm.Connected take(BackendOptions options, List<String> cmd, String label, List<String> sharingArgs,
            String processClass, boolean plain) {
        int n = options.warmPool();
        if (n <= 0 || options.placement() != null) {
            return null;
        }
        int labelAt = cmd.indexOf(LABEL_OPTION + label);
        if (labelAt < 0) {
            return null;
        }
        List<String> key = key(cmd, labelAt, sharingArgs);
        WarmJvm.Connected taken = null;
        synchronized (WarmPool.class) {
            if (exiting) {
                return null;
            }
            if (!holdsRouter) {
                holdsRouter = true;
                ReplyRouter.hold(); // starts are expected: the reply thread stays for them
            }
            Kind k = KINDS.computeIfAbsent(key, Kind::new);
            k.command = List.copyOf(cmd);
            k.labelAt = labelAt;
            k.target = Math.min(n, MAX_WARM);
            k.options = options;
            k.failed = false;
            WarmJvm.Connected w;
            while ((w = k.idle.pollFirst()) != null) {
                if (w.process.isAlive()) {
                    taken = w;
                    takenStarting++;
                    quiet(REFILL_HOLD_NANOS); // until the start says it is done (takenStarted)
                    break;
                }
                w.close();
            }
            if (refiller == null) {
                refiller = new Thread(WarmPool::refill, "jvalkka-warm-pool");
                refiller.setDaemon(true);
                refiller.start();
            }
            WarmPool.class.notifyAll();
        }
        if (taken == null) {
            return null;
        }
        LOG.debug("start: {} takes the warm JVM pid {}", label, taken.process.pid());
        return taken.takenBy(label, processClass, plain);
    }

    /**
     * A start that took a warm JVM is done (ready, or failed): the pool refills
     * {@code jvalkka.warm.refillDelayMillis} later, so that the new JVM's boot
     * does not compete with the taken one's first messages.
     */
    static void takenStarted() {
        synchronized (WarmPool.class) {
            takenStarting = Math.max(0, takenStarting - 1);
            if (takenStarting == 0) { // the last of several taken at once (Parallelize, startAll)
                quietUntil = System.nanoTime() + REFILL_QUIET_NANOS;
                WarmPool.class.notifyAll();
            }
        }
    }

    /** Holds refills back for {@code nanos} from now (or longer, if already so). Holds WarmPool.class. */
    private static void quiet(long nanos) {
        long until = System.nanoTime() + nanos;
        if (until - quietUntil > 0) {
            quietUntil = until;
        }
    }

    /** The command without the label and the sharing options: what a warm JVM must match. */
    static List<String> key(List<String> cmd, int labelAt, List<String> sharingArgs) {
        List<String> key = new ArrayList<>(cmd);
        key.remove(labelAt);
        for (String a : sharingArgs) {
            key.remove(a); // a warm JVM started before the archive was ready serves as well
        }
        return List.copyOf(key);
    }

    // ---------------------------------------------------------------- refilling

    private static void refill() {
        while (true) {
            Kind k;
            List<String> cmd;
            int generation;
            synchronized (WarmPool.class) {
                k = null;
                while (!exiting) {
                    long quiet = quietUntil - System.nanoTime();
                    try {
                        if (quiet > 0) {
                            WarmPool.class.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(quiet)));
                            continue;
                        }
                        if ((k = needy()) != null) {
                            break;
                        }
                        WarmPool.class.wait();
                    } catch (InterruptedException e) {
                        // a daemon thread: keep serving
                    }
                }
                if (exiting) {
                    refiller = null;
                    return;
                }
                k.starting++;
                generation = k.generation;
                cmd = new ArrayList<>(k.command);
                cmd.set(k.labelAt, LABEL_OPTION + "warm-" + SEQ.incrementAndGet());
                cmd.add(k.labelAt + 1, "-D" + WARM_PROPERTY + "=true");
            }
            WarmJvm.Connected w = startOne(cmd, k);
            synchronized (WarmPool.class) {
                k.starting--;
                if (w == null) {
                    k.failed = true;
                } else if (exiting || k.generation != generation || k.idle.size() >= k.target
                        || KINDS.get(k.key) != k) {
                    w.stop();
                } else {
                    k.idle.addLast(w);
                    w.process.onExit().thenRun(() -> gone(w));
                }
            }
        }
    }

    /** A kind that wants another warm JVM and has room for it, making room if need be; or null. */
    private static Kind needy() {
        for (Kind k : KINDS.values()) {
            if (k.failed || k.idle.size() + k.starting >= k.target) {
                continue;
            }
            if (total() >= MAX_WARM && !evictOtherThan(k)) {
                continue;
            }
            return k;
        }
        return null;
    }

    private static int total() {
        int n = 0;
        for (Kind k : KINDS.values()) {
            n += k.idle.size() + k.starting;
        }
        return n;
    }

    /** Stops an idle warm JVM of the least recently asked-for kind other than {@code k}; false if none. */
    private static boolean evictOtherThan(Kind k) {
        for (Kind o : KINDS.values()) {
            if (o != k && !o.idle.isEmpty()) {
                o.idle.pollFirst().stop();
                o.target = o.idle.size() + o.starting; // it gave way: it asks again at its next start
                return true;
            }
        }
        return false;
    }

    /**
     * Starts one warm JVM and waits for it to be ready: its boot line names a
     * channel opened for it here, as a start's does; it rehearses, connects to
     * that channel, writes its {@link #READY_BYTE} on standard error, and its two
     * connections are then accepted and proven as a start's are (the peer's pid
     * and user, the token), so that a start that takes it only sends the boot
     * frame. Null when it exits first, or its connections fail.
     */
    private static WarmJvm.Connected startOne(List<String> cmd, Kind kind) {
        BackendConnection channel = new BackendConnection(LOG);
        Process p;
        try {
            channel.open();
            p = WarmJvm.spawn(cmd);
        } catch (IOException | RuntimeException e) {
            channel.close();
            LOG.warn("warm pool: cannot run {}: {}", cmd.get(0), e.getMessage());
            return null;
        }
        STARTING.put(p, kind);
        WarmJvm.Ready r;
        java.nio.channels.SocketChannel[] channels = null;
        String failure = null;
        try {
            try {
                p.getOutputStream().write(channel.bootLine());
                p.getOutputStream().flush();
            } catch (IOException e) {
                // it died at once: awaitReady says how
            }
            r = WarmJvm.awaitReady(p, READY_TIMEOUT_SECONDS);
            if (r.ready()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
                channels = channel.accept(p, deadline, TimeUnit.SECONDS.toMillis(READY_TIMEOUT_SECONDS));
            }
        } catch (BackendConnection.Failed e) {
            r = new WarmJvm.Ready(false, "");
            failure = e.getMessage();
        } catch (InterruptedException e) {
            r = new WarmJvm.Ready(false, "");
            failure = "interrupted";
        } finally {
            STARTING.remove(p);
            channel.close();
        }
        if (!r.ready() || channels == null) {
            WarmJvm.stop(p);
            WarmJvm.removeNamesWhenGone(p); // a rehearsal cut short leaves its socket names
            if (!ENDED.remove(p) && !exiting) {
                LOG.warn("warm pool: a warm backend JVM exited before it was ready{}{}",
                        failure == null ? "" : " (" + failure + ")",
                        r.said().isEmpty() ? "" : "; its stderr:\n" + r.said());
            }
            return null;
        }
        if (!r.said().isEmpty()) {
            LOG.warn("warm pool: a warm backend JVM said at its start: {}", r.said());
        }
        StderrPump pump = new StderrPump();
        pump.start(p.getErrorStream(), "warm-" + p.pid()); // what follows its ready byte, until it adopts ours
        return new WarmJvm.Connected(p, channels, pump);
    }

    /** An idle warm JVM exited by itself: forget it. */
    private static void gone(WarmJvm.Connected w) {
        Process p = w.process;
        synchronized (WarmPool.class) {
            for (Kind k : KINDS.values()) {
                if (k.idle.remove(w)) {
                    w.close();
                    RunDir.removeChild(p);
                    if (!exiting) {
                        k.failed = true;
                        LOG.warn("warm pool: the idle warm JVM pid {} exited ({})", p.pid(),
                                Lifecycle.describeStatus(p.exitValue()));
                    }
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------- stopping

    /**
     * Stops the idle warm JVMs that starts with {@code options} (the same
     * object) asked for, and stops refilling them until such a start asks again;
     * returns once they have exited (up to 5 s).
     *
     * @param options the options the pool's processes were started with
     * @return how many warm JVMs were stopped
     */
    public static int stop(BackendOptions options) {
        return stopWhere(k -> k.options == options);
    }

    /**
     * Stops every idle warm JVM of this JVM and stops refilling until a start
     * asks for a pool again; returns once they have exited (up to 5 s). At exit
     * this happens by itself.
     *
     * @return how many warm JVMs were stopped
     */
    public static int stopAll() {
        return stopWhere(k -> true);
    }

    /**
     * How many warm JVMs are idle (ready to be taken) now.
     *
     * @return the number of idle warm JVMs
     */
    public static int idle() {
        synchronized (WarmPool.class) {
            int n = 0;
            for (Kind k : KINDS.values()) {
                n += k.idle.size();
            }
            return n;
        }
    }

    /** The pids of the idle warm JVMs, oldest first (for tests and the bench). */
    static List<Long> idlePids() {
        synchronized (WarmPool.class) {
            List<Long> pids = new ArrayList<>();
            for (Kind k : KINDS.values()) {
                for (WarmJvm.Connected w : k.idle) {
                    pids.add(w.process.pid());
                }
            }
            return pids;
        }
    }

    private static int stopWhere(java.util.function.Predicate<Kind> which) {
        List<Process> stopped = new ArrayList<>();
        synchronized (WarmPool.class) {
            for (Map.Entry<Process, Kind> s : STARTING.entrySet()) {
                if (which.test(s.getValue())) {
                    ENDED.add(s.getKey());
                    stopped.add(s.getKey()); // its refiller sees it end, and forgets it
                }
            }
            for (Iterator<Map.Entry<List<String>, Kind>> it = KINDS.entrySet().iterator(); it.hasNext();) {
                Kind k = it.next().getValue();
                if (!which.test(k)) {
                    continue;
                }
                k.generation++; // one being started now is stopped when it is ready
                for (WarmJvm.Connected w : k.idle) {
                    w.close();
                    stopped.add(w.process);
                }
                k.idle.clear();
                it.remove();
            }
            releaseRouterIfUnused();
        }
        for (Process p : stopped) {
            WarmJvm.stop(p);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Process p : stopped) {
            try {
                p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return stopped.size();
    }

    /** Lets the reply thread end with its last backend once no kind is kept. Holds WarmPool.class. */
    private static void releaseRouterIfUnused() {
        if (KINDS.isEmpty() && holdsRouter) {
            holdsRouter = false;
            ReplyRouter.release();
        }
    }

    /** At exit: no more refills; every warm JVM, idle or starting, is ended. */
    private static void atExit() {
        List<Process> all = new ArrayList<>(STARTING.keySet());
        synchronized (WarmPool.class) {
            exiting = true;
            for (Kind k : KINDS.values()) {
                for (WarmJvm.Connected w : k.idle) {
                    w.close();
                    all.add(w.process);
                }
                k.idle.clear();
            }
            if (holdsRouter) {
                holdsRouter = false;
                ReplyRouter.release();
            }
            WarmPool.class.notifyAll();
        }
        for (Process p : all) {
            WarmJvm.stop(p);
        }
    }
}
