package jvalkka.multiprocess;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;

import jvalkka.internal.Serializability;
import jvalkka.shm.internal.Crossing;

/**
 * Starting one backend, for its {@link Frontend}: the launch (a JVM of this
 * host's, a warm one from {@link WarmPool}, or one on a node of the cluster
 * through {@link RemoteConnection}), then the wait until it is ready (accept,
 * token, boot, and {@code preRun__} when the options ask for it). A start that
 * fails ends the backend and reports its exit status and standard error.
 *
 * <p>It follows the start only and never sends a message; once the backend
 * runs, its {@link Frontend} needs it for one thing more: to close the
 * backend's standard input ({@link #closeStdin}) when the backend has exited.
 * Not thread-safe: the frontend calls it under its own lock.
 */
final class BackendStart {
    private final MessageProcess owner;
    private final String label;
    private final Logger logger;
    private final MessagePipe main;
    private final MessagePipe internal;
    private final Lifecycle life;

    private OutputStream stdin;
    private BackendListener connection;
    private byte[] processBytes;
    private List<Object> crossed = List.of();
    private StderrPump stderr = new StderrPump();
    private long launchedAt;

    BackendStart(MessageProcess owner, String label, MessagePipe main, MessagePipe internal, Lifecycle life) {
        this.owner = owner;
        this.label = label;
        this.logger = owner.logger();
        this.main = main;
        this.internal = internal;
        this.life = life;
    }

    /**
     * Checks the process and serialises it for the backend (what it restores),
     * before anything is launched; a start that may take a warm JVM
     * ({@link BackendOptions#warmPool()}) serialises it in {@link #launch}
     * instead, once the warm JVM has its take line (it wakes and loads the
     * process's class meanwhile), and ends that JVM when the process cannot cross.
     *
     * @return where the backend's classes come from
     * @throws BackendStartException when a field cannot cross (the message names it)
     */
    BackendClassPath prepare(BackendOptions options) {
        Checks.beforeStart(owner);
        BackendClassPath where = BackendClassPath.of(options, owner.getClass(), owner); // fails here, or fits
        if (options.warmPool() <= 0 || options.placement() != null) {
            processBytes = serializeOwner();
        }
        owner.allowHandlerTypes(); // the backend's messages may carry them too
        main.maxMessageBytes(options.maxMessageBytes());
        internal.maxMessageBytes(options.maxMessageBytes());
        return where;
    }

    /** Launches the backend: {@link Lifecycle} NEW to LAUNCHED. */
    void launch(BackendOptions options, BackendClassPath where, BackendReplies replies) {
        if (options.placement() != null) {
            launchRemote(options, replies);
        } else {
            launchLocal(options, where);
        }
    }

    private void launchLocal(BackendOptions options, BackendClassPath where) {
        ClassDataSharing.Plan cds = ClassDataSharing.plan(options, where, owner.getClass());
        List<String> cmd = BackendCommand.of(BackendCommand.inputs(options, cds, where, label));
        launchedAt = System.nanoTime();
        WarmJvm.Connected warmJvm;
        // whether the process crosses as field values, which the take line says; its bytes are made once the
        // warm JVM has the line (it wakes and loads the class meanwhile), as they are when it goes serialized
        boolean plain = processBytes == null && ProcessTransfer.isPlain(owner);
        while ((warmJvm = WarmPool.take(options, cmd, label, cds.jvmArgs(), owner.getClass().getName(), plain)) != null
                && !handOver(warmJvm)) {
            // it died after the pool's liveness check, before anything of the process crossed: another, or cold
            logger.debug("start: the warm JVM pid {} died before it was handed the process", warmJvm.process.pid());
        }
        if (warmJvm != null && processBytes == null) {
            processBytes = serializeTaking(warmJvm); // the warm JVM loads the class meanwhile
        } else if (processBytes == null) {
            processBytes = serializeOwner(); // before anything is launched
        }
        Process process;
        if (warmJvm != null) {
            connection = warmJvm; // connected and proven already: the start only sends the boot frame
            process = warmJvm.process; // its take line is written (serializeTaking)
        } else {
            BackendConnection local = new BackendConnection(logger);
            connection = local;
            try {
                local.open();
            } catch (IOException | java.io.UncheckedIOException e) {
                Object at = local.socketPath();
                throw new BackendStartException(owner + ": cannot open the process channel"
                        + (at == null ? "" : " at " + at) + ": " + e.getMessage(), e);
            }
            try {
                process = new ProcessBuilder(cmd)
                        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                        .redirectError(ProcessBuilder.Redirect.PIPE)
                        .redirectInput(ProcessBuilder.Redirect.PIPE).start();
            } catch (IOException e) {
                connection.close();
                throw new BackendStartException(owner + ": cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
            }
        }
        stdin = process.getOutputStream();
        if (warmJvm != null) {
            stderr = warmJvm.stderr; // copying since the JVM got ready
        } else {
            stderr.start(process.getErrorStream(), label);
            writeBootLine();
        }
        life.launched(process);
        if (warmJvm == null) { // a warm JVM is in the run record since its spawn (RunRecord.addChild reads /proc
            RunDir.addChild(process, label, cmd); // and rewrites the record: some of a warm start's milliseconds)
        }
    }

    /** The launch of a process with a placement: on a node of the cluster, through {@link RemoteConnection}. */
    private void launchRemote(BackendOptions options, BackendReplies replies) {
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
    }

    /**
     * Writes the connection's boot line (a warm JVM's: its take line) on the
     * backend's standard input; false when that fails (the JVM died: a cold
     * start's {@code awaitReady} reports its status and stderr).
     */
    private boolean writeBootLine() {
        try {
            stdin.write(connection.bootLine());
            stdin.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Hands the warm JVM just taken its take line. False when it turns out dead
     * (it died after the pool checked it, before the line reached it, or at
     * once): it is then ended and forgotten, and the start takes another or
     * starts one cold. Nothing of the process has crossed by then (the take line
     * names its class, which no warm JVM initialises), so nothing the process
     * does happens twice.
     */
    private boolean handOver(WarmJvm.Connected warmJvm) {
        stdin = warmJvm.process.getOutputStream();
        connection = warmJvm;
        java.util.function.Consumer<Process> hook = WarmPool.beforeHandOver;
        if (hook != null) {
            hook.accept(warmJvm.process);
        }
        if (writeBootLine() && warmJvm.process.isAlive()) {
            return true;
        }
        warmJvm.stop();
        WarmPool.takenStarted();
        connection = null;
        stdin = null;
        return false;
    }

    /**
     * Serialises the process for the warm JVM that has its take line (it loads
     * the class meanwhile); when the process cannot cross, ends that JVM and
     * throws as {@link #prepare} would have.
     */
    private byte[] serializeTaking(WarmJvm.Connected warmJvm) {
        try {
            return serializeOwner();
        } catch (RuntimeException e) {
            warmJvm.stop(); // it may have loaded the class: it serves no other process
            WarmPool.takenStarted();
            connection = null;
            stdin = null;
            throw e;
        }
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

    /**
     * Waits until the launched backend is ready: connected, booted, and past
     * {@code preRun__} when {@link BackendOptions#awaitPreRun()} asks for it.
     * Then the handles that crossed with the process learn their peer.
     *
     * @throws BackendStartException when it fails or is not ready within the start
     *         timeout; the backend has then ended ({@link Lifecycle} EXITED) and its
     *         connection is closed (the caller closes the pipes)
     */
    void awaitReady(BackendOptions options, BackendReplies replies) {
        long deadline = launchedAt + options.startTimeout().toNanos();
        long timeoutMs = options.startTimeout().toMillis();
        try {
            connection.acceptInto(main, internal, life.process(), deadline, timeoutMs);
            BackendConnection.boot(main, processBytes, life.process(), deadline, timeoutMs);
            processBytes = null;
            if (options.awaitPreRun()) {
                awaitPreRun(options, replies, deadline);
            }
        } catch (BackendConnection.Failed e) {
            throw startFailure(e.getMessage(), e.backendCause, e.statusTold);
        } catch (IOException e) {
            throw startFailure("the handshake failed: " + e, null, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw startFailure("interrupted while waiting for the backend", null, false);
        }
    }

    /** Tells the handles that crossed with the process (shared-memory events) that the backend is their peer. */
    void introducePeers() {
        for (Object h : crossed) {
            if (h instanceof jvalkka.sync.internal.PeerAware pa) {
                pa.addPeer(life);
            }
        }
        crossed = List.of();
    }

    /**
     * Waits for the backend's {@code started} event ({@link WireProtocol#isStarted}) on the internal pipe: what
     * {@code return_out__} sent before it goes to {@code returnFromBack}; a
     * failed {@code preRun__} fails the start with its exception as the cause.
     */
    private void awaitPreRun(BackendOptions options, BackendReplies replies, long deadline)
            throws InterruptedException {
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
                : Lifecycle.describeStatus(process.exitValue())) + " before preRun__ returned"
                + (words != null ? " (" + words + ")" : ""), null, !process.isAlive());
    }

    /** Ends the backend that failed to start; the exception says what failed, with its status and stderr. */
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
        tookWarmJvmStarted();
        life.failedToStart();
        connection.close();
        return new BackendStartException(owner + " failed to start: " + what
                + (process.isAlive() || statusTold ? "" : " (exit status " + process.exitValue() + ")")
                + (cause != null ? "" // it got that far: it writes to our stderr itself by now
                        : process instanceof jvalkka.internal.RemoteBackend rb ? "; its stderr is in the log of the "
                        + "node on " + rb.host()
                        : err.isBlank() ? "; it printed nothing on stderr" : "; its stderr:\n" + err.strip()), cause);
    }

    /** The start that took a warm JVM is over (ready or failed): the pool may refill now, not while it ran. */
    void tookWarmJvmStarted() {
        if (connection instanceof WarmJvm.Connected) {
            WarmPool.takenStarted();
        }
    }

    /** Closes the backend's standard input, once it has exited. */
    void closeStdin() {
        try {
            if (stdin != null) {
                stdin.close();
            }
        } catch (IOException ignored) {
            // it was the backend's; nothing is lost
        }
    }
}
