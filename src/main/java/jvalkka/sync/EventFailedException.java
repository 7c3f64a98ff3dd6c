package jvalkka.sync;

/**
 * The awaited event will not be set: the process that was to set it marked it
 * failed ({@link EventGroup#fail}), which the core does when the handler of
 * the message that carried the event's index fails before setting it. What
 * {@link SyncIndex#close()} throws at once instead of waiting out its timeout;
 * the event has been released. The cause is the handler's exception as a
 * {@link RemoteFailure} (its class name, message and the backend's stack
 * trace), or null if the report was lost (overwritten by later failures before
 * it was read).
 */
public final class EventFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The index of the event that failed. */
    private final int index;

    EventFailedException(String message, int index, Throwable cause) {
        super(message, cause);
        this.index = index;
    }

    /**
     * The index of the event that was awaited.
     *
     * @return the index of the event that was awaited
     */
    public int index() {
        return index;
    }
}
