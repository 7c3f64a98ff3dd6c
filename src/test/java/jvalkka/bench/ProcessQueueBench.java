package jvalkka.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

import jvalkka.pool.ProcessQueue;
import jvalkka.tutorial.CalPow;

/**
 * {@code scripts/bench processqueue}: one {@code name value unit} line each.
 *
 * <ul>
 * <li>{@code overhead_us_per_item}: {@code map} of an identity function over
 *     200,000 small {@code Integer}s on 2 workers, wall time per item, the first
 *     run after start (JIT cold, as a user sees it); {@code overhead_warm_us_per_item}
 *     the best of the next three.</li>
 * <li>{@code speedup_2_workers}: the article's {@code cal_pow} items (half of them
 *     loop 1e6..1e7 times, half 1..10 times) on 1 worker, then the same items on
 *     2 workers. The item count is calibrated in this JVM so that one worker runs
 *     about 6 s. The figure is the steady-state speedup, measured as JMH would:
 *     both pools are started and warmed (60,000 cheap items, one a message, then
 *     an eighth of the timed mix), timing starts once this JVM and the workers
 *     have gone quiet, and the runs go 1, 2, 2, 1 workers, each count's time the
 *     mean of its two runs, so that the machine's drift weighs on both alike
 *     ({@code jit_settle_s}: how long the wait took, while the C2 compilers
 *     finish the pool's message paths, 1-6 s after the warm-up). Without the wait, each
 *     worker's C2 spent 0.1-0.7 s inside the timed 2-worker run, on the 2 cores
 *     the workers need, and the speedup measured 1.70-1.89: a short job pays
 *     that start-up cost of a worker JVM (about a CPU-second), a long one does not.
 *     The pools use {@code maxBatch(1)}, which for these items is what the
 *     adaptive size picks anyway, so that the warm-up goes one item a message.
 *     {@code frontend_cpu_share} is this JVM's CPU time over the 2-worker runs'
 *     wall time (what it took from the workers).</li>
 * <li>{@code pq_replace_ms}: see {@link #replace}.</li>
 * </ul>
 */
public final class ProcessQueueBench {
    private ProcessQueueBench() {
    }

    static Number calPowSquare(Integer base) {
        return CalPow.calPow(base, 2);
    }

    static Integer identity(Integer x) {
        return x;
    }

    public static void main(String[] args) throws Exception {
        String only = args.length > 0 ? args[0] : "all";
        // overhead first: its 800,000 items also bring this JVM's JIT to a steady state, so that the
        // speedup run measures the pool, not the frontend's compiler (which competes for the 2 cores)
        if (only.equals("all") || only.equals("overhead")) {
            overhead();
        }
        if (only.equals("all") || only.equals("speedup")) {
            speedup(args.length > 1 ? Double.parseDouble(args[1]) : 6.0);
        }
        if (only.equals("all") || only.equals("replace")) {
            replace(Integer.getInteger("jvalkka.bench.replacements", 10));
        }
    }

    static Long workerPid(Integer x) {
        return ProcessHandle.current().pid();
    }

    /**
     * {@code pq_replace_ms}: the median time from a kill -9 of a one-worker pool's worker until
     * the next item is answered by its replacement, which takes the pool's default warm JVM
     * (the wait for the spare to be ready again between kills is not timed).
     */
    static void replace(int kills) throws Exception {
        List<Double> ms = new ArrayList<>();
        try (ProcessQueue<Integer, Long> q = ProcessQueue.of(ProcessQueueBench::workerPid).workers(1).start()) {
            q.put(0);
            long pid = q.get().getOrThrow();
            for (int i = 1; i <= kills; i++) {
                MessageProcessBench.awaitIdleWarm();
                long t0 = System.nanoTime();
                ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                q.put(i);
                long next = q.get().getOrThrow();
                ms.add((System.nanoTime() - t0) / 1e6);
                if (next == pid) {
                    throw new IllegalStateException("the killed worker answered");
                }
                pid = next;
            }
        }
        ms.sort(null);
        System.out.printf(Locale.ROOT, "pq_replace_ms %.1f ms%n", ms.get(ms.size() / 2));
    }

    static void speedup(double targetSeconds) throws Exception {
        // calibrate: the average cost of an item, computed here with a warm JIT
        List<Integer> sample = IntStream.range(1_000_000, 1_000_200).boxed().toList();
        sample.forEach(ProcessQueueBench::calPowSquare);
        long t0 = System.nanoTime();
        sample.forEach(ProcessQueueBench::calPowSquare);
        double perItem = (System.nanoTime() - t0) / 1e9 / sample.size();
        int n = (int) Math.ceil(targetSeconds / perItem);
        List<Integer> items = IntStream.range(0, n).boxed().toList();
        // warm-up, as JMH would: first 60,000 cheap items, one a message, so that each worker's codec and
        // pipes (and this JVM's) reach C2 (tier-4 thresholds are ~15,000 calls, later when the compiler queue
        // is long); then an eighth of the timed workload's mix, so that cal_pow's loop is compiled for long
        // runs too (code compiled on short loops only is thrown away at the first long one). Without the
        // mixed part, the workers' C2 threads spent 0.1-0.5 s inside the timed 2-worker run, on the 2 cores
        // the workers need.
        List<Integer> warm = IntStream.range(-1_000_000, 0).filter(b -> CalPow.loops(b, 2) <= 10).limit(60_000)
                .boxed().toList();
        List<Integer> warmMixed = IntStream.range(-3_000_000, -3_000_000 + n / 8).boxed().toList();
        try (ProcessQueue<Integer, Number> one = pool(1); ProcessQueue<Integer, Number> two = pool(2)) {
            for (ProcessQueue<Integer, Number> q : List.of(one, two)) {
                q.map(warm);
                q.map(warmMixed);
            }
            double settle = awaitQuiet();
            // in the order 1, 2, 2, 1 workers: the machine's speed drifts (it is a VM), and a drift over the
            // run then weighs on the one-worker and the two-worker time alike
            double[] t = new double[4];
            long c = 0;
            for (int round = 0; round < 4; round++) {
                boolean twoWorkers = round == 1 || round == 2;
                long c0 = cpuNanos();
                t[round] = timed(twoWorkers ? two : one, items);
                if (twoWorkers) {
                    c += cpuNanos() - c0;
                }
            }
            double oneWorker = (t[0] + t[3]) / 2;
            double twoWorkers = (t[1] + t[2]) / 2;
            System.out.printf(Locale.ROOT, "speedup_items %d items%n", n);
            System.out.printf(Locale.ROOT, "one_worker_s %.2f s%n", oneWorker);
            System.out.printf(Locale.ROOT, "two_workers_s %.2f s%n", twoWorkers);
            System.out.printf(Locale.ROOT, "frontend_cpu_share %.2f cores%n", c / 1e9 / (t[1] + t[2]));
            System.out.printf(Locale.ROOT, "jit_settle_s %.1f s%n", settle);
            System.out.printf(Locale.ROOT, "speedup_2_workers %.2f x%n", oneWorker / twoWorkers);
        }
    }

    private static ProcessQueue<Integer, Number> pool(int workers) {
        return ProcessQueue.of(ProcessQueueBench::calPowSquare).name("bench" + workers).workers(workers).maxBatch(1)
                .start();
    }

    private static double timed(ProcessQueue<Integer, Number> q, List<Integer> items) throws Exception {
        long s = System.nanoTime();
        List<Number> out = q.map(items);
        double seconds = (System.nanoTime() - s) / 1e9;
        if (out.size() != items.size()) {
            throw new IllegalStateException("lost results: " + out.size() + " of " + items.size());
        }
        return seconds;
    }

    /**
     * Waits until this JVM and its workers have used less than 2% of a core for
     * half a second (their JIT compilers are done), at most 20 s; returns the
     * seconds waited. Reads /proc, like the rest of this Linux-only project.
     */
    static double awaitQuiet() throws InterruptedException {
        long t0 = System.nanoTime();
        long last = treeCpuTicks();
        int quietIntervals = 0;
        while (quietIntervals < 5 && System.nanoTime() - t0 < 20_000_000_000L) {
            Thread.sleep(100); // a sampling interval, not synchronisation: we measure CPU over it
            long now = treeCpuTicks();
            quietIntervals = now - last <= 0 ? quietIntervals + 1 : 0; // 100 Hz ticks: under 10 ms in 100 ms
            last = now;
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static long treeCpuTicks() {
        long sum = 0;
        List<ProcessHandle> ps = new ArrayList<>(ProcessHandle.current().children().toList());
        ps.add(ProcessHandle.current());
        for (ProcessHandle p : ps) {
            try {
                String st = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + p.pid() + "/stat"));
                String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (java.io.IOException | RuntimeException e) {
                // a process that ended between listing and reading uses no CPU
            }
        }
        return sum;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static void overhead() throws Exception {
        int n = 200_000;
        List<Integer> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add(i);
        }
        long s0 = System.nanoTime();
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueBench::identity).name("overhead")
                .workers(2).start()) {
            System.out.printf(Locale.ROOT, "pool_start_ms %.0f ms%n", (System.nanoTime() - s0) / 1e6);
            double cold = run(q, items);
            double warm = Double.MAX_VALUE;
            for (int r = 0; r < 3; r++) {
                warm = Math.min(warm, run(q, items));
            }
            System.out.printf(Locale.ROOT, "overhead_us_per_item %.2f us%n", cold * 1e6 / n);
            System.out.printf(Locale.ROOT, "overhead_warm_us_per_item %.2f us%n", warm * 1e6 / n);
        }
    }

    private static double run(ProcessQueue<Integer, Integer> q, List<Integer> items) throws Exception {
        long s = System.nanoTime();
        List<Integer> out = q.map(items);
        double t = (System.nanoTime() - s) / 1e9;
        if (!out.equals(items)) {
            throw new IllegalStateException("identity changed the items");
        }
        return t;
    }
}
