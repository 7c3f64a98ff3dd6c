package jvalkka.sgn.subprocess;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Frontend: the copies of {@link Parallelize#toShm} segments on the hosts of placed workers,
 * one per host and segment. The first placed worker on a host (its placement: workers given the
 * same {@code Placement} share) is the copy's holder: it receives the bytes, creates the copy
 * there under a name of this JVM's ({@code jvsgn-<pid>-host-<n>}), maps it read-only and says
 * so ({@link #ready}); the workers placed there after it map that copy read-only, once it is
 * ready. The name belongs to the holder's JVM, which unlinks it when it ends (its run record
 * does, at exit or after a crash); the memory goes with the last worker that maps it. A worker
 * that comes after its holder ended (or could not open the name) gets a new copy and holds it.
 */
final class HostCopies {
    private static final AtomicLong NAMES = new AtomicLong();

    /** One copy: its name on the host, the worker that holds it, and whether it is complete there. */
    static final class Copy {
        final String name;
        final Object holder;
        final CompletableFuture<Void> ready = new CompletableFuture<>();

        Copy(String name, Object holder) {
            this.name = name;
            this.holder = holder;
        }
    }

    private static final Map<String, Copy> BY_HOST_AND_SEGMENT = new HashMap<>();

    private HostCopies() {
    }

    /**
     * The copy of {@code segment} on {@code host} that {@code worker} should map: one whose
     * holder is still running, or a new one that {@code worker} holds (then {@code holder == worker}).
     */
    static synchronized Copy claim(String host, String segment, Object worker) {
        String key = host + "\u0000" + segment;
        Copy c = BY_HOST_AND_SEGMENT.get(key);
        if (c == null || c.ready.isCompletedExceptionally()) {
            c = new Copy("jvsgn-" + ProcessHandle.current().pid() + "-host-" + NAMES.incrementAndGet(), worker);
            BY_HOST_AND_SEGMENT.put(key, c);
        }
        return c;
    }

    /** A new copy of {@code segment} on {@code host}, held by {@code worker} (the old one could not be opened). */
    static synchronized Copy replace(String host, String segment, Object worker) {
        Copy c = new Copy("jvsgn-" + ProcessHandle.current().pid() + "-host-" + NAMES.incrementAndGet(), worker);
        BY_HOST_AND_SEGMENT.put(host + "\u0000" + segment, c);
        return c;
    }

    /** The holder says the copy named {@code name} is complete on its host. */
    static synchronized void ready(String name) {
        for (Copy c : BY_HOST_AND_SEGMENT.values()) {
            if (c.name.equals(name)) {
                c.ready.complete(null);
            }
        }
    }

    /** {@code worker} ended: the copies it held are forgotten (their names go with its JVM). */
    static synchronized void ended(Object worker) {
        for (Iterator<Copy> it = BY_HOST_AND_SEGMENT.values().iterator(); it.hasNext(); ) {
            Copy c = it.next();
            if (c.holder == worker) {
                c.ready.completeExceptionally(new IllegalStateException("the worker that held copy " + c.name
                        + " ended"));
                it.remove();
            }
        }
    }
}
