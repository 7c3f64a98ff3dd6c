package jvalkka.tutorial;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.PipelineException;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.subprocess.Empty;
import jvalkka.sgn.subprocess.Parallelize;
import jvalkka.sgn.subprocess.ParallelizeSinkElement;
import jvalkka.sgn.subprocess.ParallelizeTransformElement;
import jvalkka.sgn.subprocess.WorkerContext;

/**
 * SGN's subprocess tutorial, "Creating a Pipeline with Worker Elements", ported line by line
 * ({@code as-ported}), and the two changes that make it run ({@code fixed}, the default).
 *
 * <p>As ported, the transform calls {@code subProcessShutdown} when the EOS frame goes in, which
 * returns the frames still in {@code outQueue} (the EOS frame among them) and closes its queues;
 * the port drops that list and gets from {@code outQueue} again. That get fails at once, saying
 * what to change (and so would the sink's put after its own {@code subProcessShutdown}).
 */
public final class SgnSubprocessLineByLine {
    private SgnSubprocessLineByLine() {
    }

    /** SGN's NumberSourceElement: 1, 2, ... with EOS from 10 on (or at Ctrl+C). */
    static final class NumberSourceElement extends SourceElement {
        int counter;

        NumberSourceElement(String... sourcePadNames) {
            super("numbers", sourcePadNames);
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            counter++;
            return new Frame(counter, counter >= 10 || SignalEOS.signaledEos(), false);
        }
    }

    /** SGN's ProcessingTransformElement, line by line; {@code fixed} adds the two changes. */
    static final class ProcessingTransformElement extends ParallelizeTransformElement {
        final boolean fixed;
        /** fixed: what subProcessShutdown returned, handed out by newFrame. */
        transient ArrayDeque<Object> rest = new ArrayDeque<>();

        ProcessingTransformElement(boolean fixed) {
            super("transform", List.of("input"), List.of("output"));
            this.fixed = fixed;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (fixed && atEos) {
                return; // change 1: nothing goes in after EOS
            }
            inQueue.put(frame); // send the frame to the worker
            if (frame.isEOS() && !terminated.isSet()) {
                atEos = true;
                List<Object> left = subProcessShutdown(10);
                if (fixed) {
                    rest.addAll(left); // change 2: keep what the worker sent last, the EOS frame among it
                }
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) {
            System.out.println("Transform worker started, process ID: " + ProcessHandle.current().pid());
            try {
                Frame frame = ctx.inputQueue().get(0.1); // the next frame, with a timeout
                if (frame.data() != null) {
                    frame.setData((int) Math.pow((Integer) frame.data(), 2));
                    System.out.println("Transform: " + frame.data());
                }
                ctx.outputQueue().put(frame); // send the processed frame back
            } catch (Empty e) {
                // no data available, just continue
            }
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            if (fixed && atEos) {
                Object next = rest.poll();
                return next != null ? (Frame) next : Frame.eos();
            }
            try {
                return outQueue.get(0.1); // simply get the processed frame from the worker queue
            } catch (Empty e) {
                return new Frame(null); // an empty frame if no data is available
            }
        }
    }

    /** SGN's LoggingSinkElement (a thread), line by line; {@code fixed} puts before the shutdown. */
    static final class LoggingSinkElement extends ParallelizeSinkElement {
        final boolean fixed;
        transient int eosCount;
        transient int expectedEosCount;

        LoggingSinkElement(boolean fixed, String... sinkPadNames) {
            super("sink", List.of(sinkPadNames));
            this.fixed = fixed;
            this.expectedEosCount = sinkPadNames.length;
        }

        @Override
        protected Boolean useThreadingOverride() {
            return true; // use thread mode for this element
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (fixed) {
                inQueue.put(List.of(pad.name(), frame)); // the change: put before a shutdown can close the queue
            }
            if (frame.isEOS()) {
                markEos(pad);
                eosCount++;
                if (eosCount >= expectedEosCount && !terminated.isSet()) {
                    subProcessShutdown(10);
                }
            }
            if (!fixed) {
                inQueue.put(List.of(pad.name(), frame)); // send the frame to the worker
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) {
            if (ctx.shouldStop()) {
                return; // only process if not stopped
            }
            try {
                List<?> item = ctx.inputQueue().get(0.1);
                String padName = (String) item.get(0);
                Frame frame = (Frame) item.get(1);
                if (frame != null && !frame.isEOS() && frame.data() != null) {
                    System.out.println("Sink received on " + padName + ": " + frame.data());
                }
                if (frame != null && frame.isEOS()) {
                    System.out.println("Sink received EOS on " + padName);
                }
            } catch (Empty e) {
                // no data available, just continue
            }
        }
    }

    static void run(boolean fixed) {
        NumberSourceElement source = new NumberSourceElement("numbers");
        ProcessingTransformElement transform = new ProcessingTransformElement(fixed);
        LoggingSinkElement sink = new LoggingSinkElement(fixed, "result");
        Pipeline pipeline = new Pipeline();
        pipeline.insert(Map.of(
                transform.snks().get("input"), source.srcs().get("numbers"),
                sink.snks().get("result"), transform.srcs().get("output")),
                source, transform, sink);
        // SGN's example: threads as the default mode
        try (Parallelize parallelize = new Parallelize(pipeline, true)) {
            parallelize.run();
        }
    }

    public static void main(String[] args) {
        System.out.println("Main process ID: " + ProcessHandle.current().pid());
        boolean fixed = args.length == 0 || !args[0].equals("as-ported");
        System.out.println(fixed ? "the port with its two changes" : "the line-by-line port");
        try {
            run(fixed);
        } catch (PipelineException e) {
            System.out.println("stopped at loop " + e.loop() + ", pad " + e.padName() + ":");
            System.out.println(e.getCause().getMessage());
            System.exit(1);
        }
        System.out.println("done");
    }
}
