package jvalkka.multiprocess;

/**
 * The one backend loop: every backend (plain, {@link AsyncBackMessageProcess},
 * the SGN worker) runs its process object through these three phases, on the
 * backend's main thread, with one error policy. The process supplies the steps;
 * this class only sequences them and calls the process, never the reverse.
 *
 * <pre>
 *  start   onStart__()            (default: preRun__(); the async backend adds asyncPre__())
 *          tell a frontend waiting in start() that preRun__ is over
 *  work    while (loop) { readPipes__(timeout); onTurn__(); }
 *  close   onClose__()            (the async backend drains and runs asyncPost__())
 *          the stop marker        (skipped, quietly, when the frontend is gone)
 *          postRun__()
 * </pre>
 *
 * <p><b>Error policy.</b>
 * <ul>
 * <li>A message that cannot be handled (unknown command, bad parameters, a
 *     handler that throws, a failed asynchronous stage), and a step the backend
 *     can do without ({@code asyncPre__}, {@code asyncPost__}): logged, sent to
 *     the frontend as {@code MessageObject("error", ...)}, and the loop serves on.
 *     This is decided where it happens ({@link Backend}); nothing reaches here.</li>
 * <li>The start phase throws ({@code preRun__}): the backend ends with status 1;
 *     the close phase does not run (nothing was opened that it could close
 *     reliably), as in valkka.</li>
 * <li>The work phase throws (a {@code readPipes__} or {@code onTurn__} of one's
 *     own): the close phase still runs (its own failures are attached as
 *     suppressed), then the backend ends with status 1 and the frontend's
 *     {@code "exited"} event names the exception.</li>
 * <li>A step of the close phase throws ({@code onClose__}, {@code postRun__}):
 *     the steps after it still run ({@code postRun__} always does), then the
 *     backend ends with status 1 naming the first failure.</li>
 * <li>A {@link VirtualMachineError} (out of memory): the backend ends at once.</li>
 * <li>The frontend went away (the parent died): the loop ends, and the close
 *     phase runs whole, {@code postRun__} included.</li>
 * </ul>
 *
 * <p>Modelled on Agrona's {@code Agent}/{@code AgentRunner} (start, duty cycle,
 * close; one error handler), with valkka's names for the steps.
 */
final class BackendLoop {
    private BackendLoop() {
    }

    /** Runs {@code p}'s three phases; returns when the loop has ended and postRun__ has run. */
    static void run(MessageProcess p) throws Exception {
        try {
            p.onStart__();
        } catch (Throwable t) {
            p.preRunEnded(t);
            throw t;
        }
        p.preRunEnded(null);
        Throwable failed = null;
        try {
            while (p.loop) {
                p.readPipes__(p.timeout);
                p.onTurn__();
            }
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            failed = t;
        }
        // each close step runs whatever the one before it did: a failing onClose__ must not cost postRun__
        failed = closeStep(failed, p::onClose__);
        if (failed == null) {
            failed = closeStep(null, p::sendStopMarker__);
        }
        failed = closeStep(failed, p::postRun__);
        if (failed instanceof Exception e) {
            throw e;
        }
        if (failed instanceof Error e) {
            throw e;
        }
    }

    /** One step of the close phase. */
    private interface Step {
        void run() throws Exception;
    }

    /** Runs {@code step}; returns the first failure so far, a later one attached to it as suppressed. */
    private static Throwable closeStep(Throwable failed, Step step) {
        try {
            step.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            if (failed == null) {
                return t;
            }
            failed.addSuppressed(t);
        }
        return failed;
    }
}
