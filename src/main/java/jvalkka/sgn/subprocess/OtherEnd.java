package jvalkka.sgn.subprocess;

/**
 * One end's view of the other end of its queues (named apart from {@code jvalkka.sync.internal.Peer}, the
 * process a synchronisation waits on): lets a wait end when waiting is pointless.
 * On the main side the worker has failed or terminated; on the worker side a stop was requested.
 */
final class OtherEnd {
    private final WorkerContext.Control control;
    private final boolean mainSide;

    OtherEnd(WorkerContext.Control control, boolean mainSide) {
        this.control = control;
        this.mainSide = mainSide;
    }

    /**
     * Checked before every put on the main side: a worker that has ended (failed, stopped or
     * shut down) takes nothing more, so the item is refused rather than lost.
     */
    void checkPut() {
        if (mainSide && control.terminated) {
            throw goneError(false);
        }
    }

    /**
     * Checked by a main-side {@code isEmpty()} that found nothing: a failed (or dead) worker is
     * reported there too, so that a main side that polls notices it on every loop.
     */
    void checkEmpty() {
        if (mainSide) {
            Throwable f = control.failure;
            if (f != null) {
                throw new WorkerStoppedException(f);
            }
        }
    }

    /** Whether the other end will never act again (the caller re-checks its queue after this). */
    boolean gone() {
        return mainSide ? control.terminated || control.failure != null : control.stop;
    }

    /** The error that ends a wait once {@link #gone()} holds and the queue was re-checked. */
    RuntimeException goneError(boolean waitingForData) {
        if (!mainSide) {
            return StopRequested.INSTANCE;
        }
        Throwable f = control.failure;
        if (f != null) {
            return new WorkerStoppedException(f);
        }
        return new IllegalStateException(waitingForData
                ? "the worker has terminated: nothing more will arrive on this queue"
                : "the worker has terminated: nothing will take this item");
    }

    /** Ends a worker-side wait when a stop is requested; the worker loop treats it as a normal end. */
    static final class StopRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final StopRequested INSTANCE = new StopRequested();

        private StopRequested() {
            super("the worker was asked to stop", null, false, false);
        }
    }
}
