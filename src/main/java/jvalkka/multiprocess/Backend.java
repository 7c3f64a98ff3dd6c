package jvalkka.multiprocess;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CompletionStage;

import org.slf4j.Logger;

import jvalkka.sync.EventGroup;

/**
 * The backend half's state: its pipe ends and the dispatch of messages to
 * {@code c__} handlers, with replies for proxy calls and error reports for
 * everything that goes wrong. Used by the backend's loop thread; replies may be
 * sent from any thread (a pipe's sends take its send lock, never its receive lock).
 */
final class Backend {
    /**
     * How a message failed, which decides how it is logged: a message that does
     * not fit its handler is the sender's mistake (no stack trace); a handler that
     * threw gets its trace logged.
     */
    private enum Failure {
        /** No handler, or the parameters do not bind to it. */
        NOT_BOUND,
        /** The handler threw, or its future completed exceptionally. */
        HANDLER
    }

    final MessageProcess process;
    final MessagePipe main;
    final MessagePipe internal;
    private final Dispatcher dispatcher;
    private final Logger logger;
    private volatile boolean startedSent;

    Backend(MessageProcess process, Logger logger, MessagePipe main, MessagePipe internal) {
        this.process = process;
        this.main = main;
        this.internal = internal;
        this.dispatcher = Dispatcher.of(process.getClass());
        this.logger = logger;
    }

    /**
     * Sends the started event ({@link WireProtocol#startedEvent}) once, on the internal
     * pipe: {@code preRun__} returned ({@code failure} null) or threw. The frontend's
     * start() waits for it when asked to; otherwise its reply router drops it. See
     * {@code MessageProcess.preRunEnded}.
     */
    void preRunEnded(Throwable failure) {
        if (startedSent) {
            return;
        }
        startedSent = true;
        try {
            internal.send(WireProtocol.startedEvent(failure == null ? null : Throwables.encode(failure)));
            internal.flush(); // a failed preRun__ ends the JVM at once: nothing may wait for the flusher
        } catch (RuntimeException e) {
            logger.debug("could not tell the frontend that preRun__ ended: {}", e.toString());
        }
    }

    /** Reports faults of the main pipe to the frontend (a class, not a lambda: see Select). */
    java.util.function.Consumer<String> faultReporter() {
        return new java.util.function.Consumer<>() {
            @Override
            public void accept(String reason) {
                reportFault(reason);
            }
        };
    }

    /**
     * Runs the message's handler; failures are reported here (see {@code BackendLoop}'s
     * error policy). Returns the handler's {@link CompletionStage}, for the caller to
     * track, or null.
     */
    CompletionStage<?> dispatch(MessageObject msg) {
        long replyTo = WireProtocol.replyId(msg); // 0: no call, nobody waits for a reply
        long sent = internal.framesSent(); // what the handler sends on the internal pipe moves its reply there
        EventGroup.Candidates synced = syncedEvents(msg);
        Dispatcher.Handler h = dispatcher.handler(msg.command());
        if (h == null) {
            failEvents(synced, msg, "no such method " + Dispatcher.PREFIX + msg.command(), null);
            fail(msg, replyTo, sent, "no such method " + Dispatcher.PREFIX + msg.command() + " in "
                    + process.getClass().getName(), null, Failure.NOT_BOUND);
            return null;
        }
        Object[] args;
        try {
            args = h.bind(msg);
        } catch (Dispatcher.DispatchError e) {
            failEvents(synced, msg, e.getMessage(), e.getCause());
            fail(msg, replyTo, sent, e.getMessage(), e.getCause(), Failure.NOT_BOUND);
            return null;
        }
        Object result;
        try {
            result = h.invoke(process, args);
        } catch (OutOfMemoryError oom) {
            throw oom; // the JVM is not fit to go on: end the backend, whose frontend gets an "exited" event
        } catch (Throwable t) {
            failEvents(synced, msg, h.method.getName() + " raised " + t, t);
            fail(msg, replyTo, sent, h.method.getName() + " raised " + t, t, Failure.HANDLER);
            return null;
        }
        if (replyTo == 0 && result instanceof CompletionStage<?> stage) {
            // nobody waits for this result: a failure must still reach the frontend, as an "error" message
            stage.whenComplete((v, t) -> {
                if (t != null) {
                    Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                            ? t.getCause() : t;
                    failEvents(synced, msg, h.method.getName() + " completed with " + cause, cause);
                    fail(msg, 0, ELSEWHERE, h.method.getName() + " completed with " + cause, cause, Failure.HANDLER);
                }
            });
        }
        if (replyTo != 0) {
            if (result instanceof CompletionStage<?> stage) {
                stage.whenComplete((v, t) -> {
                    if (t != null) {
                        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                                ? t.getCause() : t;
                        fail(msg, replyTo, ELSEWHERE, h.method.getName() + " completed with " + cause, cause,
                                Failure.HANDLER);
                    } else {
                        reply(replyTo, ELSEWHERE, v, null); // from another thread, later: the internal pipe
                    }
                });
            } else {
                reply(replyTo, sent, result, null);
            }
        }
        return result instanceof CompletionStage<?> stage ? stage : null;
    }

    /**
     * The events a SyncIndex in the frontend waits for that this message carries
     * (see {@code SyncIndex}: a failed handler fails them at once); null, at the
     * cost of a look at the message, when this backend has no EventGroup.
     */
    private static EventGroup.Candidates syncedEvents(MessageObject msg) {
        int limit = EventGroup.openedMaxEvents();
        return limit == 0 ? null : syncedEvents(msg, limit);
    }

    /**
     * {@link #syncedEvents(MessageObject)} with {@code limit} the largest opened
     * group's size: the message's int parameters in [0, limit) are looked up in the
     * opened groups (also what a warm JVM rehearses, {@link WarmUp#rehearseTakeLine}).
     */
    static EventGroup.Candidates syncedEvents(MessageObject msg, int limit) {
        // one pass; most messages carry no int that could be an index: no allocation for them
        String[] names = null;
        int[] values = null;
        int n = 0;
        for (java.util.Map.Entry<String, Object> e : msg.parameters().entrySet()) {
            if (e.getValue() instanceof Integer i && i >= 0 && i < limit) { // past every opened group's size: none
                if (names == null) {
                    int size = msg.parameters().size();
                    names = new String[size];
                    values = new int[size];
                }
                names[n] = e.getKey();
                values[n++] = i;
            }
        }
        return n == 0 ? null : EventGroup.candidates(names, values, n);
    }

    private void failEvents(EventGroup.Candidates synced, MessageObject msg, String reason, Throwable t) {
        if (synced == null) {
            return;
        }
        try {
            synced.fail(msg.command() + ": " + reason, t);
        } catch (RuntimeException e) {
            logger.debug("could not mark the events of {} failed: {}", msg.command(), e.toString());
        }
    }

    /** For {@link #reply}: the reply is not sent by the loop thread right after its handler (no count to compare). */
    private static final long ELSEWHERE = -1;

    /**
     * Sends the reply to call {@code id}. A call comes in on the main pipe; its reply leaves on the
     * internal one, or, for a call whose caller reads the main pipe for it
     * ({@link WireProtocol#answeredOnCallPipe}), on the main pipe, unless the handler sent on the
     * internal pipe since {@code internalSent} was its frame count (or that is {@link #ELSEWHERE}):
     * then on the internal pipe, behind what it sent, with a moved marker on the main pipe. A reply
     * on the internal pipe, which never read what it answers, would be taken by its coalescing
     * ({@link PipeSender}) within microseconds of its last write and left to the flusher thread (a
     * wake-up and a timed park, tens of microseconds), while the caller waits. So a reply is written
     * at once unless more messages are already buffered on the main pipe (a batch of calls: their
     * replies coalesce, and the batch's last reply takes those before it along).
     */
    private void reply(long id, long internalSent, Object value, Throwable error) {
        boolean now = !main.hasBufferedMessage();
        boolean onMain = WireProtocol.answeredOnCallPipe(id) && internalSent == internal.framesSent();
        MessagePipe to = onMain ? main : internal;
        try {
            try {
                to.sendReply(id, error == null ? WireProtocol.replyValue(value)
                        : WireProtocol.replyError(Throwables.encode(error)), now);
            } catch (IllegalArgumentException e) {
                // the value could not be encoded: the caller still gets an answer
                to.sendReply(id, WireProtocol.replyError(
                        Throwables.encode(new IllegalArgumentException("the backend's reply could not be sent: "
                                + e.getMessage(), e))), now);
            }
            if (!onMain && WireProtocol.answeredOnCallPipe(id)) {
                main.sendReply(id, WireProtocol.replyMoved(), now); // the caller reads the main pipe: look there
            }
        } catch (PipeClosedException e) {
            logger.debug("reply {} not sent: the frontend is gone", id);
        }
    }

    /** A message that could not be handled: log it, and tell the frontend. */
    private void fail(MessageObject msg, long replyTo, long internalSent, String reason, Throwable t, Failure how) {
        String params = paramsForReport(msg);
        if (t != null && how == Failure.HANDLER) {
            logger.error("routeMainPipe__: {} with parameters {}: {}", msg.command(), params, reason, t);
        } else {
            logger.error("routeMainPipe__: {} with parameters {}: {}", msg.command(), params, reason);
        }
        if (replyTo != 0) {
            reply(replyTo, internalSent, null, t != null ? t : new IllegalArgumentException(reason));
            return;
        }
        report(WireProtocol.errorEvent(msg.command(), params, reason, t, t == null ? null : trace(t)));
    }

    /**
     * A backend step outside any handler failed ({@code asyncPre__}, {@code asyncPost__}):
     * log it, and tell the frontend with an {@code "error"} whose command is the step.
     */
    void reportStepFailure(String step, Throwable t) {
        logger.error("{} failed with {}", step, t.toString(), t);
        report(new MessageObject("error", "command", step, "parameters", null, "reason", step + " raised " + t,
                "exception", t.getClass().getName(), "trace", trace(t)));
    }

    /** A fault on the channel itself (garbage, a truncated or undecodable frame). */
    void reportFault(String reason) {
        logger.error("routeMainPipe__: {}", reason);
        report(WireProtocol.faultEvent(reason));
    }

    /** Error reports never block the backend: if the frontend is not reading, they wait in a buffer. */
    private void report(MessageObject error) {
        try {
            if (!main.trySendNow(error)) {
                logger.debug("error report queued: the frontend is not reading its pipe");
            }
        } catch (RuntimeException e) {
            logger.debug("error report not sent: {}", e.toString());
        }
    }

    private static String paramsForReport(MessageObject msg) {
        String p = msg.appendParameters(new StringBuilder()).toString();
        return p.length() > 2000 ? p.substring(0, 2000) + "...}" : p;
    }

    private static String trace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
