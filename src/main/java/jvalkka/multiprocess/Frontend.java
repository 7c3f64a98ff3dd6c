package jvalkka.multiprocess;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;

import com.fasterxml.jackson.databind.JavaType;

import jvalkka.multiprocess.Lifecycle.State;

/**
 * The frontend half of one started {@link MessageProcess}: it puts the pieces
 * together and sends. {@link BackendStart} launches the backend and waits until
 * it is ready, {@link Lifecycle} follows its life (stop, death),
 * {@link BackendReplies} routes what comes back on the internal pipe, and
 * {@link LiveBackends} stops it when this JVM exits.
 */
final class Frontend {
    private final MessageProcess owner;
    private final String label;
    private final Logger logger;
    final MessagePipe main;
    final MessagePipe internal;
    final Lifecycle life;
    private volatile BackendOptions options = BackendOptions.defaults();

    private final BackendStart start;
    private volatile BackendReplies replies; // made at launch, at the capacity the options give

    Frontend(MessageProcess owner, String label) {
        this.owner = owner;
        this.label = label;
        this.logger = owner.logger();
        this.main = new MessagePipe(label + " main pipe");
        this.internal = new MessagePipe(label + " internal pipe");
        this.life = new Lifecycle(label, logger, this::exited);
        this.start = new BackendStart(owner, label, main, internal, life);
        main.onFault(reason -> logger.warn("{}", reason));
        internal.onFault(reason -> logger.warn("{}", reason));
        main.onEndOfStream(this::exitEvent);
    }

    /**
     * The "exited" event that the main pipe's {@code recv()} gives at its end, or
     * null when the frontend asked the backend to stop (an expected end). The end
     * of stream comes the moment the backend dies; its exit status a little later,
     * so this waits up to a second for it; for a backend on another host, up to the
     * time its launcher gives ({@link jvalkka.internal.RemoteBackend#exitNoticeWithin()}:
     * the cluster's detection time, so that a killed node is named as lost).
     */
    private MessageObject exitEvent() {
        State state = life.state();
        if (life.stopRequested() || state == State.NEW || state == State.LAUNCHED) {
            return null;
        }
        Process p = life.process();
        long wait = p instanceof jvalkka.internal.RemoteBackend rb ? rb.exitNoticeWithin().toNanos()
                : TimeUnit.SECONDS.toNanos(1);
        long deadline = System.nanoTime() + wait;
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
        String how = status < 0 && Lifecycle.lostReason(p) == null ? "closed its channel but had not exited after "
                + TimeUnit.NANOSECONDS.toMillis(wait) + " ms" : Lifecycle.howEnded(p);
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

    /** Launches the backend ({@link BackendStart}): NEW to LAUNCHED. */
    synchronized void launch() {
        if (life.state() != State.NEW) {
            throw new IllegalStateException(owner + " was already started: a process starts once");
        }
        BackendOptions o = options;
        BackendClassPath where = start.prepare(o);
        replies = new BackendReplies(label, main, internal, life, o.returnCapacity());
        start.launch(o, where, replies);
        LiveBackends.add(this);
    }

    /** Waits until the launched backend is ready ({@link BackendStart#awaitReady}): LAUNCHED to RUNNING. */
    synchronized void awaitReady() {
        if (life.state() == State.RUNNING) {
            return;
        }
        if (life.state() != State.LAUNCHED) {
            throw new IllegalStateException(owner + " was not launched");
        }
        try {
            start.awaitReady(options, replies);
        } catch (BackendStartException e) {
            LiveBackends.remove(this);
            forgetChild(life.process());
            closeQuietly();
            throw e;
        }
        life.running();
        start.introducePeers();
        // return_out__ is read from the start, not from the first returnFromBack: a backend blocked in
        // return_out__ before anyone called returnFromBack stops reading commands, and a burst of sends
        // would wait for ever (started here, not on the first send, so that it costs no send any latency)
        replies.start();
        start.tookWarmJvmStarted(); // the pool refills now, not while this JVM's start and first messages ran
        logger.debug("start: backend running as pid {}", life.pid());
    }

    // ------------------------------------------------------------- messaging

    /** Waits for the reply of a synchronous call sent just now ({@link BackendReplies#await}). */
    Object awaitReply(BackendReplies.Call reply)
            throws InterruptedException, java.util.concurrent.ExecutionException {
        return replies.await(reply);
    }

    void send(MessageObject m) {
        send(m, 0, false);
    }

    /**
     * Sends {@code m}; as a call awaiting the reply {@code callId} when that is not 0,
     * written at once when {@code now} (a synchronous call), else possibly coalesced.
     */
    private void send(MessageObject m, long callId, boolean now) {
        requireStarted("sendMessageToBack");
        BackendReplies r = replies;
        r.sendStarted(); // the router lifts the returnFromBack bound while a send is stuck
        try {
            if (callId == 0) {
                main.send(m);
            } else {
                main.sendCall(callId, m, now);
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

    /**
     * Sends {@code m} as a proxy call ({@link ProcessProxy}) and gives the future of
     * its reply, converted to {@code type}; {@code flush}: the caller waits for it at
     * once, so the call is written at once (with whatever waited to coalesce before it)
     * rather than left to coalesce, and, to a backend on another host, answered on the main pipe
     * ({@link WireProtocol#answeredOnCallPipe}: the call and its reply share one TCP connection, so
     * the reply carries the acknowledgement of the call, and no other packet crosses).
     */
    BackendReplies.Call call(MessageObject m, JavaType type, String method, boolean flush) {
        requireStarted(method);
        BackendReplies.Call f = replies.expect(type, flush && BackendReplies.CALLER_READS && !main.isLocal());
        long id = f.id;
        try {
            send(m, id, flush); // a call waited for at once is written at once: no coalescing, no flusher
        } catch (RuntimeException e) {
            replies.forget(id);
            throw e;
        }
        if (life.state() == State.EXITED) {
            replies.failPending();
        }
        return f;
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
        start.closeStdin();
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

    String label() {
        return label;
    }

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
