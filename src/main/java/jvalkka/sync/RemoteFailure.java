package jvalkka.sync;

/**
 * An exception raised in another process, as rebuilt here from its failure
 * report: the original class name ({@link #remoteType()}), message, stack
 * trace (the other process's frames) and causes. The cause of an
 * {@link EventFailedException}. Nothing is deserialized to make it: the report
 * is plain text in the group's shared memory.
 */
public final class RemoteFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The class name of the exception in the other JVM. */
    private final String remoteType;
    /** The message of the exception in the other JVM. */
    private final String remoteMessage;

    RemoteFailure(String remoteType, String remoteMessage, Throwable cause) {
        super(remoteType + (remoteMessage == null ? "" : ": " + remoteMessage), cause);
        this.remoteType = remoteType;
        this.remoteMessage = remoteMessage;
    }

    /**
     * The class name of the exception in the other process, such as {@code java.lang.IllegalStateException}.
     *
     * @return the class name of the exception in the other process, such as {@code java.lang.IllegalStateException}
     */
    public String remoteType() {
        return remoteType;
    }

    /**
     * Its message, or null.
     *
     * @return its message, or null
     */
    public String remoteMessage() {
        return remoteMessage;
    }
}
