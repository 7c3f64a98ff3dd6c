package jvalkka.tutorial;

import java.util.List;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
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
 * SGN subprocess tutorial, first example: a number source, a squaring transform whose worker is
 * a separate JVM (process mode), and a logging sink whose worker is a thread.
 */
public final class SgnSubprocess {
    private SgnSubprocess() {
    }

    /** 1..10, EOS on the last (or at Ctrl+C). */
    static final class NumberSource extends SourceElement {
        int counter;

        NumberSource() {
            super("numbers", "numbers");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            counter++;
            return new Frame(counter, counter >= 10 || SignalEOS.signaledEos(), false);
        }
    }

    /** Squares in a worker JVM (process mode: the default). */
    static final class ProcessingTransform extends ParallelizeTransformElement {
        ProcessingTransform() {
            super("transform", List.of("input"), List.of("output"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            inQueue.put(frame);
            if (frame.isEOS()) {
                atEos = true;
            }
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return outQueue.get(); // one frame in, one frame out
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            try {
                Frame frame = ctx.inputQueue().get(0.1);
                if (frame.data() != null) {
                    int x = (Integer) frame.data();
                    frame.setData(x * x);
                    System.out.println("Transform (pid " + ProcessHandle.current().pid() + "): " + frame.data());
                }
                ctx.outputQueue().put(frame);
            } catch (Empty e) {
                // nothing this time: the worker calls us again
            }
        }
    }

    /** Logs in a worker thread. */
    static final class LoggingSink extends ParallelizeSinkElement {
        LoggingSink() {
            super("sink", List.of("result"));
        }

        @Override
        protected Boolean useThreadingOverride() {
            return true;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            inQueue.put(frame);
            if (frame.isEOS()) {
                markEos(pad);
                subProcessShutdown(10); // the worker logs what is left, then ends
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            try {
                Frame frame = ctx.inputQueue().get(0.1);
                if (frame.data() != null) {
                    System.out.println("Sink received: " + frame.data());
                }
                if (frame.isEOS()) {
                    System.out.println("Sink received EOS");
                }
            } catch (Empty e) {
                // nothing this time
            }
        }
    }

    public static void main(String[] args) {
        System.out.println("Main process ID: " + ProcessHandle.current().pid());
        NumberSource source = new NumberSource();
        ProcessingTransform transform = new ProcessingTransform();
        LoggingSink sink = new LoggingSink();
        Pipeline pipeline = new Pipeline();
        pipeline.insert(source, transform, sink);
        pipeline.connect(source, transform);
        pipeline.connect(transform, sink);
        // the default mode is processes: the transform gets a worker JVM, the sink overrides it to a thread
        try (Parallelize parallelize = new Parallelize(pipeline)) {
            parallelize.run();
        }
        System.out.println("done");
    }
}
