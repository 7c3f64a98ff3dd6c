package jvalkka.multiprocess;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import jvalkka.cluster.ClusterDriver;
import jvalkka.cluster.ClusterSettings;
import jvalkka.cluster.NodeAgent;
import jvalkka.cluster.TestKeys;
import jvalkka.testing.NetHosts;

/**
 * A measuring tool (not a bench figure): where a synchronous proxy call's time goes, against a plain
 * round trip of the same backend. Runs blocks of {@value #BLOCK} pings ({@code sendMessageToBack},
 * {@code c__ping}, {@code send_out__}, {@code recv}) and {@value #BLOCK} proxy calls ({@code add(a, b)})
 * interleaved, so that both see the same state of a shared machine, and prints, for each, the mean,
 * p50/p90/p99/p99.9, max and a coarse histogram, plus how the calls' replies were read (by the caller
 * itself, in its spin, or by the router).
 *
 * <pre>
 * java -cp ... jvalkka.multiprocess.ProxyCallProfile [local|remote|remote-plain] [timed]
 * </pre>
 * {@code remote}: the backend on node2 of {@link NetHosts} (network namespaces as root), over mutual TLS;
 * {@code remote-plain}: the same over plain TCP. {@code timed}: calls timed (default 20,000, after as many
 * to warm up).
 */
public final class ProxyCallProfile {
    static final int BLOCK = 500;

    private ProxyCallProfile() {
    }

    /** What the calls call. */
    public interface Api {
        int add(int a, int b);
    }

    static class Echo extends MessageProcess {
        Echo(String name) {
            super(name);
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        int c__add(int a, int b) {
            return a + b;
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "local";
        int timed = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        BackendReplies.countForTests();
        if (mode.equals("local")) {
            Echo p = new Echo("profile");
            p.start();
            try {
                profile(p, timed);
            } finally {
                p.stop();
            }
            return;
        }
        boolean plain = mode.equals("remote-plain");
        String why = NetHosts.unavailableReason();
        if (why != null) {
            System.err.println("profile: " + why);
            System.exit(2);
        }
        try (NetHosts hosts = NetHosts.create(2)) {
            System.err.println(hosts.describe());
            int port = ClusterSettings.DEFAULT_PORT + 7;
            String seed = hosts.address(2) + ":" + port;
            Path keys = plain ? null : TestKeys.of("cluster-a");
            List<String> agentArgs = new java.util.ArrayList<>(List.of("--bind", seed, "--seed", seed, "--name",
                    "node2", "--cores", "2", "--heartbeat", "200ms", "--failure-pause", "1000ms", "--down-after", "10s"));
            if (plain) {
                agentArgs.add("--insecure-plain-tcp");
            } else {
                agentArgs.add("--keys");
                agentArgs.add(keys.toString());
            }
            NetHosts.HostProcess agent = hosts.startJava(2, NodeAgent.class.getName(),
                    List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m"), agentArgs.toArray(new String[0]));
            ClusterSettings s = ClusterSettings.bind(hosts.driverAddress(), 0).withSeeds(List.of(seed))
                    .withFailureDetector(Duration.ofMillis(200), Duration.ofMillis(1000)).withDownAfter(Duration.ofSeconds(10));
            s = plain ? s.withPlainTcp() : s.withKeys(keys);
            try (ClusterDriver driver = ClusterDriver.join(s)) {
                driver.awaitAgents(1, Duration.ofSeconds(90));
                Echo p = new Echo("profile");
                p.setOptions(BackendOptions.defaults().withPlacement(Placement.node("node2")));
                p.start();
                try {
                    profile(p, timed);
                } finally {
                    p.stop();
                }
            } finally {
                agent.kill();
            }
        }
    }

    static void profile(Echo p, int timed) {
        Api api = p.proxy(Api.class);
        MessagePipe pipe = p.getPipe();
        List<Object> reads = List.of(pipe);
        long[] rtt = new long[timed];
        long[] call = new long[timed];
        int seq = 0;
        long readBefore = 0;
        long spunBefore = 0;
        long wakesBefore = 0;
        long missesBefore = 0;
        long turnsBefore = 0;
        long backend = p.pid();
        long self = ProcessHandle.current().pid();
        java.util.Map<String, Long> threads0 = null;
        long[] rttCpu = new long[4]; // frontend ns, backend ns, frontend switches, backend switches
        long[] callCpu = new long[4];
        for (int done = -timed; done < timed; done += BLOCK) {
            int n = Math.min(BLOCK, timed - done);
            long[] a = usage(self, backend);
            if (done == 0) {
                threads0 = threads(self, backend);
                readBefore = BackendReplies.callerReadReplies();
                spunBefore = BackendReplies.callerSpunReplies();
                wakesBefore = BackendReplies.callWakes();
                missesBefore = BackendReplies.callerLockMisses();
                turnsBefore = ReplyRouter.turns();
            }
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                p.sendMessageToBack(new MessageObject("ping", "i", seq + i));
                Select.safeSelect(reads, List.of(), List.of(), 10.0);
                MessageObject m = pipe.recv();
                long d = System.nanoTime() - t0;
                if (done + i >= 0) {
                    rtt[done + i] = d;
                }
                if (m == null || !m.get("i").equals(seq + i)) {
                    throw new IllegalStateException("wrong reply " + m);
                }
            }
            long[] b = usage(self, backend);
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                int r = api.add(seq + i, 1);
                long d = System.nanoTime() - t0;
                if (done + i >= 0) {
                    call[done + i] = d;
                }
                if (r != seq + i + 1) {
                    throw new IllegalStateException("wrong sum");
                }
            }
            long[] c = usage(self, backend);
            if (done >= 0) {
                for (int k = 0; k < 4; k++) {
                    rttCpu[k] += b[k] - a[k];
                    callCpu[k] += c[k] - b[k];
                }
            }
            seq += n;
        }
        java.util.Map<String, Long> threads1 = threads(self, backend);
        java.util.Map<String, Long> before = threads0;
        StringBuilder tb = new StringBuilder("CPU ms by thread over the timed blocks:");
        threads1.entrySet().stream().map(e -> java.util.Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 5_000_000).sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> tb.append(String.format(" %s=%.0f", e.getKey(), e.getValue() / 1e6)));
        System.out.println(tb);
        System.out.printf("per ping: frontend CPU %.1f us, backend CPU %.1f us, frontend switches %.2f, backend %.2f%n",
                rttCpu[0] / 1e3 / timed, rttCpu[1] / 1e3 / timed, (double) rttCpu[2] / timed, (double) rttCpu[3] / timed);
        System.out.printf("per call: frontend CPU %.1f us, backend CPU %.1f us, frontend switches %.2f, backend %.2f%n",
                callCpu[0] / 1e3 / timed, callCpu[1] / 1e3 / timed, (double) callCpu[2] / timed, (double) callCpu[3] / timed);
        System.out.println("calls read by the caller itself: " + (BackendReplies.callerReadReplies() - readBefore)
                + " of " + timed + ", in the pipe's spin: " + (BackendReplies.callerSpunReplies() - spunBefore)
                + ", router wakes by calls: " + (BackendReplies.callWakes() - wakesBefore)
                + ", callers that found the pipe taken: " + (BackendReplies.callerLockMisses() - missesBefore)
                + ", router turns: " + (ReplyRouter.turns() - turnsBefore));
        show("rtt ", rtt);
        show("call", call);
    }

    static void show(String name, long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        double mean = Arrays.stream(s).average().orElse(0) / 1e3;
        System.out.printf("%s mean %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f us  (rate of the mean %.0f/s)%n",
                name, mean, q(s, 0.5), q(s, 0.9), q(s, 0.99), q(s, 0.999), s[s.length - 1] / 1e3, 1e6 / mean);
        long[] edges = {10, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1200, 1500, 2000, 5000, 10000,
            Long.MAX_VALUE};
        StringBuilder b = new StringBuilder("   histogram (us, count, share of total time):");
        long total = Arrays.stream(s).sum();
        int i = 0;
        long lo = 0;
        for (long e : edges) {
            int c = 0;
            long sum = 0;
            while (i < s.length && s[i] < e * 1000) {
                c++;
                sum += s[i];
                i++;
            }
            if (c > 0) {
                b.append(String.format(" [%d-%s) %d %.0f%%", lo, e == Long.MAX_VALUE ? "" : Long.toString(e), c,
                        100.0 * sum / total));
            }
            lo = e;
        }
        System.out.println(b);
    }

    /** CPU ns and context switches (voluntary + involuntary) of every thread of the two processes. */
    static long[] usage(long self, long backend) {
        long[] u = new long[4];
        add(self, u, 0);
        add(backend, u, 1);
        return u;
    }

    /** CPU ns of each thread of the two processes, by "f:"/"b:" + name + tid. */
    static java.util.Map<String, Long> threads(long self, long backend) {
        java.util.Map<String, Long> m = new java.util.HashMap<>();
        for (long pid : new long[] {self, backend}) {
            java.io.File[] tasks = new java.io.File("/proc/" + pid + "/task").listFiles();
            if (tasks == null) {
                continue;
            }
            for (java.io.File t : tasks) {
                try {
                    String ss = java.nio.file.Files.readString(t.toPath().resolve("schedstat"));
                    String name = java.nio.file.Files.readString(t.toPath().resolve("comm")).trim();
                    m.put((pid == self ? "f:" : "b:") + name + "/" + t.getName(), Long.parseLong(ss.substring(0, ss.indexOf(' '))));
                } catch (java.io.IOException | RuntimeException e) {
                    // ended
                }
            }
        }
        return m;
    }

    private static void add(long pid, long[] u, int at) {
        java.io.File[] tasks = new java.io.File("/proc/" + pid + "/task").listFiles();
        if (tasks == null) {
            return;
        }
        for (java.io.File t : tasks) {
            try {
                String ss = java.nio.file.Files.readString(t.toPath().resolve("schedstat"));
                u[at] += Long.parseLong(ss.substring(0, ss.indexOf(' ')));
                for (String l : java.nio.file.Files.readAllLines(t.toPath().resolve("status"))) {
                    if (l.startsWith("voluntary_ctxt_switches") || l.startsWith("nonvoluntary_ctxt_switches")) {
                        u[at + 2] += Long.parseLong(l.substring(l.indexOf(':') + 1).trim());
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // the thread ended meanwhile
            }
        }
    }

    private static double q(long[] s, double f) {
        return s[Math.min(s.length - 1, (int) (s.length * f))] / 1e3;
    }
}
