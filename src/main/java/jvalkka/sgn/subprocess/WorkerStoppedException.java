package jvalkka.sgn.subprocess;

/**
 * A worker ended while the pipeline still needed it (SGN's {@code RuntimeError("worker stopped
 * before EOS")}). Its cause is what ended the worker: the exception {@code workerProcess} threw
 * (for a process-mode worker, carried across with its type, message and stack trace), or an
 * {@link IllegalStateException} describing a worker JVM that died (for example by kill -9).
 */
public final class WorkerStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The message of every instance, as in SGN. */
    public static final String MESSAGE = "worker stopped before EOS";

    WorkerStoppedException(Throwable cause) {
        super(MESSAGE, cause);
    }
}
