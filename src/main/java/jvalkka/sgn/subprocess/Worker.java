package jvalkka.sgn.subprocess;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import jvalkka.sgn.Element;
import jvalkka.sgn.subprocess.WorkerContext.Control;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main side's handle on one element's worker (a thread or a backend JVM). Used by the
 * pipeline thread and by {@link Parallelize}.
 */
abstract class Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /** Numbers failures in the order the main side learnt of them, across all workers. */
    private static final AtomicLong FAILURES = new AtomicLong();

    final Element element;
    /** When this worker's failure was recorded (see {@link #FAILURES}); 0 if it has not failed. */
    volatile long failureOrder;
    final Control control = new Control();
    final WorkerEvent terminated;

    Worker(Element element, WorkerEvent terminated) {
        this.element = element;
        this.terminated = terminated;
    }

    abstract WorkerQueue mainIn();

    abstract WorkerQueue mainOut();

    /** Starts a thread worker; process workers are started together by {@link Parallelize}. */
    abstract void startThread();

    /** Asks for an orderly shutdown: the worker drains its input, then ends. */
    abstract void requestShutdown();

    /** Asks the worker to stop now. */
    abstract void requestStop();

    /** Waits up to {@code timeout} for the worker to end; then kills it (a process) or gives up (a thread). */
    abstract void join(Duration timeout);

    /** Releases what the worker used (segments); after {@link #join}. */
    abstract void release();

    abstract long pid();

    /**
     * Marks the worker ended, with {@code failure} (null for a normal end), and wakes waiters. A
     * failure is logged at ERROR here, whoever raises it later ({@link Parallelize} does).
     */
    synchronized void ended(Throwable failure) {
        if (failure != null && control.failure == null) {
            failureOrder = FAILURES.incrementAndGet();
            control.failure = failure;
            LOG.error("the worker of element '{}' failed: {}", element.name(), failure.toString(), failure);
        }
        control.terminated = true;
        terminated.set();
        wakeAll();
    }

    abstract void wakeAll();

    /**
     * The worker loop (SGN's wrapper around {@code worker_process}): calls {@code workerProcess}
     * until a stop, or until a shutdown finds the input empty. Returns what ended it badly, or null.
     */
    static Throwable loop(Element e, WorkerContext ctx) {
        try {
            while (!ctx.shouldStop()) {
                ParallelState.invoke(e, ctx);
                if (ctx.shouldShutdown() && ctx.inputQueue().isEmpty()) {
                    break;
                }
            }
            return null;
        } catch (OtherEnd.StopRequested s) {
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
