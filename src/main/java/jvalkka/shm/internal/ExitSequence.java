package jvalkka.shm.internal;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The library's one shutdown hook: what must be done when this JVM exits runs
 * in a fixed order of {@link Phase}s, first the backends are stopped (they may
 * still use the shared segments), then the segments are removed, then a
 * class-data sharing trainer still running is ended. The JDK runs separate
 * shutdown hooks in no defined order; this one runs its steps one after the
 * other.
 *
 * <p>Internal to jvalkka: public only because the core registers its steps from
 * another package.
 */
public final class ExitSequence {
    /** The phases, in the order they run. */
    public enum Phase {
        /** Ask every live backend to stop, wait a moment, kill the rest. */
        STOP_BACKENDS,
        /** Remove this JVM's shared-memory segments and its run record. */
        REMOVE_SEGMENTS,
        /** End a class-data sharing trainer and drop its partial archive. */
        ARCHIVE_TRAINER
    }

    private static final Map<Phase, List<Runnable>> STEPS = new EnumMap<>(Phase.class);
    private static volatile boolean running;

    static {
        for (Phase p : Phase.values()) {
            STEPS.put(p, new CopyOnWriteArrayList<>());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(ExitSequence::runAll, "jvalkka-exit"));
    }

    private ExitSequence() {
    }

    /**
     * Adds {@code step} to {@code phase}, after the steps already there. A step
     * added while the sequence runs runs if its phase has not passed yet.
     */
    public static void add(Phase phase, Runnable step) {
        STEPS.get(phase).add(step);
    }

    /** Removes {@code step} (it has nothing left to do); true if it was there. */
    public static boolean remove(Phase phase, Runnable step) {
        return STEPS.get(phase).remove(step);
    }

    /** Whether this JVM is exiting and the sequence has begun. */
    public static boolean isRunning() {
        return running;
    }

    private static void runAll() {
        running = true;
        for (Phase p : Phase.values()) {
            for (Runnable step : STEPS.get(p)) {
                try {
                    step.run();
                } catch (RuntimeException | Error e) {
                    // a failed step must not keep the later ones from running
                    System.err.println("jvalkka: at exit, " + p + " failed: " + e);
                }
            }
        }
    }
}
