package jvalkka.multiprocess;

/**
 * An exception raised in a backend that could not be recreated in the frontend
 * as its own type (a checked exception the proxy method does not declare, or a
 * type that does not deserialize). Its stack trace is the backend's;
 * {@link #remoteType()} names the original class.
 */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The class name of the exception in the backend. */
    private final String remoteType;

    /**
     * An exception raised in the backend, rethrown here.
     *
     * @param remoteType the class name of the exception in the backend
     * @param message its message
     * @param cause the cause, or null
     */
    public BackendException(String remoteType, String message, Throwable cause) {
        super(remoteType + (message == null ? "" : ": " + message), cause);
        this.remoteType = remoteType;
    }

    /**
     * The class name of the exception in the backend.
     *
     * @return the class name of the exception in the backend
     */
    public String remoteType() {
        return remoteType;
    }
}
