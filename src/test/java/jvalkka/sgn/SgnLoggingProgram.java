package jvalkka.sgn;

import java.util.List;
import java.util.Map;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.sources.NullSource;
import jvalkka.sgn.subprocess.Empty;
import jvalkka.sgn.subprocess.ParallelizeTransformElement;
import jvalkka.sgn.subprocess.WorkerContext;

/**
 * Run by {@link SgnLoggingTest} in its own JVM with {@code SGNLOGLEVEL} set, as a user would:
 * no logging code here, only element loggers. {@code workers}: source -> a process-mode
 * transform that logs in its worker JVM -> a sink that logs at DEBUG and INFO. {@code memprof}:
 * SGN's test_profile pipeline, a NullSource of two frames into a NullSink.
 */
public final class SgnLoggingProgram {
    private SgnLoggingProgram() {
    }

    /** Passes frames on in a worker JVM, logging each one there at DEBUG. */
    public static final class Echo extends ParallelizeTransformElement {
        public Echo() {
            super("echo", List.of("H1"), List.of("H1"));
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
            return (Frame) outQueue.get();
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            try {
                Frame f = (Frame) ctx.inputQueue().get(0.1);
                logger().debug("worker pid {} passes {}", ProcessHandle.current().pid(), f.data());
                ctx.outputQueue().put(f);
            } catch (Empty e) {
                // nothing this time
            }
        }
    }

    /** Logs each frame at DEBUG and the end at INFO. */
    static final class Talker extends SinkElement {
        Talker() {
            super("snk", "H1");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            logger().debug("got {}", frame.data());
            if (frame.isEOS()) {
                logger().info("end of stream");
                markEos(pad);
            }
        }
    }

    public static void main(String[] args) {
        System.out.println("main pid " + ProcessHandle.current().pid());
        if (args.length > 0 && args[0].equals("memprof")) {
            Pipeline p = new Pipeline();
            NullSource e1 = new NullSource("src1", "H1").numFrames(2);
            NullSink e2 = new NullSink(null, "H1");
            p.insert(Map.of(e2.snkPad("H1"), e1.srcPad("H1")), e1, e2);
            p.run();
        } else {
            IterSource src = new IterSource("src", List.of("H1"), Map.of("H1", List.of(1, 2, 3)));
            Echo echo = new Echo();
            Talker snk = new Talker();
            new Pipeline().connect(src, echo).connect(echo, snk).run();
        }
        System.out.println("done");
    }
}
