package jvalkka.sync;

/** A {@link SyncIndex} with a timeout was not set in time. The event has been released. */
public final class SyncTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int index;

    public SyncTimeoutException(String message, int index) {
        super(message);
        this.index = index;
    }

    public int index() {
        return index;
    }
}
