package jvalkka.multiprocess;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A probe, not a test: where a remote round trip's time and CPU go, without a cluster.
 * {@code RemoteRttProbe tls|plain [N]} starts a backend placed on "another host" that is
 * this one ({@link LoopbackLauncher}: TCP on 127.0.0.1, mutual TLS with {@code tls}),
 * then N pings ({@code send}, {@code c__ping}, {@code send_out__}, {@code safeSelect},
 * {@code recv}) and N synchronous proxy calls after as many to warm up, and prints the
 * round trip's p50/p99, the calls/s, and the CPU time (user + system) per round trip of
 * this JVM and of the backend's. Extra backend JVM options: {@code -Dprobe.backendArgs=...}
 * (space-separated).
 */
public final class RemoteRttProbe {
    private RemoteRttProbe() {
    }

    /** What the proxy calls. */
    public interface Api {
        int add(int a, int b);
    }

    static class Echo extends MessageProcess {
        Echo() {
            super("probe");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        int c__add(int a, int b) {
            return a + b;
        }
    }

    public static void main(String[] args) throws Exception {
        boolean tls = args.length == 0 || args[0].equals("tls");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        String extra = System.getProperty("probe.backendArgs", "");
        Path keys = tls ? jvalkka.cluster.TestKeys.of("probe") : null;
        try (LoopbackLauncher launcher = LoopbackLauncher.install(keys)) {
            Echo p = new Echo();
            BackendOptions o = BackendOptions.defaults().withPlacement(RemoteBackendTest.NODE)
                    .withStartTimeout(java.time.Duration.ofSeconds(60));
            if (!extra.isBlank()) {
                o = o.withExtraJvmArgs(extra.trim().split(" +"));
            }
            p.setOptions(o);
            p.start();
            long backendPid = launcher.started.get(0).pid();
            try {
                for (int round = 0; round < 2; round++) {
                    long[] t = new long[n];
                    long c0 = ownCpu();
                    long b0 = cpuOf(backendPid);
                    long[] us0 = userSys(ProcessHandle.current().pid());
                    long[] bus0 = userSys(backendPid);
                    java.util.Map<String, Long> th0 = threads(ProcessHandle.current().pid());
                    java.util.Map<String, Long> bth0 = threads(backendPid);
                    long w0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        long t0 = System.nanoTime();
                        p.sendMessageToBack(new MessageObject("ping", "i", i));
                        if (Select.safeSelect(List.of(p.getPipe()), List.of(), List.of(), 10.0).reads().isEmpty()) {
                            throw new IllegalStateException("no reply within 10 s");
                        }
                        MessageObject m = p.getPipe().recv();
                        t[i] = System.nanoTime() - t0;
                        if (!m.get("i").equals(i)) {
                            throw new IllegalStateException("wrong reply " + m);
                        }
                    }
                    long wall = System.nanoTime() - w0;
                    long own = ownCpu() - c0;
                    long back = cpuOf(backendPid) - b0;
                    Arrays.sort(t);
                    if (round == 1) {
                        System.out.printf("%s rtt p50 %.1f us p99 %.1f us; CPU per round trip: frontend JVM %.1f us,"
                                + " backend JVM %.1f us (wall %.1f us)%n", tls ? "tls" : "plain", t[n / 2] / 1e3,
                                t[(int) (n * 0.99)] / 1e3, own / 1e3 / n, back / 1e3 / n, wall / 1e3 / n);
                        long[] us1 = userSys(ProcessHandle.current().pid());
                        long[] bus1 = userSys(backendPid);
                        System.out.printf("  user/sys per round trip: frontend %.1f/%.1f us, backend %.1f/%.1f us%n",
                                (us1[0] - us0[0]) / 1e3 / n, (us1[1] - us0[1]) / 1e3 / n,
                                (bus1[0] - bus0[0]) / 1e3 / n, (bus1[1] - bus0[1]) / 1e3 / n);
                        printThreads("frontend", th0, threads(ProcessHandle.current().pid()), n);
                        printThreads("backend", bth0, threads(backendPid), n);
                    }
                }
                Api api = p.proxy(Api.class);
                for (int round = 0; round < 2; round++) {
                    long c0 = ownCpu();
                    long b0 = cpuOf(backendPid);
                    long w0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        if (api.add(i, 1) != i + 1) {
                            throw new IllegalStateException("wrong sum");
                        }
                    }
                    long wall = System.nanoTime() - w0;
                    if (round == 1) {
                        System.out.printf("%s proxy %.0f calls/s; CPU per call: frontend JVM %.1f us, backend JVM"
                                + " %.1f us%n", tls ? "tls" : "plain", n / (wall / 1e9),
                                (ownCpu() - c0) / 1e3 / n, (cpuOf(backendPid) - b0) / 1e3 / n);
                    }
                }
            } finally {
                p.stop();
            }
        }
    }

    private static long ownCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** CPU ns per thread name of process {@code pid}. */
    private static java.util.Map<String, Long> threads(long pid) throws java.io.IOException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String st = Files.readString(t.resolve("stat"));
                    String comm = st.substring(st.indexOf('(') + 1, st.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                    out.merge(comm, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L, Long::sum);
                } catch (java.io.IOException | RuntimeException e) {
                    // ended meanwhile
                }
            }
        }
        return out;
    }

    private static void printThreads(String who, java.util.Map<String, Long> a, java.util.Map<String, Long> b, int n) {
        StringBuilder sb = new StringBuilder("  " + who + " threads (us per round trip):");
        for (var e : b.entrySet()) {
            long d = e.getValue() - a.getOrDefault(e.getKey(), 0L);
            if (d > 0) {
                sb.append(String.format(" %s %.1f", e.getKey(), d / 1e3 / n));
            }
        }
        System.out.println(sb);
    }

    /** User and system CPU of process {@code pid} in ns (100 Hz ticks). */
    private static long[] userSys(long pid) throws java.io.IOException {
        String st = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]) * 10_000_000L, Long.parseLong(f[12]) * 10_000_000L};
    }

    /** User + system CPU of process {@code pid} in ns (100 Hz ticks). */
    private static long cpuOf(long pid) throws java.io.IOException {
        String st = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }
}
