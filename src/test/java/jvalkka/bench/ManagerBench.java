package jvalkka.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jvalkka.multiprocess.MainContext;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.Select;

/**
 * {@code scripts/bench manager [workers]}: a MainContext with many workers (100 by default).
 * {@code start_workers_s}: from startProcesses() (MessageProcess.startAll, JVMs booting in
 * parallel) until every worker has answered a ping; {@code rss_per_worker_mb}: the median
 * VmRSS of the idle workers; {@code stop_workers_s}: close() (requestStop all, then waitStop all);
 * {@code boot_cpu_ms_per_worker}: the median CPU time (user + system, /proc, 10 ms steps) a worker
 * had used when all had answered, which is its start; {@code frontend_cpu_s}: this JVM's CPU time;
 * {@code frontend_cpu_us_per_start}: the frontend's CPU per start, in microseconds (see {@link #oneByOne};
 * {@code -Djvalkka.bench.oneByOne=K} starts, 20 by default, 0 for none), and
 * {@code frontend_start_thread_cpu_us_per_start} the part of it on the starting thread.
 * On 2 cores the start is CPU-bound: start_workers_s is about (100 x boot CPU + frontend CPU) / 2.
 * {@code --java PATH} (or {@code JVALKKA_BENCH_JAVA}): the backends run that java (JDK 17: CDS archive;
 * JDK 24+: AOT cache); {@code -Djvalkka.startWindow=N} in {@code JV_JAVA_OPTS}: JVMs booting at once.
 *
 * <p>Where a JDK 25 backend's boot CPU went (session 10, a loaded machine, so the absolute figures are
 * some 1.5 times the quiet ones; per-thread CPU from {@code ThreadMXBean} at stamps in the boot path, and
 * {@code perf record} of whole backends): by process, the JVM's own C++ code about a quarter (class
 * linking from the AOT cache, method adapters, constant pool resolution), the kernel a fifth (exec, page
 * faults, mmap), interpreted and C1 code nearly half, the C1 thread 5 to 7 ms. The main thread spent
 * about 40 ms before {@code BackendMain.main}, then, per phase: the first Unix-domain socket 6.6 ms (the
 * {@code java.security} file, read by {@code sun.security.jca.Providers}' initialiser even with
 * {@code BootRandom}'s provider list; the SUN provider itself is spared), the peer check 2.1 ms
 * ({@code SO_PEERCRED}: {@code sun.nio.ch.Net} and {@code InetAddress} initialised), the boot frame's
 * wait 1 to 2 ms, the log configuration 1.5 ms, the process class's {@code Class.forName} 8.7 ms (the
 * first class no archive holds: both snapshot jars are opened, the one before it only to miss, some
 * 6 us per entry plus 3.5 ms for the first open), {@code ProcessTransfer.Allocator}'s {@code Unsafe}
 * 1.3 ms, the SLF4J logger 1.3 ms, ready and the first message 3 ms.
 */
public final class ManagerBench {
    static final class Idle extends MessageProcess {
        Idle(String name) {
            super(name);
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    static final class BenchManager extends MainContext {
        private final int n;
        final List<Idle> cache = new ArrayList<>();

        BenchManager(int n) {
            this.n = n;
            start();
        }

        @Override
        protected void startProcesses() {
            for (int i = 0; i < n; i++) {
                cache.add(new Idle("worker-" + i));
            }
            MessageProcess.startAll(cache);
        }

        @Override
        protected void startThreads() {
        }

        /** Pings every worker and waits for all the answers. */
        @Override
        public void run() {
            List<Object> waiting = new ArrayList<>();
            for (Idle p : cache) {
                p.sendMessageToBack(new MessageObject("ping", "i", 1));
                waiting.add(p.getPipe());
            }
            Set<Object> answered = new HashSet<>();
            while (answered.size() < cache.size()) {
                Select.Result r = Select.safeSelect(waiting, List.of(), List.of(), 60);
                if (r.isEmpty()) {
                    throw new IllegalStateException("no answer within 60 s; " + answered.size() + " answered");
                }
                for (Object o : r.reads()) {
                    MessageObject m = ((MessagePipe) o).recv();
                    if (m == null || !m.command().equals("pong")) {
                        throw new IllegalStateException("unexpected " + m);
                    }
                    answered.add(o);
                    waiting.remove(o);
                }
            }
        }

        @Override
        public void close() {
            for (Idle p : cache) {
                p.requestStop();
            }
            for (Idle p : cache) {
                p.waitStop();
            }
            super.close();
        }
    }

    public static void main(String[] args) {
        args = BenchJava.apply(args); // --java PATH: the backends' java
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        if (!jvalkka.multiprocess.BackendOptions.defaults().prepareArchive()) {
            System.err.println("note: backends start without a class-data-sharing archive");
        }
        boolean trace = Boolean.getBoolean("jvalkka.bench.trace");
        Cpu.Threads threads0 = trace ? Cpu.threads() : null;
        long machine0 = Cpu.machineTicks();
        long self0 = Cpu.selfNanos();
        long t0 = System.nanoTime();
        long epoch0 = System.currentTimeMillis();
        BenchManager m = new BenchManager(n);
        m.run();
        long t1 = System.nanoTime();
        long self1 = Cpu.selfNanos();
        long machine1 = Cpu.machineTicks();
        Cpu.Threads threads1 = trace ? Cpu.threads() : null;
        List<Double> rss = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<Long> fine = new ArrayList<>();
        for (Idle p : m.cache) {
            rss.add(MessageProcessBench.rssMb(p.pid()));
            cpu.add(cpuMs(p.pid()));
            fine.add(cpuMicros(p.pid()));
        }
        rss.sort(null);
        cpu.sort(null);
        fine.sort(null);
        double frontendCpu = cpuMs(ProcessHandle.current().pid());
        List<Idle> more = new ArrayList<>();
        double startCpuUs = oneByOne(Integer.getInteger("jvalkka.bench.oneByOne", 20), more);
        for (Idle p : more) { // not timed: stop_workers_s is the close() of the hundred, as it always was
            p.requestStop();
        }
        for (Idle p : more) {
            p.waitStop();
        }
        long t2 = System.nanoTime();
        m.close();
        long t3 = System.nanoTime();
        System.out.printf("workers %d count%n", n);
        System.out.printf("start_workers_s %.2f s%n", (t1 - t0) / 1e9);
        System.out.printf("rss_per_worker_mb %.1f MB%n", rss.get(rss.size() / 2));
        System.out.printf("stop_workers_s %.2f s%n", (t3 - t2) / 1e9);
        System.out.printf("boot_cpu_ms_per_worker %.0f ms%n", cpu.get(cpu.size() / 2));
        System.out.printf("boot_cpu_ms_per_worker_mean %.1f ms%n", cpu.stream().mapToDouble(Double::doubleValue)
                .average().orElse(-1));
        System.out.printf("boot_cpu_us_per_worker_fine %d us%n", fine.get(fine.size() / 2));
        System.out.printf("boot_cpu_us_per_worker_fine_mean %.0f us%n",
                fine.stream().mapToLong(Long::longValue).average().orElse(-1));
        System.out.printf("frontend_cpu_s %.2f s%n", frontendCpu / 1000);
        System.out.printf("frontend_start_cpu_ms_per_worker %.1f ms%n", (self1 - self0) / 1e6 / n);
        if (startCpuUs >= 0) {
            System.out.printf("frontend_cpu_us_per_start %.0f us%n", startCpuUs);
        }
        double all = 0;
        for (double c : cpu) {
            all += c;
        }
        // what the machine's cores did during the start, this bench's processes and everything else (the load)
        System.out.printf("start_machine_busy_cores %.2f cores%n", (machine1 - machine0) / 100.0 / ((t1 - t0) / 1e9));
        System.out.printf("start_own_busy_cores %.2f cores%n",
                ((self1 - self0) / 1e9 + all / 1000) / ((t1 - t0) / 1e9));
        if (trace) {
            System.out.printf("trace_window_ns %d %d (epoch ms %d %d)%n", t0, t1, epoch0,
                    epoch0 + (t1 - t0) / 1_000_000);
            Cpu.printDelta(threads0, threads1, self1 - self0);
        }
        restart(Integer.getInteger("jvalkka.bench.restarts", 20));
    }

    /**
     * {@code frontend_cpu_us_per_start}: this JVM's CPU (all its threads, in ns from
     * {@code /proc/self/task/<tid>/schedstat}) per {@code start()} of {@code k} more workers started one
     * after the other on this thread, after the hundred (its JIT mostly done, a hundred backends'
     * sockets in the tables it reads): the frontend's cost of one start, fine enough to tell tens of
     * microseconds apart, which the 10 ms ticks of {@code frontend_start_cpu_ms_per_worker} cannot.
     * Every thread lives through the measurement (a start runs on the caller's thread; the shared
     * stderr copiers and process reapers stay); the cost of the reading itself is subtracted. -1 when
     * {@code k} is 0.
     */
    static double oneByOne(int k, List<Idle> started) {
        if (k <= 0) {
            return -1;
        }
        java.util.Map<String, Long> byName0 = Boolean.getBoolean("jvalkka.bench.trace") ? Cpu.liveThreadsByName() : null;
        java.lang.management.ThreadMXBean me = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = Cpu.liveThreadsNanos();
        long c1 = Cpu.liveThreadsNanos(); // c1 - c0: what one reading costs, inside the window once
        long m0 = me.getCurrentThreadCpuTime();
        for (int i = 0; i < k; i++) {
            Idle p = new Idle("one-by-one-" + i);
            started.add(p);
            p.start();
        }
        long m1 = me.getCurrentThreadCpuTime();
        long c2 = Cpu.liveThreadsNanos();
        // the starting thread's own CPU: the start path itself, without the JIT's compiles (a backlog of the
        // hundred's under load) and the other threads'
        System.out.printf("frontend_start_thread_cpu_us_per_start %.0f us%n", (m1 - m0) / 1e3 / k);
        if (byName0 != null) {
            java.util.Map<String, Long> byName1 = Cpu.liveThreadsByName();
            for (var e : byName1.entrySet()) {
                long d = e.getValue() - byName0.getOrDefault(e.getKey(), 0L);
                if (d > 0) {
                    System.out.printf("trace_one_by_one_us_per_start %.0f %s%n", d / 1e3 / k, e.getKey());
                }
            }
        }
        for (Idle p : started) { // each answers: started and running (outside the window)
            p.sendMessageToBack(new MessageObject("ping", "i", 1));
            p.getPipe().recv();
        }
        return ((c2 - c1) - (c1 - c0)) / 1e3 / k;
    }

    /**
     * {@code restart_ms}: the median time from a killed worker's "exited" event on its pipe to
     * its Restarter replacement's first answer, the replacement taking the warm JVM that the
     * previous one left (the worker's options ask for a pool of one; the wait for the pool to
     * refill between kills is not timed).
     */
    static void restart(int kills) {
        if (kills <= 0) {
            return; // -Djvalkka.bench.restarts=0: the start figures alone
        }
        java.util.function.Function<String, Idle> make = name -> {
            Idle p = new Idle(name);
            p.setOptions(jvalkka.multiprocess.BackendOptions.defaults().withWarmPool(1));
            return p;
        };
        jvalkka.multiprocess.Restarter<Idle> restarter = new jvalkka.multiprocess.Restarter<>(make, kills + 1,
                java.time.Duration.ofHours(1));
        Idle w = make.apply("restarted");
        w.start(); // cold: it tells the pool what to keep warm
        List<Long> ms = new ArrayList<>();
        try {
            for (int i = 0; i < kills; i++) {
                MessageProcessBench.awaitIdleWarm();
                ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly();
                MessageObject death = w.getPipe().recv();
                long t0 = System.nanoTime(); // the death is reported
                Idle fresh = restarter.restart(w, death);
                fresh.sendMessageToBack(new MessageObject("ping", "i", i));
                fresh.getPipe().recv();
                ms.add((System.nanoTime() - t0) / 1000);
                w = fresh;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            w.stop();
            jvalkka.multiprocess.WarmPool.stopAll();
        }
        ms.sort(null);
        System.out.printf("restart_ms %.1f ms%n", ms.get(ms.size() / 2) / 1000.0);
    }

    /** CPU times of this JVM, its threads and the machine, from /proc and the OS bean. */
    static final class Cpu {
        private Cpu() {
        }

        /** User plus system CPU of this JVM so far, in ns (its ended threads included). */
        static long selfNanos() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
        }

        /** CPU of this JVM's live threads so far, in ns ({@code /proc/self/task/<tid>/schedstat}, first field). */
        static long liveThreadsNanos() {
            long sum = 0;
            java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
            if (tasks == null) {
                return -1;
            }
            byte[] buf = new byte[128];
            for (java.io.File t : tasks) {
                try (java.io.FileInputStream in = new java.io.FileInputStream(new java.io.File(t, "schedstat"))) {
                    int n = in.read(buf);
                    long v = 0;
                    for (int i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
                        v = v * 10 + (buf[i] - '0');
                    }
                    sum += v;
                } catch (java.io.IOException e) {
                    // ended meanwhile
                }
            }
            return sum;
        }

        /** CPU of this JVM's live threads so far, in ns, by thread name (digits folded). */
        static java.util.Map<String, Long> liveThreadsByName() {
            java.util.Map<String, Long> by = new java.util.TreeMap<>();
            java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
            for (java.io.File t : tasks == null ? new java.io.File[0] : tasks) {
                try {
                    String name = java.nio.file.Files.readString(t.toPath().resolve("comm")).strip()
                            .replaceAll("[0-9]+", "N").replace(' ', '_');
                    String ss = java.nio.file.Files.readString(t.toPath().resolve("schedstat"));
                    by.merge(name, Long.parseLong(ss.substring(0, ss.indexOf(' '))), Long::sum);
                } catch (java.io.IOException | RuntimeException e) {
                    // ended meanwhile
                }
            }
            return by;
        }

        /** Busy (not idle, not iowait) ticks of all the machine's cores so far, from /proc/stat (100 Hz). */
        static long machineTicks() {
            try {
                String line = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0);
                String[] f = line.trim().split("\\s+");
                long busy = 0;
                for (int i = 1; i < f.length && i <= 8; i++) {
                    if (i != 4 && i != 5) {
                        busy += Long.parseLong(f[i]);
                    }
                }
                return busy;
            } catch (Exception e) {
                return -1;
            }
        }

        /** CPU ticks of this JVM's live threads, by tid, with their names. */
        record Threads(java.util.Map<String, Long> ticks, java.util.Map<String, String> names) {
        }

        static Threads threads() {
            java.util.Map<String, Long> ticks = new java.util.HashMap<>();
            java.util.Map<String, String> names = new java.util.HashMap<>();
            try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(
                    java.nio.file.Path.of("/proc/self/task"))) {
                for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                    try {
                        String stat = java.nio.file.Files.readString(t.resolve("stat"));
                        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        String tid = t.getFileName().toString();
                        ticks.put(tid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
                        names.put(tid, name.replaceAll("[0-9]+", "N"));
                    } catch (Exception e) {
                        // ended meanwhile
                    }
                }
            } catch (java.io.IOException e) {
                // no /proc
            }
            return new Threads(ticks, names);
        }

        /** Prints the CPU the threads used between two looks, by name (digits folded), and the ended ones'. */
        static void printDelta(Threads a, Threads b, long processNanos) {
            java.util.Map<String, Long> byName = new java.util.TreeMap<>();
            long sum = 0;
            for (var e : b.ticks().entrySet()) {
                long d = e.getValue() - a.ticks().getOrDefault(e.getKey(), 0L);
                byName.merge(b.names().get(e.getKey()), d, Long::sum);
                sum += d;
            }
            for (var e : byName.entrySet()) {
                if (e.getValue() > 0) {
                    System.out.printf("trace_thread_cpu_ms %d %s%n", e.getValue() * 10, e.getKey().replace(' ', '_'));
                }
            }
            System.out.printf("trace_thread_cpu_ms %d ended-or-rounding%n", processNanos / 1_000_000 - sum * 10);
        }
    }

    /**
     * The CPU time of a process's live threads so far, in µs: the sum of their
     * {@code /proc/PID/task/TID/schedstat} run times (the scheduler's nanosecond
     * clock, where {@code /proc/PID/stat} counts 10 ms ticks). A thread that has
     * ended is not counted; a booted backend's JVM ends none of its own (compare
     * {@link #cpuMs}, which counts them, over many workers: it reads about 5 ms
     * less, its ticks being truncated). -1 if it cannot be read.
     */
    static long cpuMicros(long pid) {
        long ns = 0;
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(
                java.nio.file.Path.of("/proc/" + pid + "/task"))) {
            for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    String s = java.nio.file.Files.readString(t.resolve("schedstat"));
                    ns += Long.parseLong(s.substring(0, s.indexOf(' ')));
                } catch (java.io.IOException e) {
                    // ended meanwhile
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return ns / 1000;
    }

    /** User plus system CPU time of a whole process so far, from /proc (10 ms resolution). */
    static double cpuMs(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0; // utime, stime in 100 Hz ticks
        } catch (Exception e) {
            return -1;
        }
    }
}
