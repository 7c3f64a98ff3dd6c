package jvalkka.tutorial;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.subprocess.Empty;
import jvalkka.sgn.subprocess.Parallelize;
import jvalkka.sgn.subprocess.ParallelizeSinkElement;
import jvalkka.sgn.subprocess.WorkerContext;

/**
 * SGN subprocess tutorial, "Orderly Shutdown": a sink hands items to a slow worker (another JVM)
 * much faster than it can process them; at EOS, {@code subProcessShutdown} lets the worker
 * finish every item still in its input queue, then returns the results the main side had not
 * collected yet. Nothing is lost: results during the run + results at shutdown = items.
 * Argument: {@code process} (the default) or {@code thread}.
 */
public final class SgnSubprocessShutdown {
    private SgnSubprocessShutdown() {
    }

    /** Sends each item to its worker, which takes 50 ms per item and answers with its square. */
    static final class SlowSquaresSink extends ParallelizeSinkElement {
        /** Main side only. */
        transient final List<Object> results = new ArrayList<>();
        transient int resultsDuringRun;
        transient List<Object> resultsAtShutdown = List.of();

        SlowSquaresSink() {
            super("slow", List.of("items"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) throws Exception {
            // collect what is ready, without waiting: the worker lags behind
            while (!outQueue.isEmpty()) {
                results.add(outQueue.getNowait());
            }
            resultsDuringRun = results.size();
            if (frame.data() != null) {
                inQueue.put(frame.data());
            }
            if (frame.isEOS()) {
                markEos(pad);
                if (!terminated.isSet()) {
                    // orderly: the worker drains its input and ends; we get what it sent meanwhile
                    resultsAtShutdown = subProcessShutdown(10);
                    results.addAll(resultsAtShutdown);
                }
            }
        }

        /** In the worker: one item per call, as SGN's example (never a loop of our own). */
        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            if (ctx.shouldStop()) {
                return; // stop now: Parallelize is closing
            }
            if (ctx.shouldShutdown()) {
                if (ctx.state().putIfAbsent("announced", true) == null) {
                    System.out.println("Worker: orderly shutdown requested, finishing the items still queued");
                }
                try {
                    process(ctx, ctx.inputQueue().getNowait()); // the input is complete: no need to wait
                } catch (Empty e) {
                    // all done: the worker ends once its input is empty
                }
                return;
            }
            try {
                process(ctx, ctx.inputQueue().get(0.1));
            } catch (Empty e) {
                // nothing this time
            }
        }

        /** Whether the worker has ended (the protected {@code terminated}, for {@code main}). */
        boolean terminatedIsSet() {
            return terminated.isSet();
        }

        private static void process(WorkerContext ctx, Object item) throws InterruptedException {
            int x = (Integer) item;
            Thread.sleep(50); // slow work
            System.out.println("Worker: " + x + " -> " + x * x);
            ctx.outputQueue().put(x * x);
        }
    }

    public static void main(String[] args) {
        boolean threads = args.length > 0 && args[0].equals("thread");
        IterSource items = new IterSource("items", List.of("items"),
                java.util.Map.of("items", IntStream.rangeClosed(1, 10).boxed().toList()));
        SlowSquaresSink sink = new SlowSquaresSink();
        Pipeline pipeline = new Pipeline();
        pipeline.connect(items, sink);
        try (Parallelize parallelize = new Parallelize(pipeline, threads)) {
            parallelize.run();
        }
        System.out.println("Main: " + sink.resultsDuringRun + " results during the run, "
                + sink.resultsAtShutdown.size() + " returned by subProcessShutdown");
        System.out.println("Main: all results " + sink.results + " (" + sink.results.size() + " of 10)");
        System.out.println("worker terminated: " + sink.terminatedIsSet());
    }
}
