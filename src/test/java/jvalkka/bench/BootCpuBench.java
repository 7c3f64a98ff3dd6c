package jvalkka.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MessageObject;

/**
 * {@code scripts/bench bootcpu [--java PATH] [N] [-- JVM options...]}: the CPU one backend
 * uses to boot, finely. Starts N backends (20 by default) one after the other, each until it has
 * answered a ping, reads its CPU time in µs ({@link ManagerBench#cpuMicros}: the scheduler's
 * nanosecond run time of its threads, where {@code boot_cpu_ms_per_worker} counts 10 ms ticks) and
 * stops it. One backend at a time, so the figure is a backend's own, not raised by a hundred others
 * booting on the same cores; two starts before the N are not counted.
 *
 * <p>{@code boot_cpu_us_mean} and {@code boot_cpu_us_p50}: the backend's CPU to its first answer;
 * {@code boot_cpu_us_sem}: the standard error of the mean, so a 5 ms step shows against it;
 * {@code boot_wall_ms_p50}: start() to the answer. JVM options after {@code --} are added to the
 * default ones ({@link BackendOptions#SMALL_JVM}), to measure one flag: the archive is trained for
 * them first (not timed). {@code -Djvalkka.bench.threads=true}: the mean CPU by thread name
 * ({@code launcher}: the {@code java} launcher's first thread, which loads the JVM and then waits; {@code java}:
 * the thread that creates the JVM and runs {@code main}).
 *
 * <p>Where a JDK 25 backend's boot CPU went (Nov. 2026: 35 to 37 ms in all with the AOT cache, the machine
 * shared with other benchmarks; per-thread schedstat, and per phase the main thread's schedstat at stamps in
 * the boot path, averaged over 42 starts): the launcher's thread 3.1 ms (exec, loading libjvm), the JVM's
 * creation up to {@code BackendMain.main} 21 ms, the C1 thread 1.7 ms, the JVM's other threads 1 ms, and
 * after {@code main} 9.6 ms: the first socket 2.6 ({@code java.security} read by {@code Providers}), the
 * parent watch's thread 0.4, bind, mode and connect 1.1, the peer checks 0.8, the second connection 0.8,
 * the boot frame 0.6, the log configuration 0.2, the restore 0.75, the adoption of the parent's stderr 0.75,
 * ready 0.2, the first message's binding 0.7 and its handler 0.3. For comparison, {@code java Hello} with an
 * AOT cache of its own costs 19 to 20 ms in all here, and the backend's JVM up to its {@code main} (stdin
 * closed, so it ends there) 23 to 24 ms: the creation is near the JVM's floor, the extra being the cache's
 * 1330 classes loaded at start (a hello world's 700). JVM options measured with this tool, none kept:
 * {@code -Xint} and {@code -XX:TieredStopAtLevel=0} 3 ms less (no compiler, so slow handlers),
 * {@code -XX:CompileThresholdScaling=10} or {@code 20} and a low threshold for {@code Properties}' line reader
 * no change beyond the noise (0.5 ms), {@code -XX:+UseCompactObjectHeaders} 1 to 2 ms more.
 */
public final class BootCpuBench {
    private BootCpuBench() {
    }

    public static void main(String[] args) throws Exception {
        args = BenchJava.apply(args);
        int n = 20;
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                extra.addAll(List.of(args).subList(i + 1, args.length));
                break;
            }
            n = Integer.parseInt(args[i]);
        }
        if (!extra.isEmpty()) {
            List<String> jvm = new ArrayList<>(BackendOptions.SMALL_JVM);
            jvm.addAll(extra);
            BackendOptions.setDefaults(BackendOptions.defaults().withJvmArgs(jvm));
            System.out.println("backend_extra_options " + String.join(" ", extra));
        }
        if (!BackendOptions.defaults().prepareArchive()) {
            System.err.println("note: backends start without a class-data-sharing archive");
        }
        boolean byThread = Boolean.getBoolean("jvalkka.bench.threads");
        long[] us = new long[n];
        long[] wall = new long[n];
        Map<String, Long> threads = new TreeMap<>();
        for (int i = -2; i < n; i++) {
            ManagerBench.Idle p = new ManagerBench.Idle("boot-" + i);
            long t0 = System.nanoTime();
            p.start();
            p.sendMessageToBack(new MessageObject("ping", "i", i));
            MessageObject m = p.getPipe().recv();
            long t1 = System.nanoTime();
            if (m == null || !m.command().equals("pong")) {
                throw new IllegalStateException("unexpected " + m);
            }
            long cpu = ManagerBench.cpuMicros(p.pid());
            if (i >= 0) {
                us[i] = cpu;
                wall[i] = t1 - t0;
                if (byThread) {
                    perThread(p.pid(), threads);
                }
            }
            p.stop();
        }
        double mean = 0;
        for (long u : us) {
            mean += u;
        }
        mean /= n;
        double var = 0;
        for (long u : us) {
            var += (u - mean) * (u - mean);
        }
        double sem = Math.sqrt(var / Math.max(1, n - 1) / n);
        long[] sorted = us.clone();
        java.util.Arrays.sort(sorted);
        java.util.Arrays.sort(wall);
        System.out.printf("boot_count %d count%n", n);
        System.out.printf("boot_cpu_us_mean %.0f us%n", mean);
        System.out.printf("boot_cpu_us_p50 %d us%n", sorted[n / 2]);
        System.out.printf("boot_cpu_us_sem %.0f us%n", sem);
        System.out.printf("boot_wall_ms_p50 %.1f ms%n", wall[n / 2] / 1e6);
        for (var e : threads.entrySet()) {
            System.out.printf("boot_thread_cpu_us %d %s%n", e.getValue() / n, e.getKey());
        }
    }

    /** Adds the run time of each of the process's threads, in µs, to {@code into} by its name (digits folded). */
    private static void perThread(long pid, Map<String, Long> into) throws java.io.IOException {
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(
                java.nio.file.Path.of("/proc/" + pid + "/task"))) {
            for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                String name = t.getFileName().toString().equals(Long.toString(pid)) ? "launcher"
                        : java.nio.file.Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "N")
                                .replace(' ', '_'); // the launcher's thread (the pid's) waits for the JVM's main
                String s = java.nio.file.Files.readString(t.resolve("schedstat"));
                into.merge(name, Long.parseLong(s.substring(0, s.indexOf(' '))) / 1000, Long::sum);
            }
        }
    }
}
