package jvalkka.multiprocess;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
    /** Rounds of messages in the first rehearsals: enough to walk the paths (the serving thread's compiles them). */
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
        "org.agrona.concurrent.UnsafeBuffer", "jvalkka.sync.EventGroup$Event", "jvalkka.sync.EventGroup$Me",
        "jvalkka.sync.EventGroup$Candidates", "jvalkka.sync.EventFailedException", "jvalkka.multiprocess.SyncSends"};

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
        rehearseOnServingThread(new Rehearsal(), SERVING_ROUNDS);
        rehearseTransfers(TRANSFERS);
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
        rehearseTakeLine();
        rehearseVarHandles();
    }

    /** A count updated through a {@link java.lang.invoke.VarHandle}, as a shared-memory handle counts its users. */
    private static final class Counted {
        private volatile int using;
    }

    /**
     * Links a {@code VarHandle}'s {@code getAndAdd} on an {@code int} field of an
     * object: the invoker of that shape is generated at its first use in a JVM, and
     * an {@code EventGroup} counts its users so whenever a message is looked at for
     * event indices ({@code EventGroup.candidates}, on a backend's first message) or
     * the group is used. Only this class's own field is touched.
     */
    static void rehearseVarHandles() throws IOException {
        try {
            java.lang.invoke.VarHandle using = java.lang.invoke.MethodHandles.lookup()
                    .findVarHandle(Counted.class, "using", int.class);
            Counted c = new Counted();
            using.getAndAdd(c, 1);
            using.getAndAdd(c, -1);
            if ((int) using.getVolatile(c) != 0) {
                throw new IOException("the VarHandle rehearsal counted wrong");
            }
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot rehearse a VarHandle: " + e, e);
        }
    }

    /**
     * What a taken JVM does with its take line and first messages that the
     * rehearsals above do not: the label's decoding, and the look for event
     * indices in a message that a backend with an {@code EventGroup} makes
     * ({@link Backend#syncedEvents(MessageObject, int)}; no group is opened here,
     * so the look ends at the groups).
     */
    static void rehearseTakeLine() {
        java.net.URLDecoder.decode(java.net.URLEncoder.encode("warm-up", StandardCharsets.UTF_8),
                StandardCharsets.UTF_8);
        Backend.syncedEvents(new MessageObject("ping", "i", 1, "s", "x"), 2);
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
        rehearseWritableMapping();
    }

    /**
     * Maps a file for reading and writing, as {@code SharedMemory.open} maps a
     * segment that crossed with the process (the JDK links another constructor
     * for a writable mapping than for a read-only one): a scratch file of 4 KiB in
     * the private socket directory, named for this JVM's pid (so that the sweep
     * of that directory removes it should this JVM die before it does), removed
     * at once.
     */
    static void rehearseWritableMapping() throws IOException {
        Path f = RunDir.sockets().resolve(ProcessHandle.current().pid() + "-warm-map-" + SEQ.incrementAndGet());
        try {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.allocate(1), 4095);
            }
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.MappedByteBuffer m = ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, ch.size());
                m.put(0, (byte) 1);
            }
            java.nio.file.Files.getAttribute(f, "unix:dev");
            java.nio.file.Files.getAttribute(f, "unix:ino");
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    /**
     * What a taken warm JVM does with its process's class (on its
     * {@link Prefetcher}'s thread) while the frontend serialises the process and
     * the main thread waits for it: loads it and its superclasses, and reads what the
     * restore reads of them by reflection (fields, constructors and methods, the simple name for the
     * logger, whose lookup loads a nested class's declaring class), and builds
     * their serialization descriptors, all without initialising the class:
     * its statics are set up by the restore, as in a fresh JVM. A class
     * declaring {@code serialVersionUID} or {@code serialPersistentFields}
     * (reading those initialises it) gets no descriptor here, and no class's
     * default serialVersionUID is computed (its digest initialises the class). Anything that
     * fails is left for the restore to report.
     *
     * @param className the process's class, as the take line names it
     * @param plain whether the process crosses as field values ({@link ProcessTransfer}): then
     *     no serialization descriptor is built, only the fields the restore sets are looked up
     */
    static void prefetch(String className, boolean plain) {
        try {
            Class<?> cls = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
            if (!MessageProcess.class.isAssignableFrom(cls)) {
                return;
            }
            if (plain) { // what the plain form's restore reflects on: the fields; then the dispatcher's handlers
                for (Class<?> c = cls; c != MessageProcess.class; c = c.getSuperclass()) {
                    c.getDeclaredFields();
                }
                prefetchDispatcher(cls);
                cls.getSimpleName();
                return;
            }
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
            // what the restore reflects on next (the default serialVersionUID's digest, the dispatcher's
            // handlers): the declared members, cached by the class (the digest itself is left to the restore)
            cls.getDeclaredConstructors();
            prefetchDispatcher(cls);
            cls.getSimpleName(); // last: the restore needs the descriptor first, the logger's name last
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // the restore meets it again, and reports it
        }
    }

    /**
     * Builds the process class's {@link Dispatcher} (its handlers found by
     * reflection, their parameter types allowed), which the backend otherwise
     * builds between its ready frame and its first message: reflection only, no
     * static initialiser runs. A class whose handlers are ambiguous is left for
     * the backend to report.
     */
    private static void prefetchDispatcher(Class<?> cls) {
        try {
            Dispatcher.of(cls);
        } catch (RuntimeException ambiguous) {
            // reported where dispatch needs it
        }
    }

    /**
     * The thread that runs {@link #prefetch} for a taken warm JVM while its main
     * thread reads the boot frame and restores the process: made and started
     * before the JVM is ready (a thread's start costs a start milliseconds on a
     * busy machine), it waits, costing nothing, for the take line's class name.
     * What the restore needs of the class meanwhile (its loading, its
     * serialization descriptor) it waits for as for any other thread's
     * (the class loader and {@code ObjectStreamClass} let one thread do the work
     * and the other wait for it): nothing is done twice, and the restore does
     * not wait for the logger's simple name, looked up last.
     */
    static final class Prefetcher implements Runnable {
        private final java.util.concurrent.CountDownLatch given = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        private volatile String className;
        private volatile boolean plain;

        /** Makes and starts the thread, which waits for {@link #prefetch(String, boolean)}. */
        static Prefetcher start() {
            Prefetcher p = new Prefetcher();
            Thread t = new Thread(null, p, "jvalkka-warm-prefetch", 256 * 1024);
            t.setDaemon(true);
            t.start();
            return p;
        }

        /** Hands the thread the class to prefetch ({@code plain}: it crosses as field values); returns at once. */
        void prefetch(String name, boolean plain) {
            this.plain = plain;
            className = name;
            given.countDown();
        }

        @Override
        public void run() {
            try {
                given.await(); // a JVM never taken waits here until it is stopped
            } catch (InterruptedException e) {
                return;
            }
            WarmUp.prefetch(className, plain);
            done.countDown();
        }

        /** For tests: whether the prefetch is over within {@code millis}. */
        boolean awaitDone(long millis) throws InterruptedException {
            return done.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
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

    /**
     * Rounds of messages on the serving thread ({@code -Djvalkka.warm.rounds}, default 100): two
     * messages each, so the per-message path (receive, decode, dispatch) is called some 200 times, C1's
     * threshold for compiling a method, before a take. At 300 rounds and 300 {@link #TRANSFERS} the
     * two steps took 270 to 410 ms of a warm JVM's CPU (its compiler threads' included; measured on a
     * loaded two-core machine), and 50 of each saved 200 to 290 ms of it with no difference in
     * {@code warm_start_ms} outside the noise.
     */
    static final int SERVING_ROUNDS = Integer.getInteger("jvalkka.warm.rounds", 100);
    /**
     * Process objects carried each way ({@code -Djvalkka.warm.transfers}, default 100): the restore's
     * per-field steps run some 500 times (five fields or more each), enough for them to be compiled
     * before a take; see {@link #SERVING_ROUNDS} for what more cost.
     */
    static final int TRANSFERS = Integer.getInteger("jvalkka.warm.transfers", 100);

    /**
     * Carries {@code n} process objects each way ({@link ProcessTransfer}, both
     * forms), so that the restore's path is compiled when a process crosses.
     */
    static void rehearseTransfers(int n) throws IOException {
        ClassLoader loader = WarmUp.class.getClassLoader();
        try {
            for (int i = 0; i < n; i++) {
                ProcessTransfer.decode(ProcessTransfer.encode(new SerializedRehearsal()), loader);
                ProcessTransfer.decode(ProcessTransfer.encode(new Rehearsal()), loader);
            }
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot restore the rehearsal: " + e, e);
        }
    }

    /**
     * A backend's start rehearsed with the backend on this thread, the one that
     * serves the process that takes this JVM ({@link BackendMain} serves on its
     * main thread), and a helper thread playing the frontend: what a thread keeps
     * for itself ({@link Select}'s selector, the JDK's temporary direct buffers)
     * is made here, not at the first message of the process; and with
     * {@code rounds} round trips the message path (receive, dispatch, send) is
     * compiled. Removes its socket names.
     */
    static void rehearseOnServingThread(MessageProcess process, int rounds) throws IOException, InterruptedException {
        Path sock = RunDir.sockets().resolve(ProcessHandle.current().pid() + "-warm-" + SEQ.incrementAndGet());
        java.util.concurrent.CountDownLatch served = new java.util.concurrent.CountDownLatch(1);
        try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            PeerCheck.bindListener(server, sock);
            String[] boot = {sock.toString(), java.util.HexFormat.of().formatHex(new byte[16]),
                Long.toString(ProcessHandle.current().pid())};
            FrontendPart front = new FrontendPart(server, process, rounds, served);
            Thread t = new Thread(front, "jvalkka-warm-up-frontend");
            t.setDaemon(true);
            t.start();
            int status;
            try {
                status = BackendMain.serve("warm-up", boot, false);
            } finally {
                served.countDown();
            }
            t.join(10_000);
            if (front.failure != null) {
                throw new IOException("the rehearsal's frontend failed: " + front.failure, front.failure);
            }
            if (status != 0 || t.isAlive()) {
                throw new IOException("the rehearsal's backend ended with status " + status);
            }
        } finally {
            PeerCheck.deleteNames(sock);
        }
    }

    /** The frontend's part of {@link #rehearseOnServingThread}, on a thread of its own. */
    private static final class FrontendPart implements Runnable {
        private final java.nio.channels.ServerSocketChannel server;
        private final MessageProcess process;
        private final int rounds;
        private final java.util.concurrent.CountDownLatch served;
        volatile Exception failure;

        FrontendPart(java.nio.channels.ServerSocketChannel server, MessageProcess process, int rounds,
                java.util.concurrent.CountDownLatch served) {
            this.server = server;
            this.process = process;
            this.rounds = rounds;
            this.served = served;
        }

        @Override
        public void run() {
            MessagePipe main = new MessagePipe("warm-up main pipe");
            MessagePipe internal = new MessagePipe("warm-up internal pipe");
            try {
                java.nio.channels.SocketChannel[] channels = new java.nio.channels.SocketChannel[2];
                for (int k = 0; k < 2; k++) {
                    java.nio.channels.SocketChannel c = server.accept();
                    java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(17);
                    while (hello.hasRemaining()) {
                        if (c.read(hello) < 0) {
                            throw new IOException("the rehearsal's backend hung up");
                        }
                    }
                    channels[hello.get(16)] = c;
                }
                main.connect(channels[0]);
                internal.connect(channels[1]);
                main.sendRaw(WireProtocol.BOOT, BackendConnection.bootPayload(ProcessTransfer.encode(process)));
                WireCodec.Frame ready = main.recvFrame(30_000);
                if (ready == null || ready.kind() != WireProtocol.READY) {
                    throw new IOException("the rehearsal's backend did not start");
                }
                for (int i = 0; i < rounds; i++) {
                    main.send(new MessageObject("whole", "x", 1));
                    main.send(new MessageObject("ping", "i", i, "s", "x", "d", 1.5, "b", true));
                    MessageObject m;
                    do {
                        if (!main.poll(10.0)) {
                            throw new IOException("the rehearsal's backend does not answer");
                        }
                        m = main.recv();
                    } while (m == null || !m.command().equals("pong"));
                }
                main.send(null);
                main.flush();
                served.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                failure = e;
            } finally {
                main.close();
                internal.close();
                try {
                    server.close(); // a backend still waiting for its connection or boot frame sees the end
                } catch (IOException ignored) {
                    // closed by the caller too
                }
            }
        }
    }

    private static void rehearse(MessageProcess process) throws IOException, InterruptedException {
        Path sock = RunDir.sockets().resolve(ProcessHandle.current().pid() + "-warm-" + SEQ.incrementAndGet());
        CdsTrainer.rehearseStart("warm-up", sock, process, ROUNDS, false, true);
    }
}
