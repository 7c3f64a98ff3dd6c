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
     * jvalkka's classes that an SGN process-mode worker's restore and first
     * frame bring up ({@code Parallelize} starts two or more at a time, each
     * paying them at its start otherwise), its SIGINT class and Agrona's ring
     * buffer: none of them creates anything outside this JVM when initialised.
     * Names that no longer exist are skipped.
     */
    private static final String[] WORKER_PATH = {"jvalkka.sgn.Element", "jvalkka.sgn.PadProvider", "jvalkka.sgn.Pad",
        "jvalkka.sgn.SourcePad", "jvalkka.sgn.SinkPad", "jvalkka.sgn.InternalPad", "jvalkka.sgn.Frame",
        "jvalkka.sgn.TransformElement", "jvalkka.sgn.SourceElement", "jvalkka.sgn.SinkElement",
        "jvalkka.sgn.subprocess.WorkerProcess", "jvalkka.sgn.subprocess.WorkerQueue",
        "jvalkka.sgn.subprocess.DeadlineQueue", "jvalkka.sgn.subprocess.PipeQueue",
        "jvalkka.sgn.subprocess.RingQueue", "jvalkka.sgn.subprocess.RingQueue$Reader",
        "jvalkka.sgn.subprocess.WorkerContext", "jvalkka.sgn.subprocess.WorkerContext$Control",
        "jvalkka.sgn.subprocess.OtherEnd", "jvalkka.sgn.subprocess.OtherEnd$StopRequested",
        "jvalkka.sgn.subprocess.WorkerStoppedException", "jvalkka.sgn.subprocess.Empty",
        "jvalkka.sgn.subprocess.FrameCodec", "jvalkka.sgn.subprocess.FrameCodec$Decoder",
        "jvalkka.sgn.subprocess.FrameCodec$Encoder", "jvalkka.sgn.subprocess.FrameCodec$Kinds",
        "jvalkka.sgn.subprocess.ParallelState", "jvalkka.sgn.subprocess.ParallelizeElement",
        "jvalkka.sgn.subprocess.ParallelizeTransformElement", "jvalkka.sgn.subprocess.ParallelizeSourceElement",
        "jvalkka.sgn.subprocess.ParallelizeSinkElement", "jvalkka.sgn.subprocess.Worker",
        "jvalkka.internal.ValueCodec$Extension", "jvalkka.internal.ValueReader$OnBuffer",
        "jvalkka.internal.ValueWriter$OnBuffer", "jvalkka.multiprocess.Signals", "sun.misc.Signal",
        "sun.reflect.ReflectionFactory", "org.agrona.BitUtil", "org.agrona.IoUtil", "org.agrona.ExpandableArrayBuffer",
        "org.agrona.concurrent.MemoryAccess", "org.agrona.concurrent.MessageHandler",
        "org.agrona.concurrent.ringbuffer.RingBuffer", "org.agrona.concurrent.ringbuffer.RingBufferDescriptor",
        "org.agrona.concurrent.ringbuffer.OneToOneRingBuffer", "org.agrona.concurrent.ringbuffer.RecordDescriptor"};

    /**
     * Rehearses a backend's start; throws when it fails (the warm JVM then ends,
     * and the pool starts the next start's JVM as without a pool).
     */
    static void rehearse() throws IOException, InterruptedException {
        rehearse(new Rehearsal());
        rehearse(new SerializedRehearsal());
        rehearseTypedValues();
        rehearseLambdaTransfer();
        ClassLoader loader = WarmUp.class.getClassLoader();
        for (String[] path : new String[][] {SHARED_PATH, WORKER_PATH}) {
            for (String name : path) {
                try {
                    Class.forName(name, true, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    // renamed or gone (or the optional SGN part left out): nothing to warm
                }
            }
        }
        rehearseMapping();
        rehearseHandleDescriptors();
    }

    /**
     * The serial forms of jvalkka's shared-memory handles: a process object with
     * such a field crosses by Java serialization, whose first read of each class
     * builds its descriptor (reflection, the serialization constructor). Built
     * here, for jvalkka's own classes only; names that no longer exist are skipped.
     */
    private static final String[] HANDLE_FORMS = {"jvalkka.sync.EventGroup$Handle", "jvalkka.shm.SharedMemory$Handle",
        "jvalkka.shm.SharedArray$Handle", "jvalkka.shm.ReplicatedArray$Handle", "jvalkka.shm.internal.NamedHandle"};

    static void rehearseHandleDescriptors() {
        ClassLoader loader = WarmUp.class.getClassLoader();
        for (String name : HANDLE_FORMS) {
            try {
                java.io.ObjectStreamClass.lookup(Class.forName(name, true, loader)).getSerialVersionUID();
            } catch (ClassNotFoundException | LinkageError e) {
                // renamed or gone: nothing to warm
            }
        }
    }

    /**
     * Maps a file as a shared segment is mapped ({@code SharedMemory.open}: the
     * channel's {@code map}, the file's unix attributes): the first mapping of a
     * JVM links its unmapper and a lambda. The JDK's own {@code lib/modules} is
     * mapped, read-only, so nothing is created that could be left behind.
     */
    static void rehearseMapping() throws IOException {
        Path modules = Path.of(System.getProperty("java.home"), "lib", "modules");
        if (!java.nio.file.Files.isRegularFile(modules)) {
            return;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(modules,
                java.nio.file.StandardOpenOption.READ)) {
            ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, Math.min(ch.size(), 4096)).get(0);
        }
        java.nio.file.Files.getAttribute(modules, "unix:dev");
        java.nio.file.Files.getAttribute(modules, "unix:ino");
    }

    /**
     * What a taken warm JVM does with its process's class while the frontend
     * serialises the process: loads it and its superclasses, and reads what the
     * restore reads of them by reflection (fields, the simple name for the
     * logger, whose lookup loads a nested class's declaring class), and builds
     * their serialization descriptors, all without initialising the class:
     * its statics are set up by the restore, as in a fresh JVM. A class
     * declaring {@code serialVersionUID} or {@code serialPersistentFields}
     * (reading those initialises it) gets no descriptor here, and no class's
     * default serialVersionUID is computed (its digest initialises the class). Anything that
     * fails is left for the restore to report.
     *
     * @param className the process's class, as the take line names it
     */
    static void prefetch(String className) {
        try {
            Class<?> cls = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
            if (!MessageProcess.class.isAssignableFrom(cls)) {
                return;
            }
            cls.getSimpleName();
            boolean descriptor = java.io.Serializable.class.isAssignableFrom(cls);
            for (Class<?> c = cls; c != MessageProcess.class; c = c.getSuperclass()) {
                for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                    if (f.getName().equals("serialVersionUID") || f.getName().equals("serialPersistentFields")) {
                        descriptor = false;
                    }
                }
            }
            if (descriptor) {
                // not its default serialVersionUID: the digest asks JNI for the static initialiser, which runs it
                java.io.ObjectStreamClass.lookup(cls);
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // the restore meets it again, and reports it
        }
    }

    /** Messages of typed values: what a process gets and sends beyond plain ones (the pool's batches, say). */
    private static final int TYPED_ROUNDS = 3;

    /**
     * The first message with a value other than a string, number or boolean (a
     * list, an array, a map) brings up Jackson's databind (some 200 ms of CPU in a
     * JVM that never used it: the first batch a taken {@code ProcessQueue} worker
     * got waited for it). Here a message of such values is encoded and decoded as
     * the pipes do, in both directions, and its values converted as a handler's
     * {@code m.get(key, type)} does. Only types that every backend allows are used
     * ({@link ValueTypes}): the allow-list the process sees is a fresh JVM's.
     */
    static void rehearseTypedValues() throws IOException {
        WireCodec.Encoder out = new WireCodec.Encoder();
        WireCodec.Decoder in = new WireCodec.Decoder("warm-up");
        for (int i = 0; i < TYPED_ROUNDS; i++) {
            java.util.List<Object> values = new java.util.ArrayList<>(java.util.List.of(i, 2L, "x", 1.5));
            values.add(null);
            java.util.Map<String, Object> error = new java.util.LinkedHashMap<>();
            error.put("pos", i);
            error.put("trace", "x");
            error.put("bytes", new byte[] {1, 2});
            MessageObject m = new MessageObject("run", "seq", (long) i, "ids", new long[] {i, i + 1}, "items", values,
                    "errors", java.util.List.of(error), "d", new double[] {1.5}, "n", new int[] {i});
            out.clear();
            out.append(WireProtocol.MESSAGE, 0, m, WireProtocol.DEFAULT_MAX_MESSAGE_BYTES);
            out.append(WireProtocol.CALL, i + 1, m, WireProtocol.DEFAULT_MAX_MESSAGE_BYTES);
            in.feed(out.buf(), 0, out.size());
            for (int k = 0; k < 2; k++) {
                WireCodec.Frame f = in.next();
                MessageObject back = f == null ? null : f.message();
                if (back == null || back.get("seq", Long.class) != i || back.get("ids", long[].class).length != 2
                        || ((java.util.List<?>) back.get("items")).size() != values.size()
                        || back.get("errors", java.util.List.class).size() != 1) {
                    throw new IOException("the typed values' rehearsal came back as " + back);
                }
            }
        }
    }

    /** A process with a serializable lambda in a field, as a {@code ProcessQueue} worker has. */
    static final class LambdaRehearsal extends MessageProcess {
        private static final long serialVersionUID = 1L;
        private final java.util.function.Function<Integer, Integer> f;

        LambdaRehearsal() {
            super("warm-up-lambda");
            f = (java.util.function.Function<Integer, Integer> & java.io.Serializable) x -> x + 1;
        }
    }

    /**
     * A process class without a {@code serialVersionUID}, as most applications'
     * are: restoring it computes its default one (a digest of the class's
     * members), whose first run in a JVM brings up the digest provider.
     */
    @SuppressWarnings("serial")
    static final class UnversionedRehearsal extends MessageProcess {
        private final java.util.ArrayList<Integer> seen = new java.util.ArrayList<>(java.util.List.of(1));

        UnversionedRehearsal() {
            super("warm-up-unversioned");
        }
    }

    /**
     * A process object that carries a serializable lambda, restored as
     * {@link BackendMain} restores one: the first lambda a JVM links and the
     * first {@code SerializedLambda} it resolves bring up {@code java.lang.invoke}
     * (the start path itself links no lambda); then one without a
     * {@code serialVersionUID} ({@link UnversionedRehearsal}).
     */
    static void rehearseLambdaTransfer() throws IOException {
        try {
            LambdaRehearsal back = (LambdaRehearsal) ProcessTransfer.decode(ProcessTransfer.encode(new LambdaRehearsal()),
                    WarmUp.class.getClassLoader());
            if (back.f.apply(1) != 2) {
                throw new IOException("the restored lambda does not compute");
            }
            UnversionedRehearsal u = (UnversionedRehearsal) ProcessTransfer.decode(
                    ProcessTransfer.encode(new UnversionedRehearsal()), WarmUp.class.getClassLoader());
            if (u.seen.size() != 1) {
                throw new IOException("the unversioned rehearsal came back as " + u.seen);
            }
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot restore the lambda rehearsal: " + e, e);
        }
    }

    private static void rehearse(MessageProcess process) throws IOException, InterruptedException {
        Path sock = RunDir.sockets().resolve(ProcessHandle.current().pid() + "-warm-" + SEQ.incrementAndGet());
        CdsTrainer.rehearseStart("warm-up", sock, process, ROUNDS, false, true);
    }
}
