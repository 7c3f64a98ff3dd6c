package jvalkka.pool;

import java.util.ArrayDeque;
import java.util.function.Consumer;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.PipeClosedException;

/**
 * A started worker as the distributor sees it: the batches it holds, in the
 * order sent (the worker answers them in that order), and a reader thread that
 * turns the worker's answers, then its end, into events.
 *
 * <p>The worker's end is reported only after every answer it sent has been
 * read ({@code returnFromBack} throws once the channel is drained), so an item
 * is never both answered and retried.
 */
final class WorkerSlot {
    /** What happened to a worker, for the distributor thread. */
    enum Kind { DONE, DIED, STARTED, START_FAILED }

    /** One notice (named apart from {@code EventGroup}'s events): a worker's answer, its end, or the outcome of starting a replacement. */
    record Notice(Kind kind, WorkerSlot slot, MessageObject done, RuntimeException startFailure) {
    }

    final PoolWorker worker;
    final MessagePipe pipe;
    /** Batches sent and not yet answered, oldest first; answered tasks leave the head batch one by one. */
    final ArrayDeque<Batch> batches = new ArrayDeque<>();
    /** The number of the last batch sent. */
    long lastSeq;
    /** The last fault the worker reported on its main pipe (a message it could not decode). */
    String lastFault;
    /** Whether the worker answered anything yet (a worker that dies before it ever does is suspect). */
    boolean answered;
    boolean mainClosed;
    /** Whether its replacement was started (at the first sign of its death, or at its end). */
    boolean replaced;
    boolean gone;
    private Thread reader;

    /** Tasks sent together, numbered per worker, and when ({@link System#nanoTime()}). */
    record Batch(long seq, ArrayDeque<Task> tasks, long sentNanos) {
    }

    /** For a replacement: the placements it was tried at before this one, which it could not start at. */
    int placementTries;
    /** When the distributor took in this worker's last whole answer (0: none yet). */
    long lastAnswerNanos;
    /** A moving average of what a batch costs this worker beyond the function, in ns (negative: not measured yet). */
    double overheadNanos = -1;

    WorkerSlot(PoolWorker worker) {
        this.worker = worker;
        this.pipe = worker.getPipe();
    }

    void startReader(Consumer<Notice> events) {
        reader = new Thread(() -> {
            while (true) {
                MessageObject m;
                try {
                    m = worker.returnFromBack();
                } catch (PipeClosedException e) {
                    events.accept(new Notice(Kind.DIED, this, null, null));
                    return;
                } catch (RuntimeException e) {
                    // interrupted or an unexpected fault: treat it as the worker's end, to retry what it held
                    events.accept(new Notice(Kind.DIED, this, null, null));
                    return;
                }
                if (m != null) {
                    events.accept(new Notice(Kind.DONE, this, m, null));
                }
            }
        }, "jvalkka-pool-reader-" + worker.getName());
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits a little for the reader to finish after the worker exited. */
    void joinReader(long millis) {
        if (reader == null) {
            return;
        }
        try {
            reader.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String describe() {
        return worker.getName() + " (pid " + worker.pid() + ")";
    }
}
