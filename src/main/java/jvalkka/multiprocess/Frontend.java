package jvalkka.multiprocess;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;

import com.fasterxml.jackson.databind.JavaType;

import jvalkka.log.LogConfig;
import jvalkka.shm.Crossing;
import jvalkka.sync.Peer;

/**
 * The frontend half's state: spawning and supervising the backend JVM, its two
 * pipes, the replies to proxy calls. One per started {@link MessageProcess}.
 */
final class Frontend implements Peer {
    private enum State { NEW, LAUNCHED, RUNNING, EXITED }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<Frontend> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicLong SOCKET_SEQ = new AtomicLong();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Frontend::stopAllAtExit, "jvalkka-stop-backends"));
    }

    private final MessageProcess owner;
    private final String label;
    private final Logger logger;
    final MessagePipe main;
    final MessagePipe internal;
    private volatile BackendOptions options = BackendOptions.defaults();
    private volatile State state = State.NEW;

    private Process process;
    private long pid = -1;
    private OutputStream stdin;
    private Path socketPath;
    private ServerSocketChannel server;
    private byte[] token;
    private byte[] processBytes;
    private List<Object> crossed = List.of();
    private final StderrPump stderr = new StderrPump();
    private long launchedAt;
    private volatile boolean stopRequested;
    private volatile String deathReport;
    private final List<Runnable> deathActions = new CopyOnWriteArrayList<>();

    private final AtomicLong callIds = new AtomicLong();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private volatile ReturnQueue returned; // made at launch, at the capacity the options give
    private volatile Thread router;
    /** Frontend sends: the low 32 bits count those in progress, the high bits those finished. */
    private final AtomicLong sends = new AtomicLong();
    private static final long SEND_FINISHED = (1L << 32) - 1;

    Frontend(MessageProcess owner, String label) {
        this.owner = owner;
        this.label = label;
        this.logger = owner.logger();
        this.main = new MessagePipe(label + " main pipe");
        this.internal = new MessagePipe(label + " internal pipe");
        main.onFault(reason -> logger.warn("{}", reason));
        internal.onFault(reason -> logger.warn("{}", reason));
        main.onEndOfStream(this::exitEvent);
    }

    /**
     * The "exited" event that the main pipe's {@code recv()} gives at its end, or
     * null when the frontend asked the backend to stop (an expected end). The end
     * of stream comes the moment the backend dies; its exit status a little later,
     * so this waits up to a second for it.
     */
    private MessageObject exitEvent() {
        if (stopRequested || state == State.NEW || state == State.LAUNCHED) {
            return null;
        }
        Process p = process; // published before the volatile state changed from NEW
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        boolean interrupted = false;
        while (p.isAlive() && System.nanoTime() < deadline) {
            try {
                // a pending interrupt must not cost the event its exit status: wait out the bound, then restore it
                p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        int status = p.isAlive() ? -1 : p.exitValue();
        String words = main.lastWords();
        String how = status < 0 ? "closed its channel but had not exited after 1 s" : describeStatus(status);
        String reason = words != null ? words + "; " + how : how;
        return new MessageObject("exited", "name", owner.getName(), "pid", pid, "status", status, "reason", reason);
    }

    void requireNew(String method) {
        if (state != State.NEW) {
            throw new IllegalStateException(method + "() must be called before start() of " + owner);
        }
    }

    void setOptions(BackendOptions o) {
        requireNew("setOptions");
        this.options = o;
    }

    // ------------------------------------------------------------------ start

    private static final String SELECTOR_PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
    /**
     * The JDK's own selector provider when this JVM uses it (no provider was
     * installed), else null. A backend is told its name: looking for installed
     * providers opens and indexes every jar on the class path, the largest single
     * cost of a backend's start after the JVM itself.
     */
    private static final String SELECTOR_PROVIDER = platformSelectorProvider();

    private static String platformSelectorProvider() {
        String name = java.nio.channels.spi.SelectorProvider.provider().getClass().getName();
        return name.equals("sun.nio.ch.EPollSelectorProvider") ? name : null;
    }

    /**
     * System properties that spare a backend JVM work at start: each names a
     * provider that the JDK or SLF4J would otherwise look for by scanning every
     * jar on the class path. Properties set in {@code jvmArgs} are left alone.
     */
    static List<String> backendProperties(List<String> jvmArgs, boolean thisJava) {
        List<String> props = new ArrayList<>();
        if (SELECTOR_PROVIDER != null && thisJava && !definesProperty(jvmArgs, SELECTOR_PROVIDER_PROPERTY)) {
            props.add("-D" + SELECTOR_PROVIDER_PROPERTY + "=" + SELECTOR_PROVIDER);
        }
        String provider = System.getProperty("slf4j.provider");
        if (provider == null && LogConfig.isActive()) {
            provider = jvalkka.log.ValkkaServiceProvider.class.getName();
        }
        if (provider != null && !definesProperty(jvmArgs, "slf4j.provider")) {
            props.add("-Dslf4j.provider=" + provider);
            props.add("-Dslf4j.internal.verbosity=WARN"); // else SLF4J announces the provider on every start
        }
        return props;
    }

    /**
     * JVM options for what a backend's JDK would otherwise print where the
     * frontend cannot report it, or print on every start:
     * <ul>
     * <li>{@code -XX:+DisplayVMOutputToStderr}: the VM's own messages (since JDK
     *     25 an error while the VM starts, such as a missing system class loader)
     *     go to standard error, which a failed start() reports, rather than to
     *     standard output.</li>
     * <li>On JDK 24 and 25, {@code --sun-misc-unsafe-memory-access=allow} and
     *     {@code --enable-native-access=ALL-UNNAMED}: Agrona and jnr-ffi use
     *     {@code sun.misc.Unsafe} and native libraries, about which these JDKs
     *     warn once per JVM, which for a backend is once per start. Left out when
     *     {@code jvmArgs} chooses for itself, and for another JDK.</li>
     * </ul>
     */
    static List<String> jdkOptions(List<String> jvmArgs, boolean thisJava) {
        List<String> opts = new ArrayList<>();
        if (!jvmArgs.contains("-XX:-DisplayVMOutputToStderr")) {
            opts.add("-XX:+DisplayVMOutputToStderr");
        }
        int feature = Runtime.version().feature();
        if (thisJava && feature >= 24 && feature <= 25) {
            if (!startsWithAny(jvmArgs, "--sun-misc-unsafe-memory-access")) {
                opts.add("--sun-misc-unsafe-memory-access=allow");
            }
            if (!startsWithAny(jvmArgs, "--enable-native-access")) {
                opts.add("--enable-native-access=ALL-UNNAMED");
            }
        }
        return opts;
    }

    private static boolean startsWithAny(List<String> jvmArgs, String prefix) {
        for (String a : jvmArgs) {
            if (a.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean definesProperty(List<String> jvmArgs, String property) {
        return startsWithAny(jvmArgs, "-D" + property + "=");
    }

    synchronized void launch() {
        if (state != State.NEW) {
            throw new IllegalStateException(owner + " was already started: a process starts once");
        }
        BackendClassPath where = BackendClassPath.of(options, owner.getClass(), owner); // fails here, or fits
        processBytes = serializeOwner();
        owner.allowHandlerTypes(); // the backend's messages may carry them too
        main.maxMessageBytes(options.maxMessageBytes());
        internal.maxMessageBytes(options.maxMessageBytes());
        returned = new ReturnQueue(options.returnCapacity());
        token = new byte[16];
        RANDOM.nextBytes(token);
        try {
            socketPath = RunDir.sockets().resolve(ProcessHandle.current().pid() + "-" + SOCKET_SEQ.incrementAndGet());
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            PeerCheck.bindListener(server, socketPath); // 0600 from the moment the backend can see it
            server.configureBlocking(false);
        } catch (IOException | java.io.UncheckedIOException e) {
            cleanupSocket();
            throw new BackendStartException(owner + ": cannot open the process channel"
                    + (socketPath == null ? "" : " at " + socketPath) + ": " + e.getMessage(), e);
        }
        ClassDataSharing.Plan cds = options.runsThisJava() && where.classPathOnly()
                ? ClassDataSharing.plan(options.jvmArgs(), where.classPath())
                : ClassDataSharing.none(options.jvmArgs(), where.classPath());
        List<String> cmd = new ArrayList<>();
        cmd.add(options.javaCommand());
        cmd.addAll(options.jvmArgs());
        cmd.addAll(cds.jvmArgs());
        cmd.add("-Djvalkka.process=" + label);
        cmd.addAll(backendProperties(options.jvmArgs(), options.runsThisJava()));
        cmd.addAll(jdkOptions(options.jvmArgs(), options.runsThisJava()));
        cmd.addAll(where.launchArgs(cds.classPath()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        launchedAt = System.nanoTime();
        try {
            process = pb.start();
        } catch (IOException e) {
            cleanupSocket();
            throw new BackendStartException(owner + ": cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        }
        pid = process.pid();
        stdin = process.getOutputStream();
        stderr.start(process.getErrorStream(), label);
        try {
            String boot = socketPath + " " + HexFormat.of().formatHex(token) + " " + ProcessHandle.current().pid() + "\n";
            stdin.write(boot.getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            // the JVM died at once; awaitReady reports its status and stderr
        }
        state = State.LAUNCHED;
        LIVE.add(this);
        RunDir.addChild(process, label);
    }

    private byte[] serializeOwner() {
        Crossing.begin();
        try {
            return ProcessTransfer.encode(owner);
        } catch (NotSerializableException e) {
            String path = FieldPath.findUnserializable(owner);
            throw new BackendStartException(owner + " cannot start: "
                    + (path != null ? "field " + path : "a " + e.getMessage())
                    + " cannot cross to the backend: it is not Serializable. Mark the field transient and create "
                    + "it in preRun__ (backend), or make its class Serializable", e);
        } catch (IOException | RuntimeException e) {
            String path = FieldPath.findUnserializable(owner);
            throw new BackendStartException(owner + " cannot start: serializing it failed"
                    + (path != null ? " at field " + path : "") + ": " + e, e);
        } finally {
            crossed = Crossing.end();
        }
    }

    /** What the boot frame carries: the logging configuration, then the process object. */
    static byte[] bootPayload(byte[] processBytes) throws IOException {
        ByteArrayOutputStream boot = new ByteArrayOutputStream(processBytes.length + 256);
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(boot)) {
            out.writeUTF(LogConfig.snapshot().encode());
            out.writeInt(processBytes.length);
            out.write(processBytes);
        }
        return boot.toByteArray();
    }

    synchronized void awaitReady() {
        if (state == State.RUNNING) {
            return;
        }
        if (state != State.LAUNCHED) {
            throw new IllegalStateException(owner + " was not launched");
        }
        long deadline = launchedAt + options.startTimeout().toNanos();
        SocketChannel[] channels = new SocketChannel[2];
        try (Selector sel = Selector.open()) {
            server.register(sel, SelectionKey.OP_ACCEPT);
            List<SocketChannel> unidentified = new ArrayList<>();
            Map<SocketChannel, ByteBuffer> hello = new ConcurrentHashMap<>();
            while (channels[0] == null || channels[1] == null) {
                if (!process.isAlive()) {
                    throw startFailure("the backend JVM exited with exit status " + process.waitFor()
                            + " before it connected");
                }
                if (System.nanoTime() > deadline) {
                    throw startFailure("the backend JVM did not connect within " + options.startTimeout().toMillis()
                            + " ms");
                }
                sel.select(20);
                sel.selectedKeys().clear();
                PeerCheck.UnixTable table = new PeerCheck.UnixTable(); // read at most once or twice per round
                SocketChannel c;
                while ((c = server.accept()) != null) {
                    String refused = PeerCheck.whyNotFrom(c, socketPath, pid, table);
                    if (refused != null) {
                        logger.warn("start: a connection on {} was refused: {}", socketPath, refused);
                        c.close();
                        continue;
                    }
                    c.configureBlocking(false);
                    c.register(sel, SelectionKey.OP_READ);
                    unidentified.add(c);
                    hello.put(c, ByteBuffer.allocate(17));
                }
                table.release(); // its buffer serves the next round's table
                for (SocketChannel u : List.copyOf(unidentified)) {
                    ByteBuffer b = hello.get(u);
                    if (u.read(b) < 0) {
                        unidentified.remove(u);
                        u.close();
                        continue;
                    }
                    if (!b.hasRemaining()) {
                        unidentified.remove(u);
                        byte[] got = new byte[16];
                        b.flip();
                        b.get(got);
                        int which = b.get();
                        if (!java.security.MessageDigest.isEqual(got, token) || which < 0 || which > 1
                                || channels[which] != null) {
                            logger.warn("start: a connection with a wrong handshake on {} was refused", socketPath);
                            u.close();
                            continue;
                        }
                        u.keyFor(sel).cancel();
                        channels[which] = u;
                    }
                }
            }
            sel.selectNow(); // deregister the accepted channels before they go to the pipes
        } catch (IOException e) {
            throw startFailure("the process channel failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw startFailure("interrupted while waiting for the backend");
        } finally {
            cleanupSocket();
        }
        try {
            main.connect(channels[0]);
            internal.connect(channels[1]);
            main.sendRaw(MessagePipe.KIND_BOOT, bootPayload(processBytes));
            processBytes = null;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw startFailure("the backend JVM was not ready within " + options.startTimeout().toMillis()
                            + " ms");
                }
                MessagePipe.Frame f;
                try {
                    f = main.recvFrame(Math.min(left, 50));
                } catch (PipeClosedException e) {
                    process.waitFor(2, TimeUnit.SECONDS);
                    throw startFailure("the backend JVM closed its channel"
                            + (process.isAlive() ? "" : " and exited with status " + process.exitValue()));
                }
                if (f == null) {
                    if (!process.isAlive()) {
                        throw startFailure("the backend JVM exited with exit status " + process.exitValue()
                                + " before it was ready");
                    }
                    continue;
                }
                if (f.kind() == MessagePipe.KIND_READY) {
                    break;
                }
                if (f.kind() == MessagePipe.KIND_FAIL) {
                    throw startFailure("the backend could not restore the process object:\n"
                            + new String(f.payload(), StandardCharsets.UTF_8));
                }
                throw startFailure("unexpected frame kind " + f.kind() + " during the handshake");
            }
        } catch (IOException e) {
            throw startFailure("the handshake failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw startFailure("interrupted while waiting for the backend");
        }
        if (options.awaitPreRun()) {
            awaitPreRun(deadline);
        }
        state = State.RUNNING;
        for (Object h : crossed) {
            if (h instanceof jvalkka.sync.PeerAware pa) {
                pa.addPeer(this);
            }
        }
        crossed = List.of();
        process.onExit().thenRun(this::exited);
        // return_out__ is read from the start, not from the first returnFromBack: a backend blocked in
        // return_out__ before anyone called returnFromBack stops reading commands, and a burst of sends
        // would wait for ever (started here, not on the first send, so that it costs no send any latency)
        startRouter();
        logger.debug("start: backend running as pid {}", pid);
    }

    /**
     * Waits for the backend's {@link Backend#STARTED} on the internal pipe: what
     * {@code return_out__} sent before it goes to {@code returnFromBack}; a
     * failed {@code preRun__} fails the start with its exception as the cause.
     */
    private void awaitPreRun(long deadline) {
        try {
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw startFailure("preRun__ did not return within the start timeout of "
                            + options.startTimeout().toMillis() + " ms");
                }
                MessageObject m;
                try {
                    m = internal.recv(Math.min(left, 100));
                } catch (MessagePipe.TimeoutWaiting e) {
                    if (!process.isAlive()) {
                        throw exitedBeforePreRunReturned();
                    }
                    continue;
                } catch (PipeClosedException e) {
                    throw exitedBeforePreRunReturned();
                }
                if (m != null && Backend.STARTED.equals(m.command())) {
                    if (m.get("error") instanceof byte[] error) {
                        Throwable cause = Throwables.decode(error);
                        process.waitFor(2, TimeUnit.SECONDS); // it exits by itself, with its own status
                        throw startFailure("preRun__ raised " + cause, cause);
                    }
                    return;
                }
                returned.add(m == null ? NULL_RETURN : m);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw startFailure("interrupted while waiting for preRun__");
        }
    }

    private BackendStartException exitedBeforePreRunReturned() throws InterruptedException {
        process.waitFor(2, TimeUnit.SECONDS);
        String words = main.lastWords();
        return startFailure("the backend " + (process.isAlive() ? "closed its channel"
                : describeStatus(process.exitValue())) + " before preRun__ returned"
                + (words != null ? " (" + words + ")" : ""));
    }

    private BackendStartException startFailure(String what) {
        return startFailure(what, null);
    }

    private BackendStartException startFailure(String what, Throwable cause) {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String err = stderr.awaitCaptured(2000);
        state = State.EXITED;
        deathReport = "backend " + label + " (pid " + pid + ") failed to start";
        LIVE.remove(this);
        RunDir.removeChild(process);
        closeQuietly();
        return new BackendStartException(owner + " failed to start: " + what
                + (process.isAlive() || what.contains("status") ? "" : " (exit status " + process.exitValue() + ")")
                + (cause != null ? "" // it got that far: it writes to our stderr itself by now
                        : err.isBlank() ? "; it printed nothing on stderr" : "; its stderr:\n" + err.strip()), cause);
    }

    private void cleanupSocket() {
        try {
            if (server != null) {
                server.close();
            }
            if (socketPath != null) {
                PeerCheck.deleteNames(socketPath);
            }
        } catch (IOException ignored) {
            // a leftover socket file in our private directory is harmless
        }
    }

    // ------------------------------------------------------------- messaging

    void send(MessageObject m) {
        requireStarted("sendMessageToBack");
        sends.incrementAndGet(); // the router lifts the returnFromBack bound while a send is stuck
        try {
            main.send(m);
        } catch (PipeClosedException e) {
            throw new PipeClosedException(label + ": cannot send " + m + ": " + describeDeath());
        } finally {
            sends.addAndGet(SEND_FINISHED);
        }
    }

    private void requireStarted(String method) {
        if (state == State.NEW || state == State.LAUNCHED) {
            throw new IllegalStateException(method + ": " + owner + " has not started; call start() first");
        }
    }

    MessageObject returnFromBack() {
        requireStarted("returnFromBack");
        startRouter();
        ReturnQueue returned = this.returned;
        while (true) {
            Object o;
            try {
                o = returned.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("returnFromBack interrupted", e);
            }
            if (o instanceof MessageObject m) {
                return m;
            }
            if (o == NULL_RETURN) {
                return null;
            }
            if (o == null && state == State.EXITED && !router.isAlive() && returned.isEmpty()) {
                throw new PipeClosedException(label + ": returnFromBack: " + describeDeath());
            }
        }
    }

    private static final Object NULL_RETURN = new Object();

    private record Pending(CompletableFuture<Object> future, JavaType type) {
    }

    /** A proxy call: fire-and-forget for void methods, otherwise waits for (or returns a future of) the reply. */
    Object call(Method method, MessageObject m) throws Throwable {
        Class<?> rt = method.getReturnType();
        if (rt == void.class) {
            send(m);
            return null;
        }
        requireStarted(method.getName());
        boolean async = CompletionStage.class.isAssignableFrom(rt);
        Type valueType = async ? futureArgument(method.getGenericReturnType()) : method.getGenericReturnType();
        long id = callIds.incrementAndGet();
        CompletableFuture<Object> f = new CompletableFuture<>();
        pending.put(id, new Pending(f, Codec.typeOf(valueType)));
        startRouter();
        returned.wake(); // the reply must not wait behind return_out__ objects that nobody takes
        Map<String, Object> params = new java.util.LinkedHashMap<>(m.parameters());
        params.put(Backend.REPLY, id);
        try {
            send(new MessageObject(m.command(), params));
        } catch (RuntimeException e) {
            pending.remove(id);
            throw e;
        }
        if (state == State.EXITED) {
            failPending();
        }
        if (async) {
            return f;
        }
        main.flush();
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            for (Class<?> declared : method.getExceptionTypes()) {
                if (declared.isInstance(t)) {
                    throw t;
                }
            }
            if (t instanceof RuntimeException || t instanceof Error) {
                t.addSuppressed(new CalledFrom(label + " proxy call " + method.getName()));
                throw t;
            }
            throw new BackendException(t.getClass().getName(), t.getMessage(), t);
        }
    }

    /** Marks where the frontend made the call that failed in the backend. */
    static final class CalledFrom extends Exception {
        private static final long serialVersionUID = 1L;

        CalledFrom(String what) {
            super("called from the frontend: " + what);
        }
    }

    private static Type futureArgument(Type t) {
        return t instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
    }

    private synchronized void startRouter() {
        if (router != null) {
            return;
        }
        router = new Thread(null, this::route, "jvalkka-replies-" + label, 256 * 1024);
        router.setDaemon(true);
        router.start();
    }

    /**
     * Reads the internal pipe: replies complete their calls, everything else
     * waits for returnFromBack, at most {@link BackendOptions#returnCapacity()}
     * objects. While that many wait, this stops reading, so the backend's
     * {@code return_out__} blocks once the socket is full too. Proxy replies
     * travel on the same pipe, behind those objects, so the bound is lifted
     * (see {@link #mayExceedReturnBound}) whenever waiting could deadlock.
     */
    private void route() {
        ReturnQueue returned = this.returned;
        try {
            while (true) {
                MessageObject m = internal.recv();
                if (m != null && Backend.STARTED.equals(m.command())) {
                    continue; // for a start() that waits for preRun__; nobody else wants it
                }
                if (m != null && Backend.REPLY.equals(m.command()) && m.get("id") instanceof Number n) {
                    Pending p = pending.remove(n.longValue());
                    if (p == null) {
                        continue;
                    }
                    if (m.has("error")) {
                        p.future.completeExceptionally(Throwables.decode((byte[]) m.get("error")));
                    } else {
                        try {
                            p.future.complete(Codec.convert(m.get("value"), p.type));
                        } catch (RuntimeException e) {
                            p.future.completeExceptionally(new IllegalStateException("the backend's reply "
                                    + MessageObject.show(m.get("value")) + " is not a " + p.type.toCanonical(), e));
                        }
                    }
                } else {
                    returned.put(m == null ? NULL_RETURN : m, this::mayExceedReturnBound);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            awaitExit(2000);
            failPending();
        } catch (RuntimeException e) {
            // the backend is gone (or the pipe closed): fail whatever waits, saying how it ended
            awaitExit(2000);
            failPending();
        }
    }

    /** How long a frontend send must make no progress before the router counts it as stuck. */
    private static final long SEND_STUCK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private long sendsSeen = -1; // the router's last look at sends, and when it changed
    private long sendsSeenAt;

    /**
     * Whether the router may queue past the returnFromBack bound now, because
     * waiting for returnFromBack could deadlock. Router thread only. True while
     * <ul>
     * <li>a proxy call waits for its reply (the reply may be behind the unread
     *     objects, or the backend may be blocked in {@code return_out__} before
     *     it can answer);</li>
     * <li>a stop was requested, or the backend has exited (what it still sends is
     *     finite, and it must be able to finish its handler and see the stop);</li>
     * <li>a {@code sendMessageToBack} has made no progress for
     *     {@link #SEND_STUCK_NANOS}: the backend is not reading because it is
     *     blocked in {@code return_out__}, and the sending thread may be the one
     *     that would take the objects afterwards (send a burst, then read).</li>
     * </ul>
     */
    private boolean mayExceedReturnBound() {
        if (!pending.isEmpty() || stopRequested || state == State.EXITED) {
            return true;
        }
        long s = sends.get();
        if ((int) s == 0) {
            sendsSeen = -1;
            return false;
        }
        long now = System.nanoTime();
        if (s != sendsSeen) {
            sendsSeen = s;
            sendsSeenAt = now;
            return false;
        }
        return now - sendsSeenAt >= SEND_STUCK_NANOS;
    }

    /** The end of a pipe comes a moment before the exit status: wait for it, within a bound. */
    private void awaitExit(long millis) {
        try {
            if (process.waitFor(millis, TimeUnit.MILLISECONDS)) {
                exited();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void failPending() {
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future.completeExceptionally(new PipeClosedException(label + ": no reply: " + describeDeath()));
            }
        }
    }

    // ------------------------------------------------------------------ stop

    void requestStop() {
        if (state != State.RUNNING || stopRequested) {
            return;
        }
        stopRequested = true;
        try {
            main.trySendNow(null); // never waits: a backend that stopped reading is killed by waitStop
        } catch (RuntimeException e) {
            logger.debug("requestStop: the backend is already gone ({})", e.getMessage());
        }
    }

    void waitStop() {
        if (state == State.NEW) {
            return;
        }
        if (state == State.LAUNCHED) {
            awaitReady();
        }
        long timeoutMs = options.stopTimeout().toMillis();
        try {
            main.flush(timeoutMs); // bounded: a backend that stopped reading is killed below
        } catch (RuntimeException e) {
            // already gone
        }
        try {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                logger.warn("waitStop: the backend (pid {}) did not stop within {} ms: killing it", pid, timeoutMs);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("waitStop interrupted", e);
        }
        exited();
    }

    /** Runs once when the backend JVM has exited, from whichever thread notices first. */
    private void exited() {
        synchronized (this) {
            if (state == State.EXITED) {
                return;
            }
            // the report first: a thread that sees EXITED may read it at once
            deathReport = "backend " + label + " (pid " + pid + ") " + describeStatus(process.exitValue());
            state = State.EXITED;
        }
        main.closedBecause(deathReport);
        internal.closedBecause(deathReport);
        LIVE.remove(this);
        RunDir.removeChild(process);
        try {
            stdin.close();
        } catch (IOException ignored) {
            // it was the backend's; nothing is lost
        }
        // the backend is gone: read what it sent into the pipes' buffers and give their descriptors back
        // (two sockets, the selectors); recv() and returnFromBack() still give what it sent, then the end
        releaseQuietly(main);
        releaseQuietly(internal);
        if (router == null) {
            failPending();
        } // else the router fails them once it has read what the backend sent before it exited
        for (Runnable r : deathActions) {
            runQuietly(r);
        }
        if (!stopRequested) {
            logger.warn("the backend exited without being asked to stop: {}", deathReport);
        }
    }

    static String describeStatus(int status) {
        if (status > 128 && status < 160) {
            int sig = status - 128;
            String name = switch (sig) {
                case 9 -> "SIGKILL";
                case 15 -> "SIGTERM";
                case 2 -> "SIGINT";
                case 6 -> "SIGABRT";
                case 11 -> "SIGSEGV";
                default -> "signal " + sig;
            };
            return "was killed by " + name + " (exit status " + status + ")";
        }
        return "exited with status " + status;
    }

    private String describeDeath() {
        String r = deathReport;
        return r != null ? r : "the backend " + label + " is gone";
    }

    private static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // a death action must not stop the others
        }
    }

    private void releaseQuietly(MessagePipe pipe) {
        try {
            pipe.release();
        } catch (RuntimeException e) {
            logger.debug("releasing {} failed: {}", pipe, e.toString());
        }
    }

    private void closeQuietly() {
        try {
            main.close();
        } catch (RuntimeException ignored) {
            // best effort
        }
        try {
            internal.close();
        } catch (RuntimeException ignored) {
            // best effort
        }
    }

    /** At JVM exit: ask every live backend to stop, give them a moment, then kill the rest. */
    private static void stopAllAtExit() {
        List<Frontend> live = List.copyOf(LIVE);
        for (Frontend f : live) {
            f.requestStop();
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (Frontend f : live) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !f.process.waitFor(left, TimeUnit.NANOSECONDS)) {
                    f.process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                f.process.destroyForcibly();
            } catch (RuntimeException ignored) {
                // keep going: every child must be handled
            }
        }
    }

    // ------------------------------------------------------------------ Peer

    boolean isAliveProcess() {
        return process != null && process.isAlive();
    }

    long pid() {
        return pid;
    }

    int exitCode() {
        Process p = process; // the process knows it has exited before our exit callback has run
        return p != null && state != State.NEW && !p.isAlive() ? p.exitValue() : -1;
    }

    @Override
    public boolean isAlive() {
        return state != State.EXITED && isAliveProcess();
    }

    @Override
    public String deathReport() {
        return describeDeath();
    }

    @Override
    public void onDeath(Runnable action) {
        deathActions.add(action);
        if (state == State.EXITED) {
            if (deathActions.remove(action)) {
                runQuietly(action);
            }
        }
    }

    /**
     * Copies the backend's standard error to ours while it starts, keeping the text
     * for an error report. A backend that is ready takes over our standard error
     * directly (see {@code BackendMain}), which ends this copy.
     */
    private static final class StderrPump {
        private final StringBuilder captured = new StringBuilder();
        private Thread thread;
        private volatile boolean capturing = true;

        void start(InputStream in, String label) {
            thread = new Thread(null, () -> {
                byte[] buf = new byte[4096];
                PrintStream err = System.err;
                try {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        if (capturing) {
                            synchronized (captured) {
                                if (captured.length() < 64 * 1024) {
                                    captured.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                                }
                            }
                        }
                        err.write(buf, 0, n);
                        err.flush();
                    }
                } catch (IOException ignored) {
                    // the backend closed its end
                }
            }, "jvalkka-stderr-" + label, 64 * 1024);
            thread.setDaemon(true);
            thread.start();
        }

        String awaitCaptured(long millis) {
            try {
                thread.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (captured) {
                return captured.toString();
            }
        }
    }
}
