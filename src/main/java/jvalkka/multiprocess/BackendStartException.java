package jvalkka.multiprocess;

/**
 * {@code start()} failed: the process object could not cross to the backend, or
 * the backend JVM exited, failed or did not become ready in time. The message
 * carries the exit status and what the backend printed on standard error.
 */
public class BackendStartException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * A backend could not start.
     *
     * @param message why
     */
    public BackendStartException(String message) {
        super(message);
    }

    /**
     * A backend could not start.
     *
     * @param message why
     * @param cause what failed
     */
    public BackendStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
