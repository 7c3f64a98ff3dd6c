package jvalkka.tutorial;

import java.util.List;
import java.util.Map;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.sources.StatsSource;
import jvalkka.sgn.subprocess.Empty;
import jvalkka.sgn.subprocess.Parallelize;
import jvalkka.sgn.subprocess.ParallelizeTransformElement;
import jvalkka.sgn.subprocess.WorkerContext;

/**
 * SGN's stats-monitoring tutorial in Java: a {@link StatsSource} samples this JVM, its worker
 * JVM and the system every half second, beside a pipeline whose squaring transform runs in a
 * worker JVM; a sink prints one line per sample. It runs until Ctrl+C (or {@code kill}): the
 * stats source and the number source then send EOS, and the pipeline drains and stops.
 * Args: [interval seconds, default 0.5].
 */
public final class SgnStats {
    private SgnStats() {
    }

    /** 1, 2, 3, ... until Ctrl+C, a frame every 10 ms. */
    static final class Numbers extends SourceElement {
        int n;

        Numbers() {
            super("numbers", "out");
        }

        @Override
        public Frame newFrame(SourcePad pad) throws InterruptedException {
            Thread.sleep(10);
            n++;
            return new Frame(n, SignalEOS.signaledEos(), false);
        }
    }

    /** Squares in a worker JVM, one frame in, one frame out. */
    static final class Squarer extends ParallelizeTransformElement {
        Squarer() {
            super("squarer", List.of("in"), List.of("out"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            // one frame in for every frame out, EOS frames too: newFrame takes one answer per loop, so a
            // frame pulled and not put (after EOS) left newFrame waiting for ever for an answer never asked
            inQueue.put(frame);
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return outQueue.get();
        }

        @Override
        public void workerProcess(WorkerContext ctx) {
            try {
                Frame f = ctx.inputQueue().get(0.1);
                f.setData((Integer) f.data() * (Integer) f.data());
                ctx.outputQueue().put(f);
            } catch (Empty e) {
                // nothing this time
            }
        }
    }

    /** Counts the squares. */
    static final class Count extends SinkElement {
        long frames;

        Count() {
            super("count", "in");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (frame.data() != null) {
                frames++;
            }
            if (frame.isEOS()) {
                markEos(pad);
            }
        }
    }

    /** Prints one line per sample: this JVM, each worker JVM, the system. */
    static final class PrintStats extends SinkElement {
        int samples;

        PrintStats() {
            super("print", "stats");
        }

        @Override
        @SuppressWarnings("unchecked")
        public void pull(SinkPad pad, Frame frame) {
            if (!frame.isGap()) {
                Map<String, Object> data = (Map<String, Object>) frame.data();
                Map<String, Object> p = (Map<String, Object>) data.get("process");
                Map<String, Object> jvm = (Map<String, Object>) p.get("jvm");
                StringBuilder line = new StringBuilder(String.format("stats #%d: main pid %s cpu %.0f%% heap %d MB"
                        + " threads %s", ++samples, p.get("pid"), (Double) p.get("cpu_percent"),
                        (Long) jvm.get("heap_used") >> 20, p.get("num_threads")));
                for (Map<String, Object> w : (List<Map<String, Object>>) data.get("workers")) {
                    Map<String, Object> mem = (Map<String, Object>) w.get("memory");
                    line.append(String.format("; %s pid %s cpu %.0f%% rss %s MB threads %s", w.get("worker"),
                            w.get("pid"), (Double) w.get("cpu_percent"),
                            mem == null ? "?" : Long.toString((Long) mem.get("rss") >> 20), w.get("num_threads")));
                }
                Map<String, Object> sys = (Map<String, Object>) data.get("system");
                Map<String, Object> cpu = (Map<String, Object>) sys.get("cpu");
                Map<String, Object> memory = (Map<String, Object>) sys.get("memory");
                line.append(String.format("; system cpu %s%% memory %.0f%%",
                        cpu.containsKey("percent") ? String.format("%.0f", (Double) cpu.get("percent")) : "?",
                        memory == null ? Double.NaN : (Double) memory.get("percent")));
                System.out.println(line);
            }
            if (frame.isEOS()) {
                System.out.println("stats: EOS after " + samples + " samples");
                markEos(pad);
            }
        }
    }

    public static void main(String[] args) {
        double interval = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        StatsSource stats = new StatsSource("stats", "stats").interval(interval).waitSeconds(0.01);
        PrintStats print = new PrintStats();
        Numbers numbers = new Numbers();
        Squarer squarer = new Squarer();
        Count count = new Count();
        Pipeline pipeline = new Pipeline();
        pipeline.connect(stats, print);
        pipeline.connect(numbers, squarer);
        pipeline.connect(squarer, count);
        System.out.println("main pid " + ProcessHandle.current().pid() + ": Ctrl+C to stop");
        try (Parallelize parallelize = new Parallelize(pipeline)) { // SIGINT/SIGTERM become EOS while open
            System.out.println("worker pid " + squarer.workerPid());
            parallelize.run();
        }
        System.out.println("squared " + count.frames + " numbers; done");
    }
}
