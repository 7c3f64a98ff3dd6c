package jvalkka.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.Select;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;

/**
 * {@code scripts/bench messageprocess}: the core's costs, one {@code name value unit} line each.
 * Counts: RTT and SyncIndex 20,000 round trips after 5,000 of warm-up; one-way 200,000
 * messages, the last of three bursts (the first two warm up); synchronous proxy calls/s
 * ({@code proxy_calls_per_s}: 20,000 calls one after the other, the second of two rounds); start time the median of 7
 * starts (each to its first reply); RSS of the idle RTT backend after its round trips; warm
 * start time over 50 starts that each take a warm JVM ({@code -Djvalkka.bench.warmStarts=N}),
 * and an idle warm JVM's RSS and CPU ({@code scripts/bench messageprocess warm} alone).
 */
public final class MessageProcessBench {
    static class Echo extends MessageProcess {
        private long count;
        final EventGroup eg = new EventGroup(4);

        Echo(String name) {
            super(name);
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__count(int i) {
            count++;
        }

        void c__work(int sync_index) {
            eg.set(sync_index);
        }

        void c__ack() {
            send_out__(new MessageObject("ack", "count", count));
        }

        int c__add(int a, int b) {
            return a + b;
        }
    }

    /** What the proxy figure calls. */
    public interface Api {
        int add(int a, int b);
    }

    public static void main(String[] args) throws Exception {
        args = BenchJava.apply(args); // --java PATH: the backends' java
        String only = args.length > 0 ? args[0] : "all";
        if (!BackendOptions.defaults().prepareArchive()) {
            System.err.println("note: backends start without a class-data-sharing archive");
        }
        if (only.equals("all") || only.equals("rtt")) {
            rtt();
        }
        if (only.equals("all") || only.equals("oneway")) {
            oneway();
        }
        if (only.equals("all") || only.equals("proxy")) {
            proxy();
        }
        if (only.equals("all") || only.equals("syncindex")) {
            syncIndex();
        }
        if (only.equals("all") || only.equals("start")) {
            start();
        }
        if (only.equals("all") || only.equals("warm")) {
            warmStart(Integer.getInteger("jvalkka.bench.warmStarts", 50));
        }
    }

    static void rtt() {
        Echo p = new Echo("rtt");
        p.start();
        MessagePipe pipe = p.getPipe();
        List<Object> reads = List.of(pipe);
        long[] t = new long[20_000];
        for (int round = 0; round < 2; round++) {
            int n = round == 0 ? 5_000 : t.length;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                p.sendMessageToBack(new MessageObject("ping", "i", i));
                Select.safeSelect(reads, List.of(), List.of(), 5.0);
                MessageObject m = pipe.recv();
                long t1 = System.nanoTime();
                if (round == 1) {
                    t[i] = t1 - t0;
                }
                if (m == null || !m.get("i").equals(i)) {
                    throw new IllegalStateException("wrong reply " + m);
                }
            }
        }
        Arrays.sort(t);
        System.out.printf("rtt_p50_us %.1f us%n", t[t.length / 2] / 1e3);
        System.out.printf("rtt_p99_us %.1f us%n", t[(int) (t.length * 0.99)] / 1e3);
        System.out.printf("backend_rss_mb %.1f MB%n", rssMb(p.pid()));
        p.stop();
    }

    /** Synchronous proxy calls per second, one caller, one backend, one call after the other (the last of two rounds). */
    static void proxy() {
        Echo p = new Echo("proxy");
        p.start();
        try {
            Api api = p.proxy(Api.class);
            int calls = 20_000;
            double rate = 0;
            for (int round = 0; round < 2; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    if (api.add(i, 1) != i + 1) {
                        throw new IllegalStateException("wrong sum");
                    }
                }
                rate = calls / ((System.nanoTime() - t0) / 1e9);
            }
            System.out.printf("proxy_calls_per_s %.0f calls/s%n", rate);
        } finally {
            p.stop();
        }
    }

    static void oneway() {
        Echo p = new Echo("oneway");
        p.start();
        MessagePipe pipe = p.getPipe();
        int n = 200_000;
        double rate = 0;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                p.sendMessageToBack(new MessageObject("count", "i", i));
            }
            p.sendMessageToBack(new MessageObject("ack"));
            MessageObject ack = pipe.recv();
            long t1 = System.nanoTime();
            if (((Number) ack.get("count")).longValue() != (long) n * (round + 1)) {
                throw new IllegalStateException("lost messages: " + ack);
            }
            rate = n / ((t1 - t0) / 1e9);
        }
        System.out.printf("oneway_msgs_per_s %.0f msgs/s%n", rate);
        p.stop();
    }

    /** A SyncIndex round trip as a user makes it: reserve, send the index, the backend sets it, wake. */
    static void syncIndex() {
        Echo p = new Echo("syncindex");
        p.start();
        long[] t = new long[20_000];
        for (int round = 0; round < 2; round++) {
            int n = round == 0 ? 5_000 : t.length;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                try (SyncIndex s = new SyncIndex(p.eg)) {
                    p.sendMessageToBack(new MessageObject("work", "sync_index", s.index()));
                }
                if (round == 1) {
                    t[i] = System.nanoTime() - t0;
                }
            }
        }
        Arrays.sort(t);
        System.out.printf("syncindex_rtt_p50_us %.1f us%n", t[t.length / 2] / 1e3);
        System.out.printf("syncindex_rtt_p99_us %.1f us%n", t[(int) (t.length * 0.99)] / 1e3);
        p.stop();
        p.eg.close();
    }

    static void start() {
        List<Long> ms = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Echo p = new Echo("start-" + i);
            long t0 = System.nanoTime();
            p.start();
            p.sendMessageToBack(new MessageObject("ping", "i", 1));
            p.getPipe().recv();
            ms.add((System.nanoTime() - t0) / 1_000_000);
            p.stop();
        }
        ms.sort(null);
        System.out.printf("start_ms %d ms%n", ms.get(3));
    }

    /**
     * {@code warm_start_ms_p50/p99}: start() with a warm pool of one, each start taking the
     * warm JVM the pool made ready (the pool refills between starts, which is not timed), to
     * the first reply; {@code warm_idle_rss_mb}: the idle warm JVM's VmRSS;
     * {@code warm_idle_cpu_pct}: its CPU use over one second of waiting; {@code warm_ready_cpu_ms}:
     * the CPU a warm JVM spent to boot and warm up, until it waits idle (what each refill costs).
     */
    static void warmStart(int starts) throws InterruptedException {
        BackendOptions pool = BackendOptions.defaults().withWarmPool(1);
        Echo first = new Echo("warm-first");
        first.setOptions(pool);
        first.start(); // cold: it tells the pool what to keep warm
        first.stop();
        long[] t = new long[starts];
        long[] cpu = new long[starts];
        long[] ready = new long[starts];
        for (int i = 0; i < starts; i++) {
            long warmPid = awaitIdleWarm();
            ready[i] = cpuTicks(warmPid); // all it cost to boot and warm up, before it is taken
            Echo p = new Echo("warm-" + i);
            p.setOptions(pool);
            long c0 = cpuTicks(warmPid);
            long t0 = System.nanoTime();
            p.start();
            p.sendMessageToBack(new MessageObject("ping", "i", 1));
            p.getPipe().recv();
            t[i] = System.nanoTime() - t0;
            cpu[i] = cpuTicks(warmPid) - c0;
            TAKEN.add(p.pid());
            if (p.pid() != warmPid) {
                throw new IllegalStateException("start " + i + " did not take the warm JVM " + warmPid);
            }
            p.stop();
        }
        Arrays.sort(t);
        System.out.printf("warm_start_ms_p50 %.1f ms%n", t[t.length / 2] / 1e6);
        System.out.printf("warm_start_ms_p99 %.1f ms%n", t[Math.min(t.length - 1, (int) (t.length * 0.99))] / 1e6);
        Arrays.sort(cpu);
        System.out.printf("warm_start_cpu_ms %d ms%n", cpu[cpu.length / 2] * 10); // the taken JVM's CPU to its reply
        Arrays.sort(ready);
        System.out.printf("warm_ready_cpu_ms %d ms%n", ready[ready.length / 2] * 10); // a warm JVM's CPU until idle
        long idle = awaitIdleWarm();
        System.out.printf("warm_idle_rss_mb %.1f MB%n", rssMb(idle));
        long cpu0 = cpuTicks(idle);
        long w0 = System.nanoTime();
        Thread.sleep(1000);
        long cpu1 = cpuTicks(idle);
        double pct = (cpu1 - cpu0) * 10.0 / ((System.nanoTime() - w0) / 1e9); // 100 ticks/s: 1 tick = 1% of a second
        System.out.printf("warm_idle_cpu_pct %.1f %%%n", pct);
        jvalkka.multiprocess.WarmPool.stopAll();
    }

    private static final java.util.Set<Long> TAKEN = new java.util.HashSet<>();

    /** Waits (up to a minute) until a warm JVM is idle; returns its pid. */
    static long awaitIdleWarm() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (jvalkka.multiprocess.WarmPool.idle() < 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no warm JVM ready within 60 s");
            }
            Thread.sleep(1);
        }
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(h -> cmdline(h.pid()).contains("\0-Djvalkka.warm=true\0"))
                .mapToLong(ProcessHandle::pid).filter(pid -> !TAKEN.contains(pid)).findFirst().orElseThrow();
    }

    /** The command line of {@code pid}, arguments separated by NUL, or "". */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "";
        }
    }

    /** utime + stime of {@code pid} in clock ticks (1/100 s), or -1. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return -1;
        }
    }

    static double rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
