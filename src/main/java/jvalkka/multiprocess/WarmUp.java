package jvalkka.multiprocess;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a warm backend JVM ({@link WarmPool}) does before it waits for its boot
 * line: a rehearsal of a backend's whole start inside itself, as
 * {@link CdsTrainer} does in its training run. One thread plays the frontend
 * (listening socket, handshake, boot frame, a few messages, the stop), another
 * runs {@link BackendMain#serve} with {@link Rehearsal}, a process class of
 * jvalkka's own. Afterwards the classes of the start path are loaded, linked and
 * initialised, and its first-call costs (reflection, method handles, the codec's
 * caches) are paid, so that the real start costs little more than loading the
 * application's own classes.
 *
 * <p>What it leaves is jvalkka's own state only: never a class of the
 * application is touched, so the process that takes the JVM sees its statics as
 * in a fresh JVM; the logging configuration is replaced by the frontend's at
 * boot ({@code LogConfig.apply}); the rehearsal leaves standard error untouched,
 * installs no signal handler and removes its socket names. Not for users.
 */
final class WarmUp {
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** Rounds of messages in the rehearsal: enough to walk the paths, not to compile them. */
    private static final int ROUNDS = 20;

    private WarmUp() {
    }

    /** jvalkka's own process class for the rehearsal. */
    static final class Rehearsal extends MessageProcess {
        private static final long serialVersionUID = 1L;
        private long count;

        Rehearsal() {
            super("warm-up");
        }

        void c__ping(int i, String s, double d, boolean b) {
            count += i;
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__whole(MessageObject m) {
            count++;
        }
    }

    /** Not plain (a list): travels by Java serialization, the other way a process object crosses. */
    static final class SerializedRehearsal extends MessageProcess {
        private static final long serialVersionUID = 1L;
        private final java.util.ArrayList<Integer> seen = new java.util.ArrayList<>(java.util.List.of(1));

        SerializedRehearsal() {
            super("warm-up-serialized");
        }

        void c__ping(int i, String s, double d, boolean b) {
            seen.add(i);
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__whole(MessageObject m) {
            seen.add(0);
        }
    }

    /**
     * jvalkka's classes that a process object with an {@code EventGroup},
     * {@code SharedMemory} or {@code SharedArray} field brings up when it is
     * restored: initialised here (binding the futex call to the C library is the
     * largest part of such a backend's start). None of them creates anything
     * outside this JVM when initialised. Names that no longer exist are skipped.
     */
    private static final String[] SHARED_PATH = {"jvalkka.shm.internal.Futex", "jvalkka.shm.internal.Waiter",
        "jvalkka.shm.SharedMemory", "jvalkka.shm.SharedArray", "jvalkka.shm.internal.NamedHandle",
        "jvalkka.sync.EventGroup", "jvalkka.sync.EventGroup$Handle", "jvalkka.sync.internal.Peer",
        "org.agrona.concurrent.UnsafeBuffer"};

    /**
     * Rehearses a backend's start; throws when it fails (the warm JVM then ends,
     * and the pool starts the next start's JVM as without a pool).
     */
    static void rehearse() throws IOException, InterruptedException {
        rehearse(new Rehearsal());
        rehearse(new SerializedRehearsal());
        ClassLoader loader = WarmUp.class.getClassLoader();
        for (String name : SHARED_PATH) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException e) {
                // renamed or gone: nothing to warm
            }
        }
    }

    private static void rehearse(MessageProcess process) throws IOException, InterruptedException {
        Path sock = RunDir.sockets().resolve(ProcessHandle.current().pid() + "-warm-" + SEQ.incrementAndGet());
        CdsTrainer.rehearseStart("warm-up", sock, process, ROUNDS, false, true);
    }
}
