package jvalkka.multiprocess;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces workers that died, within a budget: at most {@code maxRestarts}
 * restarts of one worker name within {@code window}, so that a worker that
 * crashes at once on every start does not make the manager spin. A process
 * starts only once, so a restart makes a new object with the factory (which
 * also calls {@code ignoreSIGINT()}, {@code setOptions(...)} as needed) and
 * starts it.
 *
 * <pre>{@code
 * Restarter<WorkerProcess> restarter = new Restarter<>(WorkerProcess::new, 3, Duration.ofMinutes(1));
 * ...
 * MessageObject m = pipe.recv();
 * if (Restarter.isExited(m)) {
 *     forget(p);                                      // drop the old pipe from your maps and select list
 *     WorkerProcess fresh = restarter.restart(p, m);  // null when the budget is spent
 *     if (fresh != null) remember(fresh);
 * }
 * }</pre>
 *
 * <p>Replacements come from a {@linkplain WarmPool warm pool}: unless the
 * factory's process chose a pool itself ({@link BackendOptions#withWarmPool},
 * 0 turns it off), a replacement is started with a pool of
 * {@value #DEFAULT_WARM_POOL}, so after the first restart one warm JVM of the
 * workers' kind waits, and the next replacement answers a few milliseconds after
 * its predecessor's death is reported instead of a JVM's start later. Give the
 * workers' own options a pool to have the first restart warm too. The warm JVM
 * costs an idle backend's memory until this JVM exits, or until
 * {@link WarmPool#stopAll()}.
 *
 * Used by one thread (the manager's loop).
 */
public final class Restarter<P extends MessageProcess> {
    private static final Logger LOG = LoggerFactory.getLogger("Restarter");
    /** The warm pool a replacement starts with unless its options choose one. */
    public static final int DEFAULT_WARM_POOL = 1;

    private final Function<String, ? extends P> factory;
    private final int maxRestarts;
    private final long windowNanos;
    private final Map<String, Deque<Long>> history = new HashMap<>();

    /**
     * @param factory makes a new, unstarted worker for a name
     * @param maxRestarts restarts allowed per name within {@code window}
     * @param window the sliding window of the budget
     */
    public Restarter(Function<String, ? extends P> factory, int maxRestarts, Duration window) {
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("maxRestarts must be >= 0, got " + maxRestarts);
        }
        this.factory = Objects.requireNonNull(factory);
        this.maxRestarts = maxRestarts;
        this.windowNanos = window.toNanos();
    }

    /**
     * Whether {@code m} is the event a dead worker's pipe gives ({@code MessageObject("exited", ...)}).
     *
     * @param m the message
     * @return whether {@code m} is the event a dead worker's pipe gives ({@code MessageObject("exited", ...)})
     */
    public static boolean isExited(MessageObject m) {
        return WireProtocol.isExited(m);
    }

    /**
     * Reaps {@code dead} and starts a replacement with the same name, if the
     * budget allows.
     *
     * @param dead the worker whose pipe reported its exit
     * @param why the "exited" event (for the log), or null
     * @return the started replacement, or {@code null} when the budget for this name is spent
     * @throws BackendStartException when the replacement cannot start
     */
    public P restart(P dead, MessageObject why) {
        dead.waitStop(); // it has exited: this only collects it
        String name = dead.getName();
        long now = System.nanoTime();
        Deque<Long> times = history.computeIfAbsent(name, n -> new ArrayDeque<>());
        while (!times.isEmpty() && now - times.peekFirst() > windowNanos) {
            times.pollFirst();
        }
        String reason = why == null ? "exit status " + dead.exitCode() : String.valueOf(why.get("reason"));
        if (times.size() >= maxRestarts) {
            LOG.error("{} died ({}) and was restarted {} times within {} s: not restarting it", dead, reason,
                    times.size(), windowNanos / 1_000_000_000L);
            return null;
        }
        times.addLast(now);
        P fresh = factory.apply(name);
        fresh.setOptions(fresh.options().withWarmPoolDefault(DEFAULT_WARM_POOL));
        fresh.start();
        ContextStats.replaced(dead, fresh, why);
        LOG.warn("{} died ({}): restarted as pid {}", dead, reason, fresh.pid());
        return fresh;
    }

    /**
     * How many times {@code name} was restarted within the current window.
     *
     * @param name the name
     * @return how many times {@code name} was restarted within the current window
     */
    public int restarts(String name) {
        Deque<Long> times = history.get(name);
        if (times == null) {
            return 0;
        }
        long now = System.nanoTime();
        return (int) times.stream().filter(t -> now - t <= windowNanos).count();
    }
}
