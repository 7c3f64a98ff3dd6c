package jvalkka.sync;

/**
 * Every event of an {@link EventGroup} is reserved (valkka's {@code NotEnoughEvents}).
 * Release events (close your {@link SyncIndex}es) or create the group with more.
 */
public final class NotEnoughEvents extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * No free event is left in the group.
     *
     * @param message which group
     */
    public NotEnoughEvents(String message) {
        super(message);
    }
}
