package jvalkka.pool;

/**
 * Why one item of a {@link ProcessQueue} has no value. Delivered inside its
 * {@link Result} (never thrown by the pool on its own) and thrown by
 * {@link Result#getOrThrow()} and {@link ProcessQueue#map}.
 *
 * <p>When the function threw in the worker, {@link #remoteType()} and
 * {@link #remoteTrace()} give the worker's exception class and stack trace, and
 * {@link #getCause()} is that exception itself when it could be deserialized in
 * this JVM.
 */
public final class ItemFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The ways an item can fail. */
    public enum Kind {
        /** The function threw (or raised an {@code Error}) in the worker; the worker carried on. */
        THREW,
        /** The worker JVM died while it held the item, on the first try and on the retry. */
        WORKER_DIED,
        /** The item or its result could not be encoded to cross between the JVMs. */
        NOT_SENDABLE,
        /** No worker could be started to run it. */
        NO_WORKERS
    }

    /** The item's position in put order. */
    private final long index;
    /** Why the item failed. */
    private final Kind kind;
    /** The class name of the exception in the worker, or null. */
    private final String remoteType;
    /** The worker's stack trace of the exception, or null. */
    private final String remoteTrace;

    ItemFailedException(long index, Kind kind, String message, String remoteType, String remoteTrace,
            Throwable cause) {
        super("item #" + index + " failed: " + message, cause);
        this.index = index;
        this.kind = kind;
        this.remoteType = remoteType;
        this.remoteTrace = remoteTrace;
    }

    /**
     * The item's position in put order.
     *
     * @return the item's position in put order
     */
    public long index() {
        return index;
    }

    /** {@return why the item failed} */
    public Kind kind() {
        return kind;
    }

    /**
     * The class name of the exception raised in the worker, or {@code null} when none was.
     *
     * @return the class name of the exception raised in the worker, or {@code null} when none was
     */
    public String remoteType() {
        return remoteType;
    }

    /**
     * The worker's stack trace of that exception, as printed there, or {@code null}.
     *
     * @return the worker's stack trace of that exception, as printed there, or {@code null}
     */
    public String remoteTrace() {
        return remoteTrace;
    }
}
