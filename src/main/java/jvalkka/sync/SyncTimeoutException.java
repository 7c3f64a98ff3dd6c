package jvalkka.sync;

/** A {@link SyncIndex} with a timeout was not set in time. The event has been released. */
public final class SyncTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The index of the event waited for. */
    private final int index;

    /**
     * An event was not set in time.
     *
     * @param message which event, and how long
     * @param index the event's index
     */
    public SyncTimeoutException(String message, int index) {
        super(message);
        this.index = index;
    }

    /** {@return the index of the event waited for} */
    public int index() {
        return index;
    }
}
