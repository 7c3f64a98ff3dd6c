package jvalkka.bench;

import java.lang.management.ManagementFactory;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import jvalkka.multiprocess.BackendOptions;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.subprocess.Empty;
import jvalkka.sgn.subprocess.Parallelize;
import jvalkka.sgn.subprocess.ParallelizeTransformElement;
import jvalkka.sgn.subprocess.WorkerContext;
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
 *
 * <p>{@code parallel}: source -> {@code ParallelizeTransformElement} (the worker passes each
 * frame on) -> sink, pipelined (the main side keeps up to 64 frames in the worker's queues and
 * waits only when that many are in flight). {@code thread_frames_per_s}: thread mode,
 * 2,000,000 Integer frames; {@code process_frames_per_s}: process mode, 1,000,000 Integer
 * frames; {@code process_1mib_mb_per_s}: process mode, 4,000 frames of a 1 MiB {@code byte[]}
 * (16 MiB rings, so each frame is one message), MB = 10^6 bytes counted once per frame. The
 * worker JVM runs with the full JIT. Median of 3 timed runs after 2 warm-up runs; each run
 * starts its own worker, outside the timing.
 *
 * <p>{@code start}: {@code parallelize_start_ms}, see {@link #parallelizeStart}.
 *
 * <p>{@code remote}: the same pipeline with the process-mode worker placed on a node
 * ({@code setPlacement}), so its frames go over the worker's process pipe (TCP) instead of
 * shared-memory rings. With a cluster launcher installed ({@code RemoteLaunchers}) the worker
 * runs where it places it; otherwise a loopback launcher starts it on this host over
 * 127.0.0.1 TCP (so the figure is the pipe's cost, not a network's).
 * {@code sgn_remote_frames_per_s}: {@code -Djvalkka.bench.sgnRemoteFrames} (default 500,000)
 * Integer frames; {@code sgn_remote_1mib_mb_per_s}: 400 frames of 1 MiB (scaled down with the
 * frame count). Not part of the default run (it needs the test class path's loopback launcher
 * or a cluster): {@code scripts/bench sgn remote}.
 */
public final class SgnBench {
    private static final Map<String, Consumer<Out>> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("inprocess", SgnBench::inprocess);
        SECTIONS.put("parallel", SgnBench::parallel);
        SECTIONS.put("start", SgnBench::parallelizeStart);
        SECTIONS.put("remote", SgnBench::remote);
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
        if (args.length == 0) {
            wanted.remove("remote"); // on request only (see the class comment)
        }
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

    // ------------------------------------------------------------------ parallel

    /** Frames from a prepared array, then EOS. */
    static final class ArraySource extends SourceElement {
        Object[] data;
        int i;

        ArraySource() {
            super("src", "out");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            if (i >= data.length) {
                return Frame.eos();
            }
            Object d = data[i++];
            return new Frame(d, i == data.length, false);
        }
    }

    /** Passes frames through its worker, pipelined up to 64 in flight. */
    static final class PassOn extends ParallelizeTransformElement {
        final boolean threads;
        transient int inFlight;
        transient boolean ended;

        PassOn(boolean threads) {
            this(threads, "pass");
        }

        PassOn(boolean threads, String name) {
            super(name, List.of("in"), List.of("out"));
            this.threads = threads;
        }

        @Override
        protected Boolean useThreadingOverride() {
            return threads;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (ended) {
                return;
            }
            inQueue.put(frame);
            inFlight++;
            ended = frame.isEOS();
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            if (inFlight == 0) {
                return Frame.eos();
            }
            Frame f;
            if (ended || inFlight >= 64) {
                f = outQueue.get();
            } else {
                try {
                    f = outQueue.getNowait();
                } catch (Empty e) {
                    return Frame.gap();
                }
            }
            inFlight--;
            return f;
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            try {
                ctx.outputQueue().put(ctx.inputQueue().get(0.1));
            } catch (Empty e) {
                // nothing this time
            }
        }
    }

    static final class CountSink extends SinkElement {
        long frames;
        long bytes;
        long firstAt;

        CountSink() {
            super("snk", "in");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (!frame.isGap()) {
                if (frames == 0) {
                    firstAt = System.nanoTime();
                }
                frames++;
                if (frame.data() instanceof byte[] b) {
                    bytes += b.length;
                }
            }
            if (frame.isEOS()) {
                markEos(pad);
            }
        }
    }

    /** Median rate (frames/s, and bytes/s in [1]) over timed runs of the same workers. */
    private static double[] parallelRun(boolean threads, Object[] data, int ringBytes) {
        return parallelRun(threads, data, ringBytes, null);
    }

    private static double[] parallelRun(boolean threads, Object[] data, int ringBytes,
            jvalkka.multiprocess.Placement placement) {
        double[] fps = new double[3];
        double[] bps = new double[3];
        for (int run = 0; run < 2 + 3; run++) {
            ArraySource src = new ArraySource();
            src.data = data;
            PassOn t = new PassOn(threads);
            t.setQueueMaxsize(256);
            t.setRingBytes(ringBytes);
            t.setBackendOptions(BackendOptions.defaults().withJvmArgs(List.of("-Xmx1g")));
            if (placement != null) {
                t.setPlacement(placement);
            }
            CountSink snk = new CountSink();
            Pipeline p = new Pipeline();
            p.connect(src, t);
            p.connect(t, snk);
            try (Parallelize par = new Parallelize(p)) {
                if (!threads && placement == null) {
                    // the pool refills the warm JVM this run took: its boot and warm-up (~0.3 s of CPU) would
                    // otherwise share the 2 cores with the timed run, which measures the frame rate
                    awaitWarm(Parallelize.DEFAULT_WARM_POOL);
                }
                long t0 = System.nanoTime();
                par.run();
                long ns = System.nanoTime() - t0;
                if (snk.frames != data.length) {
                    throw new AssertionError("got " + snk.frames + " frames of " + data.length);
                }
                if (run >= 2) {
                    fps[run - 2] = data.length / (ns / 1e9);
                    bps[run - 2] = snk.bytes / (ns / 1e9);
                }
            }
        }
        Arrays.sort(fps);
        Arrays.sort(bps);
        return new double[] {fps[1], bps[1]};
    }

    private static void parallel(Out out) {
        int n = 2_000_000;
        Object[] ints = new Object[n];
        for (int i = 0; i < n; i++) {
            ints[i] = i;
        }
        out.figure("thread_frames_per_s", Math.round(parallelRun(true, ints, 1 << 20)[0]), "frames/s");
        Object[] fewer = Arrays.copyOf(ints, 1_000_000);
        out.figure("process_frames_per_s", Math.round(parallelRun(false, fewer, 1 << 22)[0]), "frames/s");
        Object[] blobs = new Object[4000];
        byte[] mib = new byte[1 << 20];
        Arrays.fill(blobs, mib);
        out.figure("process_1mib_mb_per_s", Math.round(parallelRun(false, blobs, 1 << 24)[1] / 1e6), "MB/s");
    }

    // ------------------------------------------------------------------ start

    /**
     * {@code parallelize_start_ms}: source -> two process-mode pass-on elements -> sink, one
     * frame; from {@code new Parallelize(pipeline)} (which starts both worker JVMs) until the
     * frame reaches the sink, the median of 10 runs after a first one whose cold workers
     * filled Parallelize's default warm pool (each run waits, untimed, for the pool to be full
     * again, then takes two warm JVMs).
     */
    private static void parallelizeStart(Out out) {
        int runs = Integer.getInteger("jvalkka.bench.parallelizeRuns", 10);
        double[] ms = new double[runs];
        for (int run = -1; run < runs; run++) {
            if (run >= 0) {
                awaitWarm(Parallelize.DEFAULT_WARM_POOL);
            }
            ArraySource src = new ArraySource();
            src.data = new Object[] {1};
            PassOn a = new PassOn(false, "pass-a");
            PassOn b = new PassOn(false, "pass-b");
            CountSink snk = new CountSink();
            Pipeline p = new Pipeline();
            p.connect(src, a);
            p.connect(a, b);
            p.connect(b, snk);
            long t0 = System.nanoTime();
            try (Parallelize par = new Parallelize(p)) {
                par.run();
            }
            if (snk.frames != 1) {
                throw new AssertionError("got " + snk.frames + " frames of 1");
            }
            if (run >= 0) {
                ms[run] = (snk.firstAt - t0) / 1e6;
            }
        }
        jvalkka.multiprocess.WarmPool.stopAll();
        Arrays.sort(ms);
        out.figure("parallelize_start_ms", ms[runs / 2], "ms");
    }

    private static void awaitWarm(int n) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (jvalkka.multiprocess.WarmPool.idle() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the warm pool did not fill within 60 s");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ------------------------------------------------------------------ remote

    /**
     * Frames per second of Integer frames through a process-mode transform placed at {@code where}
     * through the installed {@code RemoteLauncher} (for the cluster bench, which installs its
     * driver first): the median of 3 timed runs after 2 warm-up runs, each with its own worker.
     *
     * @param where the worker's placement
     * @param frames frames per run
     * @return frames per second
     */
    public static double remoteFramesPerSecond(jvalkka.multiprocess.Placement where, int frames) {
        Object[] ints = new Object[frames];
        for (int i = 0; i < frames; i++) {
            ints[i] = i;
        }
        return parallelRun(false, ints, 1 << 22, where)[0];
    }

    private static void remote(Out out) {
        int n = Integer.getInteger("jvalkka.bench.sgnRemoteFrames", 500_000);
        jvalkka.multiprocess.LoopbackLauncher loopback = null;
        if (jvalkka.internal.RemoteLaunchers.installed() == null) {
            loopback = jvalkka.multiprocess.LoopbackLauncher.install();
        }
        try {
            jvalkka.multiprocess.Placement where = jvalkka.multiprocess.Placement.node(
                    System.getProperty("jvalkka.bench.sgnRemoteNode", "test-node"));
            out.figure("sgn_remote_frames_per_s", Math.round(remoteFramesPerSecond(where, n)), "frames/s");
            Object[] blobs = new Object[Math.max(4, Math.min(400, n / 1000))];
            Arrays.fill(blobs, new byte[1 << 20]);
            out.figure("sgn_remote_1mib_mb_per_s", Math.round(parallelRun(false, blobs, 1 << 24, where)[1] / 1e6),
                    "MB/s");
        } finally {
            if (loopback != null) {
                try {
                    loopback.close();
                } catch (Exception e) {
                    System.err.println("SgnBench: closing the loopback launcher: " + e);
                }
            }
        }
    }
}
