package jvalkka.tutorial;

import java.util.List;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.subprocess.Empty;
import jvalkka.sgn.subprocess.Parallelize;
import jvalkka.sgn.subprocess.ParallelizeSourceElement;
import jvalkka.sgn.subprocess.WorkerContext;

/**
 * SGN subprocess tutorial, "Implementing ParallelizeSourceElement": the main side sends a count
 * to the worker from {@code internal()}, the worker turns it into an item (or the end of the
 * stream, {@code null}), and {@code newFrame} turns what the worker sent into frames.
 * Argument: {@code thread} (the default, as in SGN's example) or {@code process}.
 */
public final class SgnSubprocessSource {
    private SgnSubprocessSource() {
    }

    /** SGN's {@code MySourceElement}. */
    static final class MySourceElement extends ParallelizeSourceElement {
        /** A worker parameter (SGN's {@code worker_argdict}): fields travel to the worker. */
        int itemCount = 5;
        /** Main side only: transient fields stay behind. */
        transient int counter;

        MySourceElement() {
            super("source", List.of("out"));
        }

        /** Main side, every loop before {@code newFrame}: send the next count to the worker. */
        @Override
        public void internal() {
            if (counter < itemCount && !atEos) {
                counter++;
                inQueue.put(counter);
            }
        }

        /** Main side: the next frame, from what the worker sent. */
        @Override
        public Frame newFrame(SourcePad pad) {
            if (atEos) {
                return Frame.eos(); // at EOS, keep sending EOS
            }
            try {
                Object data = outQueue.get(0.1);
                if (data == null) { // null is the worker's end of stream
                    atEos = true;
                    return Frame.eos();
                }
                return new Frame(data);
            } catch (Empty e) {
                return Frame.gap(); // nothing yet: an empty frame
            }
        }

        /** In the worker, called again and again: one count per call. */
        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            if (ctx.shouldStop()) {
                return;
            }
            try {
                int count = ctx.inputQueue().get(0.1);
                if (count >= itemCount) {
                    ctx.outputQueue().put(null); // the last count ends the stream
                } else {
                    ctx.outputQueue().put("Processed item " + count + " (worker in pid "
                            + ProcessHandle.current().pid() + ", thread " + Thread.currentThread().getName() + ")");
                }
            } catch (Empty e) {
                // nothing this time: the worker calls us again
            }
        }
    }

    /** Prints the data of every frame that has some. */
    static final class PrintSink extends SinkElement {
        PrintSink() {
            super("print", "out");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (frame.data() != null) {
                System.out.println("Sink: " + frame.data());
            }
            if (frame.isEOS()) {
                System.out.println("Sink: EOS");
                markEos(pad);
            }
        }
    }

    public static void main(String[] args) {
        boolean threads = args.length == 0 || !args[0].equals("process");
        System.out.println("Main process ID: " + ProcessHandle.current().pid() + ", mode: "
                + (threads ? "thread" : "process"));
        MySourceElement source = new MySourceElement();
        PrintSink sink = new PrintSink();
        Pipeline pipeline = new Pipeline();
        pipeline.connect(source, sink);
        try (Parallelize parallelize = new Parallelize(pipeline, threads)) {
            parallelize.run();
        }
        System.out.println("done");
    }
}
