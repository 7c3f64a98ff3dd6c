package jvalkka.sync;

/**
 * The thread waiting in {@link SyncIndex#close()} was interrupted. The thread's
 * interrupt flag is left set, the cause is an {@link InterruptedException}, and
 * the event has been released.
 */
public final class SyncInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A wait for an event was interrupted.
     *
     * @param message which event
     */
    public SyncInterruptedException(String message) {
        super(message, new InterruptedException(message));
    }
}
