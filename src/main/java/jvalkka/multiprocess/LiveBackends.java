package jvalkka.multiprocess;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jvalkka.shm.internal.ExitSequence;

/**
 * The backends this JVM has launched and that have not exited yet, JVM-wide, so
 * that they are stopped when this JVM exits: each is asked to stop, given a
 * moment, then killed ({@link ExitSequence.Phase#STOP_BACKENDS}).
 */
final class LiveBackends {
    private static final Set<Frontend> LIVE = ConcurrentHashMap.newKeySet();
    /** How long the backends get at JVM exit to stop by themselves before they are killed. */
    static final long STOP_AT_EXIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    static {
        // first in the one exit sequence: the backends may still use the segments removed after
        ExitSequence.add(ExitSequence.Phase.STOP_BACKENDS, LiveBackends::stopAll);
    }

    private LiveBackends() {
    }

    static void add(Frontend f) {
        LIVE.add(f);
    }

    static void remove(Frontend f) {
        LIVE.remove(f);
    }

    /** Asks every live backend to stop, gives them a moment, then kills the rest. */
    static void stopAll() {
        List<Frontend> live = List.copyOf(LIVE);
        for (Frontend f : live) {
            f.requestStop();
        }
        long deadline = System.nanoTime() + STOP_AT_EXIT_NANOS;
        for (Frontend f : live) {
            Process p = f.process();
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            } catch (RuntimeException ignored) {
                // keep going: every child must be handled
            }
        }
    }
}
