package jvalkka.sync;

import java.time.Duration;
import java.util.ArrayList;

/**
 * Reserve an event, hand its index to the backend, wait until the backend sets
 * it: valkka's {@code with SyncIndex(eg) as i:} as a try-with-resources block.
 *
 * <pre>{@code
 * try (SyncIndex s = new SyncIndex(eg)) {
 *     sendMessageToBack(new MessageObject("ping", "parameter", x, "sync_index", s.index()));
 * }   // close() waits for eg.set(s.index()) in the backend, then releases the event
 * }</pre>
 *
 * <p>{@link #close()} waits without limit by default, but never for a dead
 * backend: when every {@link jvalkka.sync.internal.Peer} attached to the group has died it throws
 * {@link BackendDiedException} (with the peers' death reports) within
 * moments. With no peer attached it just waits. With a timeout it throws
 * {@link SyncTimeoutException}. In every case the event is released. If the
 * request was never sent, close() does not wait when the group's peers are
 * jvalkka backends (they learn an index only from a message): if no message
 * at all ({@code sendMessageToBack} or a proxy call) left this thread while the
 * SyncIndex was open, close() releases the event and throws
 * {@link IllegalStateException} at once; when the block itself threw before
 * its send, that exception is the one the block throws, with close()'s
 * attached as suppressed. Elsewhere (no peer, or peers of your own), call
 * {@link #cancel()} so that close() does not wait. A request that
 * {@code sendMessageToBack} failed to send (a value that cannot be encoded, a
 * message over the size limit) needs no cancel(): when the index travelled, as
 * an int parameter, only in messages that failed to send on this thread,
 * close() releases the event without waiting, and the send's exception is what
 * the block throws.
 *
 * <p><b>A handler that fails.</b> When the handler of the message that carried
 * the index fails before it sets the event (an exception, bad parameters, an
 * unknown command), close() stops waiting at once and throws
 * {@link EventFailedException}, whose cause is the handler's exception
 * ({@link RemoteFailure}: class name, message, the backend's stack trace). This
 * does not depend on anyone reading the main pipe, where the usual
 * {@code "error"} report also goes: {@code sendMessageToBack} arms the event in
 * the group's shared memory before the message leaves (the backend's pid and
 * the name of the int parameter that carries the index), the backend, when the
 * handler fails, marks each armed event that the message's int parameters name
 * as failed and writes the report next to the events, and the waiter wakes on
 * the event's own word. Why shared memory rather than a message: the waiter
 * already sleeps on that word, and the frontend's pipes may be unread or full.
 * What it needs: the message is sent by {@code sendMessageToBack} on the
 * thread that holds the SyncIndex (as in the example) and carries the index as
 * an int parameter. An event the handler set before failing stays set; one
 * reserved anew meanwhile is left alone (a generation count tells them apart).
 * Left to the timeout as before: a handler that fails after handing the index
 * to another thread of the backend, and an index sent in another form (a
 * string, a list).
 *
 * <p>One thread uses a SyncIndex; its group may be shared.
 */
public final class SyncIndex implements AutoCloseable {
    private final EventGroup group;
    private final EventGroup.Event event;
    private final long timeoutNanos;
    /** This thread's SyncIndexes that are not closed yet. */
    private static final ThreadLocal<ArrayList<SyncIndex>> OPEN = new ThreadLocal<>();

    static { // the hooks by which MessageProcess, in another package, notes its sends
        jvalkka.sync.internal.SendNotes.install(new jvalkka.sync.internal.SendNotes.Hooks() {
            @Override
            public boolean openOnThisThread() {
                return SyncIndex.openOnThisThread();
            }

            @Override
            public void noteSending(String[] names, int[] values, int count, long peerPid) {
                SyncIndex.noteSending(names, values, count, peerPid);
            }

            @Override
            public void noteSend(int[] values, int count, boolean sent) {
                SyncIndex.noteSend(values, count, sent);
            }
        });
    }
    private static volatile boolean everOpened;
    private boolean cancelled;
    private boolean closed;
    /** A message carrying this index was sent; or only failed to send. */
    private boolean carried;
    private boolean failedToSend;
    /** A message (any) left this thread for a backend while this SyncIndex was open. */
    private boolean sentAny;

    /**
     * Reserves and clears an event of {@code group}; close() waits without limit (but see the class comment).
     *
     * @param group the event group
     */
    public SyncIndex(EventGroup group) {
        this(group, null);
    }

    /**
     * Reserves and clears an event; close() waits at most {@code timeout}
     * ({@code null}: no limit).
     *
     * @throws NotEnoughEvents if all events are reserved
     * @param group the event group
     * @param timeout the longest wait
     */
    public SyncIndex(EventGroup group, Duration timeout) {
        this.group = group;
        this.timeoutNanos = timeout == null ? -1 : Math.max(0, timeout.toNanos());
        this.event = group.reserve();
        ArrayList<SyncIndex> open = OPEN.get();
        if (open == null) {
            open = new ArrayList<>(2);
            OPEN.set(open);
        }
        open.add(this);
        everOpened = true;
    }

    /**
     * Reached through {@link jvalkka.sync.internal.SendNotes}: whether this thread has open SyncIndexes whose sends are worth noting.
     *
     * @return whether this thread has such SyncIndexes
     */
    static boolean openOnThisThread() {
        if (!everOpened) {
            return false;
        }
        ArrayList<SyncIndex> open = OPEN.get();
        return open != null && !open.isEmpty();
    }

    /**
     * Reached through {@code SendNotes}, called by {@code MessageProcess.sendMessageToBack} on the
     * sending thread just before a message leaves for the backend
     * {@code peerPid}, with its int parameters ({@code names[k] = values[k]},
     * {@code count} of them): the events of this thread's open SyncIndexes whose
     * index is among them are armed, so that the backend can mark them failed
     * if the message's handler fails (see {@link EventGroup#fail}).
     *
     * @param names the parameter names
     * @param values the int parameter values
     * @param count how many of them are valid
     * @param peerPid the pid of the backend that gets the message
     */
    static void noteSending(String[] names, int[] values, int count, long peerPid) {
        ArrayList<SyncIndex> open = OPEN.get();
        if (open == null) {
            return;
        }
        for (SyncIndex s : open) {
            for (int k = 0; k < count; k++) {
                if (values[k] == s.event.index()) {
                    s.group.arm(values[k], names[k], peerPid);
                }
            }
        }
    }

    /**
     * Reached through {@code SendNotes}, called by {@code MessageProcess.sendMessageToBack} on the
     * sending thread with the int parameters of a message (the first
     * {@code count} of {@code values}) and whether it was sent: an open SyncIndex whose index travelled only in messages that failed
     * to send will not be set, so its close() does not wait.
     *
     * @param values the int parameter values
     * @param count how many of them are valid
     * @param sent whether the message went out
     */
    static void noteSend(int[] values, int count, boolean sent) {
        ArrayList<SyncIndex> open = OPEN.get();
        if (open == null) {
            return;
        }
        for (SyncIndex s : open) {
            s.sentAny |= sent;
            for (int k = 0; k < count; k++) {
                if (values[k] == s.event.index()) {
                    if (sent) {
                        s.carried = true;
                    } else {
                        s.failedToSend = true;
                    }
                }
            }
        }
    }

    /**
     * The index to send to the backend (the {@code i} of {@code with SyncIndex(eg) as i}).
     *
     * @return the index to send to the backend (the {@code i} of {@code with SyncIndex(eg) as i})
     */
    public int index() {
        return event.index();
    }

    /**
     * The reserved event.
     *
     * @return the reserved event
     */
    public EventGroup.Event event() {
        return event;
    }

    /** Makes close() release the event without waiting (the backend was never asked to set it). */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Waits until the backend sets the event, then releases it. Idempotent.
     *
     * @throws EventFailedException if the handler of the message that carried the
     *         index failed before setting it (see the class comment)
     * @throws BackendDiedException if every peer of the group died first
     * @throws SyncTimeoutException if the timeout passed first
     * @throws SyncInterruptedException if the thread was interrupted (its flag stays set)
     * @throws IllegalStateException if nothing was sent while a group whose peers are
     *         all jvalkka backends was reserved (see the class comment)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int index = event.index();
        ArrayList<SyncIndex> open = OPEN.get();
        if (open != null) {
            open.remove(this);
        }
        try {
            if (cancelled || failedToSend && !carried) {
                return;
            }
            if (!sentAny && group.peersLearnIndexesByMessage()) {
                // no backend of this group can know the index: the block failed before its send (then
                // this exception is added to the block's as a suppressed one), or forgot it
                throw new IllegalStateException("nothing was sent to a backend while " + this + " was open, "
                        + "so no backend can set event " + index + ": close() does not wait");
            }
            switch (group.await(index, timeoutNanos, true)) {
                case EventGroup.OK:
                    return;
                case EventGroup.TIMED_OUT:
                    throw new SyncTimeoutException("event " + index + " of EventGroup '" + group.name()
                            + "' was not set within " + Duration.ofNanos(timeoutNanos), index);
                case EventGroup.DIED:
                    throw new BackendDiedException(group.name(), index, group.deathReport());
                case EventGroup.FAILED_EVENT:
                    throw group.failure(index);
                case EventGroup.CLOSED:
                    throw group.closedWhileWaiting(index);
                default:
                    throw new SyncInterruptedException("interrupted waiting for event " + index
                            + " of EventGroup '" + group.name() + "'");
            }
        } finally {
            if (!group.isClosed()) {
                group.release(event);
            }
        }
    }

    @Override
    public String toString() {
        return "SyncIndex(" + event.index() + " of " + group.name() + ")";
    }
}
