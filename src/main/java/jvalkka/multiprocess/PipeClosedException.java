package jvalkka.multiprocess;

/**
 * The other end of a {@link MessagePipe} is gone: the backend exited (or, seen
 * from the backend, the frontend did). Python's {@code EOFError} on
 * {@code pipe.recv()}. The message says what is known about the exit.
 */
public class PipeClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * The other end of the pipe is gone, or the pipe was closed.
     *
     * @param message which pipe, and why
     */
    public PipeClosedException(String message) {
        super(message);
    }
}
