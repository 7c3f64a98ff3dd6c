package jvalkka.multiprocess;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * valkka's {@code AsyncBackMessageProcess}: a {@link MessageProcess} whose
 * {@code c__} handlers may be asynchronous. A handler that returns a
 * {@link CompletionStage} returns at once, so the backend's loop goes on serving
 * messages while the work completes (on {@link #executor__()}, on an I/O
 * library's threads, or on a timer); a plain handler works as in
 * {@code MessageProcess}.
 *
 * <pre>{@code
 * CompletionStage<Void> c__fetch(String url) {
 *     return CompletableFuture.supplyAsync(() -> download(url), executor__())
 *             .thenAccept(bytes -> send_out__(new MessageObject("fetched", "url", url, "size", bytes.length)));
 * }
 * }</pre>
 *
 * <p>A stage that completes exceptionally is logged and sent to the frontend as
 * {@code MessageObject("error", command=..., parameters=..., reason=...,
 * exception=..., trace=...)} on the main pipe, as a handler that throws is.
 * {@code send_out__} may be called from any thread.
 *
 * <p><b>Bounded.</b> At most {@link #maxInFlight} stages are in flight (default
 * {@value #DEFAULT_MAX_IN_FLIGHT}); at that many, the loop waits for one to
 * complete before it reads the next message, so a frontend that sends faster
 * than the work completes is slowed down (its sends block once the pipe is
 * full) instead of piling up stages without limit. Stages that complete only
 * when a later message arrives (a gate opened by another command) must stay
 * fewer than {@code maxInFlight}, or the loop waits for them for ever: a warning
 * after 10 s says so. Set {@code maxInFlight} before {@code start()}.
 *
 * <p>When asked to stop, the backend leaves its loop, waits up to
 * {@link #drainTimeout} seconds for the stages still running, runs
 * {@link #asyncPost__()}, sends the stop marker and runs {@code postRun__}.
 * {@link #asyncPre__()} runs after {@code preRun__}, before the loop. If it
 * throws or its stage fails, the failure is logged and sent to the frontend as
 * an {@code "error"} message (its {@code command} is {@code asyncPre__}), and
 * the backend serves on, as valkka's does; {@code asyncPost__} likewise.
 */
public abstract class AsyncBackMessageProcess extends MessageProcess {
    private static final long serialVersionUID = 1L;

    /** Backend: seconds to wait, at stop, for asynchronous handlers that have not completed. */
    protected double drainTimeout = 5.0;

    /** How many asynchronous handlers may be in flight unless {@link #maxInFlight} says otherwise. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 10_000;
    private static final long STALL_WARN_NANOS = 10_000_000_000L;

    /**
     * The most asynchronous handlers in flight; at this many the loop waits for one
     * to complete before it reads the next message (at least 1). Set it before {@code start()}.
     */
    protected int maxInFlight = DEFAULT_MAX_IN_FLIGHT;

    private transient ExecutorService executor;
    private transient Set<CompletionStage<?>> inFlight;
    private transient Object completed; // notified when a stage in flight completes

    /**
     * A process named {@code name}.
     *
     * @param name the process name (log lines and {@code ps} show it)
     */
    protected AsyncBackMessageProcess(String name) {
        super(name);
    }

    /** A process named after its class. */
    protected AsyncBackMessageProcess() {
        super("AsyncMessageProcess");
    }

    /**
     * Backend: an executor of daemon threads for asynchronous work, available from
     * {@code preRun__} on; it is shut down after {@code asyncPost__}.
     *
     * @return the executor
     */
    protected final Executor executor__() {
        if (executor == null) {
            throw new IllegalStateException("executor__ is a backend method: it runs in the backend JVM, "
                    + "from preRun__ or a c__ handler");
        }
        return executor;
    }

    /**
     * Backend: asynchronous set-up after {@code preRun__}; the loop starts when it completes.
     *
     * @return a stage that completes when the set-up is done (by default one already completed)
     */
    protected CompletionStage<?> asyncPre__() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Backend: asynchronous tear-down after the loop, before {@code postRun__}.
     *
     * @return a stage that completes when the tear-down is done (by default one already completed)
     */
    protected CompletionStage<?> asyncPost__() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Backend: how many asynchronous handlers have not completed yet.
     *
     * @return the number of asynchronous handlers not completed yet
     */
    protected final int pending__() {
        return inFlight == null ? 0 : inFlight.size();
    }

    /** Backend: the start phase: the executor, {@code preRun__}, then {@code asyncPre__} (a failure of which is reported, not fatal). */
    @Override
    protected void onStart__() throws Exception {
        AtomicInteger seq = new AtomicInteger();
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, getName() + "-async-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        inFlight = ConcurrentHashMap.newKeySet();
        completed = new Object();
        super.onStart__();
        CompletionStage<?> pre;
        try {
            pre = asyncPre__();
        } catch (RuntimeException e) {
            pre = CompletableFuture.failedFuture(e); // as valkka: logged, reported, served on
        }
        await(pre, "asyncPre__", -1);
    }

    /** Backend: the close phase: waits for the stages in flight, runs {@code asyncPost__}, shuts the executor down. */
    @Override
    protected void onClose__() throws Exception {
        try {
            drain();
            CompletionStage<?> post;
            try {
                post = asyncPost__();
            } catch (RuntimeException e) {
                post = CompletableFuture.failedFuture(e);
            }
            await(post, "asyncPost__", drainTimeout);
        } finally {
            executor.shutdownNow();
        }
    }

    @Override
    void asyncStarted(CompletionStage<?> stage) {
        if (inFlight == null) {
            return;
        }
        inFlight.add(stage);
        stage.whenComplete((v, t) -> {
            inFlight.remove(stage);
            synchronized (completed) {
                completed.notifyAll();
            }
        });
        if (inFlight.size() >= maxInFlight) {
            awaitRoom();
        }
    }

    /** The loop waits here while {@link #maxInFlight} stages are in flight. */
    private void awaitRoom() {
        long since = System.nanoTime();
        boolean warned = false;
        synchronized (completed) {
            while (inFlight.size() >= Math.max(1, maxInFlight)) {
                try {
                    completed.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!warned && System.nanoTime() - since >= STALL_WARN_NANOS) {
                    warned = true;
                    logger.warn("{} asynchronous handlers in flight (maxInFlight): the loop has waited {} s for one "
                            + "to complete before it reads the next message. If they wait for a later message, "
                            + "raise maxInFlight", inFlight.size(), STALL_WARN_NANOS / 1_000_000_000L);
                }
            }
        }
    }

    private void drain() {
        if (inFlight.isEmpty()) {
            return;
        }
        logger.debug("waiting for {} asynchronous handlers to complete", inFlight.size());
        CompletableFuture<?> all = CompletableFuture.allOf(inFlight.stream()
                .map(s -> s.toCompletableFuture().handle((v, t) -> null))
                .toArray(CompletableFuture[]::new));
        try {
            all.get((long) (drainTimeout * 1000), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            logger.warn("{} asynchronous handlers did not complete within {} s of the stop request: abandoned",
                    inFlight.size(), drainTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // failures were reported as they happened
        }
    }

    private void await(CompletionStage<?> stage, String what, double timeoutSeconds) {
        if (stage == null) {
            return;
        }
        try {
            if (timeoutSeconds < 0) {
                stage.toCompletableFuture().get();
            } else {
                stage.toCompletableFuture().get((long) (timeoutSeconds * 1000), TimeUnit.MILLISECONDS);
            }
        } catch (java.util.concurrent.ExecutionException e) {
            reportFailure(what, e.getCause()); // logged and sent as an "error"; the backend serves on
        } catch (java.util.concurrent.TimeoutException e) {
            logger.warn("{} did not complete within {} s", what, timeoutSeconds);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
