package jvalkka.bench;

import java.lang.management.ManagementFactory;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.transforms.CallableTransform;

/**
 * SGN pipeline benchmarks. Prints one {@code name value unit} line per figure.
 *
 * <p>Sections are registered in {@link #SECTIONS}; {@code scripts/bench sgn} runs them all,
 * {@code scripts/bench sgn SECTION...} only those named. More sections (thread and process
 * elements) are added by putting another entry there.
 *
 * <p>{@code inprocess}: IterSource -> CallableTransform (x10) -> CollectSink over 1,000,000
 * integer frames. The integers are boxed before timing (the payload is not what is measured);
 * after warm-up runs, the median frame rate of the timed runs is reported, and the bytes the
 * running thread allocated per frame (frames, the transform's boxed results, the sink's list
 * growth) if the JVM can count them.
 */
public final class SgnBench {
    private static final Map<String, Consumer<Out>> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("inprocess", SgnBench::inprocess);
    }

    private SgnBench() {
    }

    /** Where a section prints its figures. */
    interface Out {
        void figure(String name, double value, String unit);
    }

    public static void main(String[] args) {
        List<String> wanted = args.length == 0 ? new ArrayList<>(SECTIONS.keySet()) : Arrays.asList(args);
        Out out = (name, value, unit) -> System.out.printf("%s %s %s%n", name,
                value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value)
                        : String.format("%.2f", value), unit);
        for (String section : wanted) {
            Consumer<Out> run = SECTIONS.get(section);
            if (run == null) {
                System.err.println("SgnBench: no section '" + section + "'; sections: " + SECTIONS.keySet());
                System.exit(2);
            }
            run.accept(out);
        }
    }

    // ------------------------------------------------------------------ inprocess

    private static final int FRAMES = 1_000_000;
    private static final int WARMUP_RUNS = 5;
    private static final int TIMED_RUNS = 7;

    /** 0..n-1, boxed once up front. */
    private static List<Integer> boxedRange(int n) {
        Integer[] values = new Integer[n];
        for (int i = 0; i < n; i++) {
            values[i] = i;
        }
        return new AbstractList<>() {
            @Override
            public Integer get(int index) {
                return values[index];
            }

            @Override
            public int size() {
                return n;
            }
        };
    }

    private static Object times10(Frame frame) {
        Object d = frame.data();
        return d == null ? null : (Integer) d * 10;
    }

    /** One run; returns {nanoseconds, bytes allocated by this thread (or -1)}. */
    private static long[] inprocessRun(List<Integer> data) {
        IterSource src = new IterSource("src", List.of("H1"), Map.of("H1", data));
        CallableTransform t = CallableTransform.fromCallable("t", SgnBench::times10, "H1", "H1");
        CollectSink snk = new CollectSink("snk", "H1");
        Pipeline p = new Pipeline();
        p.connect(src, t);
        p.connect(t, snk);
        p.check();
        long bytes0 = allocatedBytes();
        long t0 = System.nanoTime();
        p.run();
        long ns = System.nanoTime() - t0;
        long bytes1 = allocatedBytes();
        List<Object> got = snk.collects().get("H1");
        if (got.size() != data.size() || !got.get(got.size() - 1).equals(data.get(data.size() - 1) * 10)) {
            throw new AssertionError("wrong result: " + got.size() + " items");
        }
        return new long[] {ns, bytes0 < 0 ? -1 : bytes1 - bytes0};
    }

    private static void inprocess(Out out) {
        List<Integer> data = boxedRange(FRAMES);
        for (int i = 0; i < WARMUP_RUNS; i++) {
            inprocessRun(data);
        }
        double[] rates = new double[TIMED_RUNS];
        long[] bytes = new long[TIMED_RUNS];
        for (int i = 0; i < TIMED_RUNS; i++) {
            System.gc(); // start each timed run from a clean heap: less GC noise inside the run
            long[] r = inprocessRun(data);
            rates[i] = FRAMES / (r[0] / 1e9);
            bytes[i] = r[1];
        }
        Arrays.sort(rates);
        Arrays.sort(bytes);
        out.figure("inprocess_frames_per_s", Math.round(rates[TIMED_RUNS / 2]), "frames/s");
        out.figure("inprocess_frames_per_s_best", Math.round(rates[TIMED_RUNS - 1]), "frames/s");
        if (bytes[0] >= 0) {
            out.figure("inprocess_alloc_bytes_per_frame", (double) bytes[TIMED_RUNS / 2] / FRAMES, "bytes");
        }
    }

    /** Bytes allocated so far by this thread, or -1 where the JVM cannot tell. */
    private static long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (mx instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()) {
            return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }
}
