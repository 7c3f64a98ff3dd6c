package jvalkka.sync;

import java.time.Duration;

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
 * backend: when every {@link Peer} attached to the group has died it throws
 * {@link BackendDiedException} (with the peers' death reports) within
 * moments. With no peer attached it just waits. With a timeout it throws
 * {@link SyncTimeoutException}. In every case the event is released. If the
 * request was never sent (the block failed before sending), call
 * {@link #cancel()} so that close() does not wait.
 *
 * <p>One thread uses a SyncIndex; its group may be shared.
 */
public final class SyncIndex implements AutoCloseable {
    private final EventGroup group;
    private final EventGroup.Event event;
    private final long timeoutNanos;
    private boolean cancelled;
    private boolean closed;

    /** Reserves and clears an event of {@code group}; close() waits without limit (but see the class comment). */
    public SyncIndex(EventGroup group) {
        this(group, null);
    }

    /**
     * Reserves and clears an event; close() waits at most {@code timeout}
     * ({@code null}: no limit).
     *
     * @throws NotEnoughEvents if all events are reserved
     */
    public SyncIndex(EventGroup group, Duration timeout) {
        this.group = group;
        this.timeoutNanos = timeout == null ? -1 : Math.max(0, timeout.toNanos());
        this.event = group.reserve();
    }

    /** The index to send to the backend (the {@code i} of {@code with SyncIndex(eg) as i}). */
    public int index() {
        return event.index();
    }

    /** The reserved event. */
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
     * @throws BackendDiedException if every peer of the group died first
     * @throws SyncTimeoutException if the timeout passed first
     * @throws SyncInterruptedException if the thread was interrupted (its flag stays set)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int index = event.index();
        try {
            if (cancelled) {
                return;
            }
            switch (group.await(index, timeoutNanos, true)) {
                case EventGroup.OK:
                    return;
                case EventGroup.TIMED_OUT:
                    throw new SyncTimeoutException("event " + index + " of EventGroup '" + group.name()
                            + "' was not set within " + Duration.ofNanos(timeoutNanos), index);
                case EventGroup.DIED:
                    throw new BackendDiedException(group.name(), index, group.deathReport());
                default:
                    throw new SyncInterruptedException("interrupted waiting for event " + index
                            + " of EventGroup '" + group.name() + "'");
            }
        } finally {
            group.release(event);
        }
    }

    @Override
    public String toString() {
        return "SyncIndex(" + event.index() + " of " + group.name() + ")";
    }
}
