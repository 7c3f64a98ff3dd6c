package jvalkka.multiprocess;

import jvalkka.internal.Serializability;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;

import jvalkka.multiprocess.Lifecycle.State;
import jvalkka.shm.internal.Crossing;

/**
 * The frontend half of one started {@link MessageProcess}: it puts the pieces
 * together. {@link BackendCommand} gives the backend's command line,
 * {@link BackendConnection} connects to it, {@link StderrPump} copies its
 * standard error while it starts, {@link Lifecycle} follows its life (stop,
 * death), {@link BackendReplies} routes what comes back on the internal pipe,
 * and {@link LiveBackends} stops it when this JVM exits.
 */
final class Frontend {
    private final MessageProcess owner;
    private final String label;
    private final Logger logger;
    final MessagePipe main;
    final MessagePipe internal;
    final Lifecycle life;
    private volatile BackendOptions options = BackendOptions.defaults();

    private OutputStream stdin;
    private BackendListener connection;
    private byte[] processBytes;
    private List<Object> crossed = List.of();
    private final StderrPump stderr = new StderrPump();
    private long launchedAt;
    private volatile BackendReplies replies; // made at launch, at the capacity the options give

    Frontend(MessageProcess owner, String label) {
        this.owner = owner;
        this.label = label;
        this.logger = owner.logger();
        this.main = new MessagePipe(label + " main pipe");
        this.internal = new MessagePipe(label + " internal pipe");
        this.life = new Lifecycle(label, logger, this::exited);
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
        State state = life.state();
        if (life.stopRequested() || state == State.NEW || state == State.LAUNCHED) {
            return null;
        }
        Process p = life.process();
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
        int status = Lifecycle.exitStatus(p);
        String words = main.lastWords();
        String how = status < 0 && Lifecycle.lostReason(p) == null ? "closed its channel but had not exited after 1 s"
                : Lifecycle.howEnded(p);
        String reason = words != null ? words + "; " + how : how;
        return WireProtocol.exitedEvent(owner.getName(), p.pid(), status, reason);
    }

    void requireNew(String method) {
        if (life.state() != State.NEW) {
            throw new IllegalStateException(method + "() must be called before start() of " + owner);
        }
    }

    BackendOptions options() {
        return options;
    }

    void setOptions(BackendOptions o) {
        requireNew("setOptions");
        this.options = o;
    }

    // ------------------------------------------------------------------ start

    synchronized void launch() {
        if (life.state() != State.NEW) {
            throw new IllegalStateException(owner + " was already started: a process starts once");
        }
        Checks.beforeStart(owner);
        BackendClassPath where = BackendClassPath.of(options, owner.getClass(), owner); // fails here, or fits
        processBytes = serializeOwner();
        owner.allowHandlerTypes(); // the backend's messages may carry them too
        main.maxMessageBytes(options.maxMessageBytes());
        internal.maxMessageBytes(options.maxMessageBytes());
        replies = new BackendReplies(label, internal, life, options.returnCapacity());
        if (options.placement() != null) {
            launchRemote();
            return;
        }
        BackendConnection local = new BackendConnection(logger);
        connection = local;
        try {
            local.open();
        } catch (IOException | java.io.UncheckedIOException e) {
            Object at = local.socketPath();
            throw new BackendStartException(owner + ": cannot open the process channel"
                    + (at == null ? "" : " at " + at) + ": " + e.getMessage(), e);
        }
        ClassDataSharing.Plan cds = ClassDataSharing.plan(options, where);
        List<String> cmd = BackendCommand.of(BackendCommand.inputs(options, cds, where, label));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        launchedAt = System.nanoTime();
        Process process = WarmPool.take(options, cmd, label, cds.jvmArgs()); // null: none idle, or no pool
        boolean warm = process != null;
        try {
            if (!warm) {
                process = pb.start();
            }
        } catch (IOException e) {
            connection.close();
            throw new BackendStartException(owner + ": cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        }
        stdin = process.getOutputStream();
        stderr.start(process.getErrorStream(), label);
        try {
            stdin.write(warm ? WarmPool.bootLine(connection.bootLine(), label) : connection.bootLine());
            stdin.flush();
        } catch (IOException e) {
            // the JVM died at once; awaitReady reports its status and stderr
        }
        life.launched(process);
        LiveBackends.add(this);
        RunDir.addChild(process, label);
    }

    /** The launch of a process with a placement: on a node of the cluster, through {@link RemoteConnection}. */
    private void launchRemote() {
        RemoteCrossing.refuseSegments(owner, crossed, options.placement());
        RemoteCrossing.Groups groups = new RemoteCrossing.Groups(crossed);
        if (!groups.isEmpty()) {
            replies.remoteGroups(groups);
        }
        RemoteConnection remote = RemoteConnection.open(owner.toString(), options.placement(), logger);
        connection = remote;
        launchedAt = System.nanoTime();
        Process process = remote.launch(owner.toString(), label, options.jvmArgs());
        life.launched(process);
        LiveBackends.add(this);
    }

    private byte[] serializeOwner() {
        Crossing.begin();
        try {
            return ProcessTransfer.encode(owner);
        } catch (IOException | RuntimeException e) {
            throw new BackendStartException(owner + " cannot start: " + Serializability.startError(owner, e), e);
        } finally {
            crossed = Crossing.end();
        }
    }

    synchronized void awaitReady() {
        if (life.state() == State.RUNNING) {
            return;
        }
        if (life.state() != State.LAUNCHED) {
            throw new IllegalStateException(owner + " was not launched");
        }
        long deadline = launchedAt + options.startTimeout().toNanos();
        long timeoutMs = options.startTimeout().toMillis();
        try {
            connection.acceptInto(main, internal, life.process(), deadline, timeoutMs);
            BackendConnection.boot(main, processBytes, life.process(), deadline, timeoutMs);
            processBytes = null;
            if (options.awaitPreRun()) {
                awaitPreRun(deadline);
            }
        } catch (BackendConnection.Failed e) {
            throw startFailure(e.getMessage(), e.backendCause, e.statusTold);
        } catch (IOException e) {
            throw startFailure("the handshake failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw startFailure("interrupted while waiting for the backend");
        }
        life.running();
        for (Object h : crossed) {
            if (h instanceof jvalkka.sync.internal.PeerAware pa) {
                pa.addPeer(life);
            }
        }
        crossed = List.of();
        // return_out__ is read from the start, not from the first returnFromBack: a backend blocked in
        // return_out__ before anyone called returnFromBack stops reading commands, and a burst of sends
        // would wait for ever (started here, not on the first send, so that it costs no send any latency)
        replies.start();
        logger.debug("start: backend running as pid {}", life.pid());
    }

    /**
     * Waits for the backend's {@code started} event ({@link WireProtocol#isStarted}) on the internal pipe: what
     * {@code return_out__} sent before it goes to {@code returnFromBack}; a
     * failed {@code preRun__} fails the start with its exception as the cause.
     */
    private void awaitPreRun(long deadline) throws InterruptedException {
        Process process = life.process();
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new BackendConnection.Failed("preRun__ did not return within the start timeout of "
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
            if (WireProtocol.isStarted(m)) {
                byte[] error = WireProtocol.startFailure(m);
                if (error != null) {
                    Throwable cause = Throwables.decode(error);
                    process.waitFor(2, TimeUnit.SECONDS); // it exits by itself, with its own status
                    throw new BackendConnection.Failed("preRun__ raised " + cause, cause);
                }
                return;
            }
            replies.addUnbounded(m);
        }
    }

    private BackendConnection.Failed exitedBeforePreRunReturned() throws InterruptedException {
        Process process = life.process();
        process.waitFor(2, TimeUnit.SECONDS);
        String words = main.lastWords();
        return new BackendConnection.Failed("the backend " + (process.isAlive() ? "closed its channel"
                : describeStatus(process.exitValue())) + " before preRun__ returned"
                + (words != null ? " (" + words + ")" : ""), null, !process.isAlive());
    }

    private BackendStartException startFailure(String what) {
        return startFailure(what, null);
    }

    private BackendStartException startFailure(String what, Throwable cause) {
        return startFailure(what, cause, false);
    }

    private BackendStartException startFailure(String what, Throwable cause, boolean statusTold) {
        Process process = life.process();
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String err = stderr.awaitCaptured(2000);
        life.failedToStart();
        LiveBackends.remove(this);
        forgetChild(process);
        connection.close();
        closeQuietly();
        return new BackendStartException(owner + " failed to start: " + what
                + (process.isAlive() || statusTold ? "" : " (exit status " + process.exitValue() + ")")
                + (cause != null ? "" // it got that far: it writes to our stderr itself by now
                        : process instanceof jvalkka.internal.RemoteBackend rb ? "; its stderr is in the log of the "
                        + "node on " + rb.host()
                        : err.isBlank() ? "; it printed nothing on stderr" : "; its stderr:\n" + err.strip()), cause);
    }

    // ------------------------------------------------------------- messaging

    void send(MessageObject m) {
        send(m, 0);
    }

    /** Sends {@code m}; as a call awaiting the reply {@code callId} when that is not 0. */
    private void send(MessageObject m, long callId) {
        requireStarted("sendMessageToBack");
        BackendReplies r = replies;
        r.sendStarted(); // the router lifts the returnFromBack bound while a send is stuck
        try {
            if (callId == 0) {
                main.send(m);
            } else {
                main.sendCall(callId, m);
            }
        } catch (PipeClosedException e) {
            throw new PipeClosedException(label + ": cannot send " + m + ": " + life.describeDeath());
        } finally {
            r.sendFinished();
        }
    }

    private void requireStarted(String method) {
        State state = life.state();
        if (state == State.NEW || state == State.LAUNCHED) {
            throw new IllegalStateException(method + ": " + owner + " has not started; call start() first");
        }
    }

    MessageObject returnFromBack() {
        requireStarted("returnFromBack");
        return replies.take();
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
        CompletableFuture<Object> f = new CompletableFuture<>();
        long id = replies.expect(f, Codec.typeOf(valueType));
        try {
            send(m, id);
        } catch (RuntimeException e) {
            replies.forget(id);
            throw e;
        }
        if (life.state() == State.EXITED) {
            replies.failPending();
        }
        if (async) {
            return f;
        }
        main.flush();
        try {
            return replies.await(f); // spins briefly for a quick reply before it parks
        } catch (ExecutionException e) {
            throw unwrapReply(method, e.getCause());
        }
    }

    /** The exception a synchronous proxy call throws for the backend's {@code t}. */
    private Throwable unwrapReply(Method method, Throwable t) {
        for (Class<?> declared : method.getExceptionTypes()) {
            if (declared.isInstance(t)) {
                return t;
            }
        }
        if (t instanceof RuntimeException || t instanceof Error) {
            t.addSuppressed(new CalledFrom(label + " proxy call " + method.getName()));
            return t;
        }
        return new BackendException(t.getClass().getName(), t.getMessage(), t);
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

    // ------------------------------------------------------------------ stop

    void requestStop() {
        if (!life.requestStop()) {
            return;
        }
        try {
            main.trySendNow(null); // never waits: a backend that stopped reading is killed by waitStop
        } catch (RuntimeException e) {
            logger.debug("requestStop: the backend is already gone ({})", e.getMessage());
        }
    }

    void waitStop() {
        if (life.state() == State.NEW) {
            return;
        }
        if (life.state() == State.LAUNCHED) {
            awaitReady();
        }
        try {
            main.flush(options.stopTimeout().toMillis()); // bounded: a backend that stopped reading is killed below
        } catch (RuntimeException e) {
            // already gone
        }
        life.awaitExitOrKill(options.stopTimeout());
    }

    /** The frontend's clean-up once the backend has exited (see {@link Lifecycle#exited}). */
    private void exited(String deathReport) {
        main.closedBecause(deathReport);
        internal.closedBecause(deathReport);
        LiveBackends.remove(this);
        forgetChild(life.process());
        try {
            if (stdin != null) {
                stdin.close();
            }
        } catch (IOException ignored) {
            // it was the backend's; nothing is lost
        }
        // the backend is gone: read what it sent into the pipes' buffers and give their descriptors back
        // (two sockets, the selectors); recv() and returnFromBack() still give what it sent, then the end
        releaseQuietly(main);
        releaseQuietly(internal);
        replies.backendExited();
    }

    /** Takes a local child out of the run record (a backend on another host is in its node's). */
    private static void forgetChild(Process p) {
        if (!(p instanceof jvalkka.internal.RemoteBackend)) {
            RunDir.removeChild(p);
        }
    }

    static String describeStatus(int status) {
        return Lifecycle.describeStatus(status);
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

    // ------------------------------------------------------------------ queries

    Process process() {
        return life.process();
    }

    long pid() {
        return life.pid();
    }

    int exitCode() {
        return life.state() == State.NEW ? -1 : life.exitCode();
    }

    boolean isAlive() {
        return life.isAlive();
    }
}
