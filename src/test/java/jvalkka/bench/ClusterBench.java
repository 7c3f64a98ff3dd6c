package jvalkka.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import jvalkka.cluster.AgentInfo;
import jvalkka.cluster.ClusterDriver;
import jvalkka.cluster.ClusterSettings;
import jvalkka.cluster.NodeAgent;
import jvalkka.cluster.TestKeys;
import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.Placement;
import jvalkka.multiprocess.Select;
import jvalkka.pool.ProcessQueue;
import jvalkka.testing.NetHosts;

/**
 * {@code scripts/bench cluster}: on test hosts (network namespaces as root, else
 * 127.x addresses; the mode is printed on stderr), the plain TCP round trip
 * that remote messages are measured against (the floor: 8 bytes each way from this
 * JVM to an echo on node2's host, blocking sockets at both ends, written the ordinary
 * way; and apart from it, a spinning floor whose ends read non-blocking sockets in a
 * loop for up to {@value #FLOOR_SPIN_MICROS} µs before they wait in a selector); a
 * {@code MessageProcess} in this JVM (the driver's namespace) with its backend on
 * node2 (another namespace): round trip p50/p99 (send, {@code c__ping},
 * {@code send_out__}, receive). The three kinds of round trip are measured
 * interleaved in blocks of {@value #RTT_BLOCK} (a block of each kind in turn, the
 * order reversed every other cycle; {@value #RTT_WARMUP} of each to warm up, then
 * {@value #RTT_TIMED} of each timed), so that all see the same state of a shared
 * machine; the ratio ({@code remote_rtt_floor_ratio}, the target's ≤ 1.5) is the
 * median over the cycles of each cycle's remote median over its floor median, printed
 * with the 10th and 90th percentiles of those per-cycle ratios ({@code _p10},
 * {@code _p90}: the spread), and each kind's CPU per round trip ({@code _cpu_us}).
 * Meanwhile the measuring thread runs on core 0 and the peers' processes on core 1
 * ({@link Pinning}; {@code -Dpin=none}: unpinned; {@code -Dpin.rates=true}: the one-way and proxy figures too),
 * since on a small VM whether two ends share a core changes a round trip several-fold;
 * one-way messages/s, synchronous proxy calls/s and
 * the start to the first reply; a {@code ProcessQueue} with sleep-bound items (10
 * ms) and two workers per node on three nodes against one; SGN frames/s through a
 * process-mode transform placed on node2 ({@code sgn_remote_frames_per_s}); and how long the
 * driver takes to see a node agent killed with kill -9 (mutual TLS, 200 ms
 * heartbeats, 1 s acceptable pause; {@code -Dpause=..., -Dheartbeat=...} change
 * them). All of it over mutual TLS (the cluster's and the data path's); then the
 * remote figures once more in a plain TCP cluster ({@code --insecure-plain-tcp}),
 * as {@code remote_rtt_plain_p50_us}, {@code remote_oneway_plain_msgs_per_s} and so on, the
 * floor measured again interleaved with them ({@code tcp_floor_rtt_plain_p50_us},
 * {@code remote_rtt_plain_floor_ratio}). {@code scripts/bench cluster small} runs small counts (a check that it
 * runs, not figures); {@code -Dparts=floor,remote,plain} (any of floor, remote,
 * pq, kill, plain) runs only those parts; {@code -Djvalkka.remoteSpinTls=...} and
 * {@code -Djvalkka.remoteSpinMicros=...} are passed on to the remote backends too (the same
 * waits at both ends); the one-way rounds' rates, CPU and run-queue waits are printed on stderr, and the
 * CPU of both JVMs per one-way message and per proxy call on stdout; {@code -Dpq.threads=true} adds, on stderr, the pool's CPU
 * time per process role and thread kind over the timed maps.
 */
public final class ClusterBench {
    private ClusterBench() {
    }

    /** What the remote figures run. */
    public interface Api {
        int add(int a, int b);
    }

    static class Echo extends MessageProcess {
        private long count;

        Echo(String name) {
            super(name);
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__count(int i) {
            count++;
        }

        void c__ack() {
            send_out__(new MessageObject("ack", "count", count));
        }

        int c__add(int a, int b) {
            return a + b;
        }
    }

    private static boolean small;
    /** The parts to run ({@code -Dparts=floor,remote,pq,sgn,kill,plain}); all by default. */
    private static final List<String> PARTS = List.of(System.getProperty("parts", "floor,remote,pq,sgn,kill,plain")
            .split(","));
    /** Round trips before the timed ones, for the floor and the remote round trip alike. */
    static final int RTT_WARMUP = 10_000;
    /** Round trips timed, for the floor and the remote round trip alike. */
    static final int RTT_TIMED = 30_000;
    /** Round trips per block when the floor and the remote round trip are measured interleaved (divides the counts). */
    static final int RTT_BLOCK = 100;
    private static final int FLOOR_PORT = 7100;

    public static void main(String[] args) throws Exception {
        String heartbeat = System.getProperty("heartbeat", "200ms");
        String pause = System.getProperty("pause", "1000ms");
        String why = NetHosts.unavailableReason();
        if (why != null) {
            System.err.println("cluster bench: " + why);
            System.exit(2);
        }
        small = args.length > 0 && args[0].equals("small");
        try (NetHosts hosts = NetHosts.create(3)) {
            System.err.println(hosts.describe());
            cluster(hosts, heartbeat, pause);
        }
    }

    /**
     * The floor: round trips of 8 bytes between this JVM (where the frontends run) and
     * {@link FloorEcho} on node2's host (where the remote backend runs), on two connections:
     * {@link #roundTrip}, the floor itself, a plain TCP ping-pong written the ordinary way
     * (blocking sockets at both ends: write, then a read that blocks until the answer is
     * there); and {@link #spinRoundTrip}, printed apart, whose ends read non-blocking sockets
     * in a loop for up to {@value #FLOOR_SPIN_MICROS} µs before they wait in a selector, as
     * a spinning pipe does. Its echo process runs on host 2 from {@link #open} to {@link #close}.
     */
    private static final class Floor implements AutoCloseable {
        private final NetHosts.HostProcess server;
        private final SocketChannel blocking;
        private final SocketChannel spinning;
        private final Selector sel;
        private final ByteBuffer b = ByteBuffer.allocate(8);

        private Floor(NetHosts.HostProcess server, SocketChannel blocking, SocketChannel spinning, Selector sel) {
            this.server = server;
            this.blocking = blocking;
            this.spinning = spinning;
            this.sel = sel;
        }

        static Floor open(NetHosts hosts, int port) throws Exception {
            NetHosts.HostProcess server = hosts.startJava(2, FloorEcho.class.getName(), List.of(),
                    hosts.address(2), Integer.toString(port));
            SocketChannel blocking = null;
            SocketChannel spinning = null;
            try {
                if (server.awaitLine(l -> l.startsWith("listening"), Duration.ofSeconds(30)) == null) {
                    throw new IllegalStateException("the ping-pong server did not start: " + server.output());
                }
                blocking = connect(hosts, port, FloorEcho.BLOCKING);
                spinning = connect(hosts, port, FloorEcho.SPINNING);
                spinning.configureBlocking(false);
                Selector sel = Selector.open();
                spinning.register(sel, SelectionKey.OP_READ);
                return new Floor(server, blocking, spinning, sel);
            } catch (Exception | Error e) {
                for (SocketChannel c : new SocketChannel[] {blocking, spinning}) {
                    if (c != null) {
                        c.close();
                    }
                }
                server.kill();
                throw e;
            }
        }

        /** A blocking connection to the echo whose first byte tells it how to wait. */
        private static SocketChannel connect(NetHosts hosts, int port, byte mode) throws IOException {
            SocketChannel ch = SocketChannel.open(new InetSocketAddress(hosts.address(2), port));
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer m = ByteBuffer.allocate(1).put(0, mode);
            while (m.hasRemaining()) {
                ch.write(m);
            }
            return ch;
        }

        /** One blocking round trip carrying {@code i}; its time in ns. */
        long roundTrip(int i) throws IOException {
            long t0 = System.nanoTime();
            b.clear().putLong(0, i);
            while (b.hasRemaining()) {
                blocking.write(b);
            }
            b.clear();
            while (b.hasRemaining()) {
                if (blocking.read(b) < 0) {
                    throw new IllegalStateException("the floor's echo ended");
                }
            }
            return checked(t0, i);
        }

        /** One round trip carrying {@code i} whose ends spin before they wait; its time in ns. */
        long spinRoundTrip(int i) throws IOException {
            long t0 = System.nanoTime();
            b.clear().putLong(0, i);
            while (b.hasRemaining()) {
                spinning.write(b);
            }
            b.clear();
            if (!FloorEcho.spinReadFully(spinning, sel, b)) {
                throw new IllegalStateException("the floor's echo ended");
            }
            return checked(t0, i);
        }

        private long checked(long t0, int i) {
            long t = System.nanoTime() - t0;
            if (b.getLong(0) != i) {
                throw new IllegalStateException("the floor's echo is out of order at " + i);
            }
            return t;
        }

        /** The echo's processes (its JVM and its launcher), found once: listing descendants reads all of /proc. */
        private long[] echoPids;

        /** The echo's JVM and its launcher. */
        long[] echoPids() {
            if (echoPids == null) {
                ProcessHandle h = server.process().toHandle();
                echoPids = java.util.stream.Stream.concat(java.util.stream.Stream.of(h), h.descendants())
                        .mapToLong(ProcessHandle::pid).toArray();
            }
            return echoPids;
        }

        /** CPU time (user + system, ns at 100 Hz ticks) of the echo's JVM (and its launcher). */
        long echoCpuNanos() {
            long ns = 0;
            for (long pid : echoPids()) {
                ns += cpuNanosOf(pid);
            }
            return ns;
        }

        @Override
        public void close() throws Exception {
            try {
                sel.close();
                blocking.close();
                spinning.close();
                server.process().waitFor(10, TimeUnit.SECONDS);
            } finally {
                server.kill();
            }
        }
    }

    /** How long the spinning floor's ends read in a loop before they wait in a selector. */
    static final int FLOOR_SPIN_MICROS = 200;

    /** The floor alone ({@code -Dparts=floor} without remote): warmed up and counted as the round trips are. */
    private static void tcpFloor(NetHosts hosts) throws Exception {
        try (Floor floor = Floor.open(hosts, FLOOR_PORT)) {
            long[] t = new long[small ? RTT_TIMED / 10 : RTT_TIMED];
            long[] s = new long[t.length];
            int warmup = small ? RTT_WARMUP / 10 : RTT_WARMUP;
            for (int i = 0; i < warmup + t.length; i++) {
                long d = floor.roundTrip(i);
                long e = floor.spinRoundTrip(i);
                if (i >= warmup) {
                    t[i - warmup] = d;
                    s[i - warmup] = e;
                }
            }
            printPercentiles("tcp_floor_rtt", t);
            printPercentiles("tcp_floor_spin_rtt", s);
        }
    }

    private static void printPercentiles(String name, long[] t) {
        Arrays.sort(t);
        System.out.printf("%s_p50_us %.1f us%n", name, p50(t) / 1e3);
        System.out.printf("%s_p99_us %.1f us%n", name, t[(int) (t.length * 0.99)] / 1e3);
    }

    /** The median of sorted {@code t}. */
    private static long p50(long[] t) {
        return t[t.length / 2];
    }

    /** The median of {@code t[from, from + n)}, sorting that range. */
    private static long p50(long[] t, int from, int n) {
        Arrays.sort(t, from, from + n);
        return t[from + n / 2];
    }

    /**
     * From {@code /proc/ID/schedstat} ({@code thread-self}: this thread; a pid: summed over that
     * process's threads), in ns: the time on a CPU and the time runnable but waiting for one.
     */
    static long[] schedstat(String id) {
        long[] r = new long[2];
        List<Path> files = new ArrayList<>();
        if (id.equals("thread-self")) {
            files.add(Path.of("/proc/thread-self/schedstat"));
        } else {
            try (var tasks = java.nio.file.Files.list(Path.of("/proc/" + id + "/task"))) {
                tasks.forEach(t -> files.add(t.resolve("schedstat")));
            } catch (IOException | RuntimeException e) {
                return r; // it ended
            }
        }
        for (Path f : files) {
            try {
                String[] v = java.nio.file.Files.readString(f).trim().split(" ");
                r[0] += Long.parseLong(v[0]);
                r[1] += Long.parseLong(v[1]);
            } catch (IOException | RuntimeException e) {
                // a thread that ended meanwhile
            }
        }
        return r;
    }

    /** User + system CPU of process {@code pid}, in ns (100 Hz ticks); 0 when it ended. */
    static long cpuNanosOf(long pid) {
        try {
            String st = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return 0; // it ended meanwhile
        }
    }

    /**
     * The floor's far end: {@code FloorEcho ADDR PORT} listens on ADDR:PORT (printing
     * {@code listening}), accepts two connections and echoes 8-byte pings on each, on a
     * thread of its own, until both end. A connection's first byte says how its thread
     * waits: {@link #BLOCKING}, a blocking read; {@link #SPINNING}, non-blocking reads in a
     * loop for up to {@value ClusterBench#FLOOR_SPIN_MICROS} µs, then a selector.
     */
    public static final class FloorEcho {
        static final byte BLOCKING = 'B';
        static final byte SPINNING = 'S';

        private FloorEcho() {
        }

        public static void main(String[] args) throws Exception {
            try (ServerSocketChannel ss = ServerSocketChannel.open()) {
                ss.bind(new InetSocketAddress(args[0], Integer.parseInt(args[1])));
                System.out.println("listening " + args[0] + ":" + args[1]);
                System.out.flush();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    SocketChannel ch = ss.accept();
                    Thread t = new Thread(() -> echo(ch), "floor-echo-" + i);
                    t.start();
                    threads.add(t);
                }
                for (Thread t : threads) {
                    t.join();
                }
            }
        }

        private static void echo(SocketChannel ch) {
            try (ch; Selector sel = Selector.open()) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ByteBuffer b = ByteBuffer.allocate(8);
                ByteBuffer mode = ByteBuffer.allocate(1);
                if (ch.read(mode) <= 0) {
                    return;
                }
                boolean spin = mode.get(0) == SPINNING;
                if (spin) {
                    ch.configureBlocking(false);
                    ch.register(sel, SelectionKey.OP_READ);
                }
                while (true) {
                    b.clear();
                    if (spin ? !spinReadFully(ch, sel, b) : !blockingReadFully(ch, b)) {
                        return;
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            } catch (IOException e) {
                // the bench closed the connection
            }
        }

        private static boolean blockingReadFully(SocketChannel ch, ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Reads until {@code b} is full: non-blocking reads in a loop for up to
         * {@value ClusterBench#FLOOR_SPIN_MICROS} µs, then waits in {@code sel}; false at the end of the stream.
         */
        static boolean spinReadFully(SocketChannel ch, Selector sel, ByteBuffer b) throws IOException {
            long t0 = System.nanoTime();
            while (b.hasRemaining()) {
                int n = ch.read(b);
                if (n < 0) {
                    return false;
                }
                if (n == 0 && System.nanoTime() - t0 > FLOOR_SPIN_MICROS * 1000L) {
                    sel.select(5000);
                    sel.selectedKeys().clear();
                } else if (n == 0) {
                    Thread.onSpinWait();
                }
            }
            return true;
        }
    }

    private static boolean part(String name) {
        return PARTS.contains(name);
    }

    private static void cluster(NetHosts hosts, String heartbeat, String pause) throws Exception {
        Path keys = TestKeys.of("cluster-a");
        String seed = hosts.address(1) + ":" + ClusterSettings.DEFAULT_PORT;
        NetHosts.HostProcess[] agents = new NetHosts.HostProcess[hosts.size()];
        for (int i = 1; i <= hosts.size(); i++) {
            agents[i - 1] = hosts.startJava(i, NodeAgent.class.getName(),
                    List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m"),
                    "--bind", hosts.address(i) + ":" + ClusterSettings.DEFAULT_PORT, "--seed", seed,
                    "--keys", keys.toString(), "--name", "node" + i, "--cores", "2",
                    "--heartbeat", heartbeat, "--failure-pause", pause, "--down-after", "10s");
        }
        try (ClusterDriver driver = ClusterDriver.join(ClusterSettings.bind(hosts.driverAddress(), 0)
                .withSeeds(List.of(seed)).withKeys(keys)
                .withFailureDetector(NodeAgentArgs.duration(heartbeat), NodeAgentArgs.duration(pause))
                .withDownAfter(Duration.ofSeconds(10)))) {
            driver.awaitAgents(hosts.size(), Duration.ofSeconds(90));
            if (part("remote")) {
                try (Floor floor = part("floor") ? Floor.open(hosts, FLOOR_PORT) : null) {
                    remote("", floor, agents);
                }
            } else if (part("floor")) {
                tcpFloor(hosts);
            }
            if (part("pq")) {
                processQueue(agents);
            }
            if (part("sgn")) {
                sgnRemote();
            }
            if (part("kill")) {
                killAgent(driver, agents[1]);
            }
        }
        if (part("plain")) {
            plainCluster(hosts, heartbeat, pause);
        }
    }

    /** How long the driver takes to see the agent on node2 killed (kill -9). */
    private static void killAgent(ClusterDriver driver, NetHosts.HostProcess agent) throws Exception {
        // let the failure detector learn the heartbeat intervals of a settled cluster
        Thread.sleep(3000);
        AgentInfo victim = driver.agents().stream().filter(a -> a.host().equals("node2")).findFirst().orElseThrow();
        long t0 = System.nanoTime();
        agent.process().destroyForcibly();
        ClusterDriver.Event e = driver.awaitEvent(x -> x.kind() == ClusterDriver.Kind.UNREACHABLE
                && x.address().equals(victim.address()), t0, Duration.ofSeconds(30));
        if (e == null) {
            throw new IllegalStateException("the killed agent was not detected within 30 s: " + driver.events());
        }
        System.out.println("agent_kill_detect_ms " + TimeUnit.NANOSECONDS.toMillis(e.nanoTime() - t0) + " ms");
    }

    /**
     * The remote figures once more over plain TCP ({@code --insecure-plain-tcp}),
     * for comparison with the TLS ones: a plain cluster of its own (a driver here,
     * one agent named node2 on host 2, on another port), since a cluster's members
     * all run TLS or all run plain TCP.
     */
    private static void plainCluster(NetHosts hosts, String heartbeat, String pause) throws Exception {
        int port = ClusterSettings.DEFAULT_PORT + 1;
        String seed = hosts.address(2) + ":" + port;
        NetHosts.HostProcess agent = hosts.startJava(2, NodeAgent.class.getName(),
                List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m"),
                "--bind", seed, "--seed", seed, "--insecure-plain-tcp", "--name", "node2", "--cores", "2",
                "--heartbeat", heartbeat, "--failure-pause", pause, "--down-after", "10s");
        try (ClusterDriver driver = ClusterDriver.join(ClusterSettings.bind(hosts.driverAddress(), 0)
                .withSeeds(List.of(seed)).withPlainTcp()
                .withFailureDetector(NodeAgentArgs.duration(heartbeat), NodeAgentArgs.duration(pause))
                .withDownAfter(Duration.ofSeconds(10)))) {
            driver.awaitAgents(1, Duration.ofSeconds(90));
            try (Floor floor = part("floor") ? Floor.open(hosts, FLOOR_PORT + 1) : null) {
                remote("_plain", floor, new NetHosts.HostProcess[] {agent});
            }
        } finally {
            agent.kill();
        }
    }

    private static Echo echo(String name) {
        Echo p = new Echo(name);
        BackendOptions o = BackendOptions.defaults().withPlacement(Placement.node("node2"));
        for (String wait : List.of("jvalkka.remoteSpinTls", "jvalkka.remoteSpinMicros")) {
            String v = System.getProperty(wait);
            if (v != null) { // the same wait at both ends of the round trip
                o = o.withExtraJvmArgs("-D" + wait + "=" + v);
            }
        }
        p.setOptions(o);
        return p;
    }

    private static MessageObject reply(Echo p) {
        if (Select.safeSelect(List.of(p.getPipe()), List.of(), List.of(), 10.0).reads().isEmpty()) {
            throw new IllegalStateException("no reply from " + p + " within 10 s");
        }
        return p.getPipe().recv();
    }

    private static final java.lang.management.ThreadMXBean THREAD_CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** The kinds of round trip measured interleaved: the remote one, the floor, the spinning floor. */
    private static final String[] KINDS = {"remote_rtt", "tcp_floor_rtt", "tcp_floor_spin_rtt"};

    /**
     * The round trips of {@code p} and, when {@code floor} is given, of the floor and the spinning
     * floor, interleaved in blocks of {@value #RTT_BLOCK} (a block of each kind in turn, the order
     * reversed every other cycle so that no kind always follows another), so that all see the same
     * state of a shared machine: {@value #RTT_WARMUP} of each warm up, then {@value #RTT_TIMED} of
     * each are timed. Prints the percentiles of each; the ratio {@code remote_rtt_floor_ratio} (the
     * issue's target: at most 1.5) as the median over the timed cycles of each cycle's remote median
     * over its floor median, with the 10th and 90th percentiles of those per-cycle ratios (its
     * spread: {@code _p10}, {@code _p90}), and the same against the spinning floor; and the CPU time
     * per round trip of each kind ({@code _cpu_us}), summed over the blocks of that kind: this end's
     * measuring thread (exact) and the whole process at the other end, the backend's or the floor
     * echo's (user + system, 100 Hz ticks; neither loads Pekko), not the rest of this JVM.
     */
    private static void roundTrips(Echo p, String plain, Floor floor) throws IOException {
        int timed = small ? RTT_TIMED / 10 : RTT_TIMED;
        int warmup = small ? RTT_WARMUP / 10 : RTT_WARMUP;
        int kinds = floor == null ? 1 : KINDS.length;
        long[][] t = new long[kinds][timed];
        long[] cpu = new long[kinds];
        long[] peers = floor == null ? new long[] {p.pid()} : concat(floor.echoPids(), p.pid());
        try (Pinning pin = Pinning.apart(peers)) {
            blocks(p, floor, warmup, t, cpu);
        }
        printRoundTrips(plain, t, cpu);
    }

    /** See {@link #roundTrips}: the interleaved blocks, {@code t[kind]} and {@code cpu[kind]} filled in. */
    private static void blocks(Echo p, Floor floor, int warmup, long[][] t, long[] cpu)
            throws IOException {
        int kinds = t.length;
        int timed = t[0].length;
        int seq = 0;
        for (int done = -warmup, cycle = 0; done < timed; done += RTT_BLOCK, cycle++) {
            for (int j = 0; j < kinds; j++) {
                int k = cycle % 2 == 0 ? j : kinds - 1 - j;
                long c0 = THREAD_CPU.getCurrentThreadCpuTime() + (k == 0 ? cpuNanosOf(p.pid()) : floor.echoCpuNanos());
                for (int i = 0; i < RTT_BLOCK; i++) {
                    long d = k == 0 ? remoteRoundTrip(p, seq + i) : k == 1 ? floor.roundTrip(seq + i)
                            : floor.spinRoundTrip(seq + i);
                    if (done >= 0) {
                        t[k][done + i] = d;
                    }
                }
                if (done >= 0) {
                    cpu[k] += THREAD_CPU.getCurrentThreadCpuTime() + (k == 0 ? cpuNanosOf(p.pid())
                            : floor.echoCpuNanos()) - c0;
                }
            }
            seq += RTT_BLOCK;
        }
    }

    private static long[] concat(long[] a, long b) {
        long[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = b;
        return r;
    }

    /**
     * Where the two ends of the measured round trips run ({@code -Dpin=apart}, the default on a
     * machine of 2 or more cores; {@code -Dpin=none}: where the scheduler puts them). Apart: the
     * thread that measures here on core 0, every thread of the peers' processes (the floor's echo,
     * the remote backend) on core 1, as on two hosts, until {@link #close}. Unpinned, the two ends
     * of a ping-pong on this 2-core VM run sometimes on one core and sometimes on two, and the
     * round trip differs several-fold between the two (measured, blocking ping-pong on loopback:
     * 12.6-13.1 us on one core, 41-46 us on two: an idle vCPU halts at once, and waking it goes
     * through the hypervisor; spinning ends: 10.2 us on two cores, 115 us on one), independently
     * for the floor's ends and the backend's, which made the ratio swing from run to run.
     */
    private static final class Pinning implements AutoCloseable {
        private static final boolean APART = !"none".equals(System.getProperty("pin", "apart"))
                && Runtime.getRuntime().availableProcessors() >= 2;
        private final String tid;
        private final long[] peers;

        private Pinning(String tid, long[] peers) {
            this.tid = tid;
            this.peers = peers;
        }

        static Pinning apart(long[] peers) throws IOException {
            if (!APART) {
                return new Pinning(null, peers);
            }
            String tid = java.nio.file.Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
            taskset("0", tid, false);
            for (long pid : peers) {
                taskset("1", Long.toString(pid), true);
            }
            return new Pinning(tid, peers);
        }

        private static void taskset(String cpus, String id, boolean allThreads) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("taskset", "-p", "-c", cpus, id));
            if (allThreads) {
                cmd.add(1, "-a");
            }
            try {
                Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(pr.getInputStream().readAllBytes());
                if (!pr.waitFor(10, TimeUnit.SECONDS) || pr.exitValue() != 0) {
                    throw new IOException(cmd + " failed: " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(cmd + " interrupted");
            }
        }

        @Override
        public void close() throws IOException {
            if (tid != null) {
                String all = "0-" + (Runtime.getRuntime().availableProcessors() - 1);
                taskset(all, tid, false);
                for (long pid : peers) {
                    if (ProcessHandle.of(pid).isPresent()) {
                        taskset(all, Long.toString(pid), true);
                    }
                }
            }
        }
    }

    private static long remoteRoundTrip(Echo p, int i) {
        long t0 = System.nanoTime();
        p.sendMessageToBack(new MessageObject("ping", "i", i));
        MessageObject m = reply(p);
        long d = System.nanoTime() - t0;
        if (!m.get("i").equals(i)) {
            throw new IllegalStateException("wrong reply " + m);
        }
        return d;
    }

    /** See {@link #roundTrips}: {@code t[kind]} the timed round trips in blocks, {@code cpu[kind]} their CPU. */
    private static void printRoundTrips(String plain, long[][] t, long[] cpu) {
        int blocks = t[0].length / RTT_BLOCK;
        double[][] ratio = new double[t.length][blocks];
        for (int b = 0; b < blocks; b++) {
            long remote = p50(t[0], b * RTT_BLOCK, RTT_BLOCK);
            for (int k = 1; k < t.length; k++) {
                ratio[k][b] = (double) remote / p50(t[k], b * RTT_BLOCK, RTT_BLOCK);
            }
        }
        for (int k = t.length - 1; k >= 0; k--) {
            String name = KINDS[k].replace("_rtt", "_rtt" + plain);
            printPercentiles(name, t[k]);
            System.out.printf("%s_cpu_us %.1f us%n", name, cpu[k] / 1e3 / t[k].length);
        }
        for (int k = 1; k < t.length; k++) {
            double[] r = ratio[k];
            Arrays.sort(r);
            String name = "remote_rtt" + plain + (k == 1 ? "_floor_ratio" : "_spin_floor_ratio");
            System.out.printf("%s %.2f x%n", name, r[r.length / 2]);
            System.out.printf("%s_p10 %.2f x%n", name, r[r.length / 10]);
            System.out.printf("%s_p90 %.2f x%n", name, r[r.length * 9 / 10]);
        }
    }

    /**
     * The MessageProcess figures, the backend on node2; {@code plain} is "" for the
     * cluster's mutual TLS, "_plain" for plain TCP (inserted after "remote_xxx").
     */
    private static void remote(String plain, Floor floor, NetHosts.HostProcess[] agents) throws Exception {
        List<Long> startMs = new ArrayList<>();
        // start 0 is not counted: the node makes its class-data-sharing archive (in the background) on a first start
        for (int i = 0; i <= (small ? 3 : 7); i++) {
            Echo p = echo("start-" + i);
            long t0 = System.nanoTime();
            p.start();
            p.sendMessageToBack(new MessageObject("ping", "i", 1));
            reply(p);
            if (i > 0) {
                startMs.add((System.nanoTime() - t0) / 1_000_000);
            }
            p.stop();
        }
        startMs.sort(null);
        // a first start trains the node's class-data archive in the background: seconds of CPU, not to be timed
        awaitNoTrainers(agents, Duration.ofSeconds(120));
        Echo p = echo("remote");
        p.start();
        try {
            roundTrips(p, plain, floor);
            // -Dpin.rates=true: the rates too with the ends on two cores (see Pinning); unpinned by default
            try (Pinning pin = Boolean.getBoolean("pin.rates") ? Pinning.apart(new long[] {p.pid()}) : null) {
                oneway(p, plain);
                proxyCalls(p, plain);
            }
        } finally {
            p.stop();
        }
        System.out.printf("remote_start" + plain + "_ms %d ms%n", startMs.get(startMs.size() / 2));
    }

    /**
     * One-way messages/s: the last of 3 rounds of 200,000 messages and an acknowledgement (the
     * first rounds warm the backend's compiler up), and the CPU of both JVMs (all threads) per
     * message over it ({@code remote_oneway_cpu_ns_per_msg}), which a busy machine does not
     * distort as it does the rate. Each round's rate, the sending thread's CPU and run-queue wait
     * (runnable but not running), and the backend's, on stderr.
     */
    private static void oneway(Echo p, String plain) {
        int n = small ? 20_000 : 200_000;
        String self = Long.toString(ProcessHandle.current().pid());
        String backend = Long.toString(p.pid());
        double rate = 0;
        long cpu = 0;
        for (int round = 0; round < 3; round++) {
            long[] s0 = schedstat("thread-self");
            long[] d0 = schedstat(self);
            long[] b0 = schedstat(backend);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                p.sendMessageToBack(new MessageObject("count", "i", i));
            }
            p.sendMessageToBack(new MessageObject("ack"));
            MessageObject ack = reply(p);
            long t1 = System.nanoTime();
            if (((Number) ack.get("count")).longValue() != (long) n * (round + 1)) {
                throw new IllegalStateException("lost messages: " + ack);
            }
            rate = n / ((t1 - t0) / 1e9);
            long[] s1 = schedstat("thread-self");
            long[] b1 = schedstat(backend);
            cpu = schedstat(self)[0] - d0[0] + b1[0] - b0[0];
            System.err.printf("cluster bench: oneway%s round %d: %.0f msgs/s in %.0f ms; sender thread: CPU %.0f ms,"
                    + " runnable but not running %.0f ms; backend (all threads): CPU %.0f ms, runnable %.0f ms%n",
                    plain, round, rate, (t1 - t0) / 1e6, (s1[0] - s0[0]) / 1e6, (s1[1] - s0[1]) / 1e6,
                    (b1[0] - b0[0]) / 1e6, (b1[1] - b0[1]) / 1e6);
        }
        System.out.printf("remote_oneway" + plain + "_msgs_per_s %.0f msgs/s%n", rate);
        System.out.printf("remote_oneway" + plain + "_cpu_ns_per_msg %.0f ns%n", (double) cpu / n);
    }

    /**
     * Synchronous proxy calls/s: the second of 2 rounds of 10,000 calls, and the CPU of both JVMs
     * (all threads) per call over it ({@code remote_proxy_cpu_us_per_call}).
     */
    private static void proxyCalls(Echo p, String plain) {
        Api api = p.proxy(Api.class);
        int calls = small ? 1_000 : 10_000;
        String self = Long.toString(ProcessHandle.current().pid());
        String backend = Long.toString(p.pid());
        double callRate = 0;
        long cpu = 0;
        for (int round = 0; round < 2; round++) {
            long c0 = schedstat(self)[0] + schedstat(backend)[0];
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                if (api.add(i, 1) != i + 1) {
                    throw new IllegalStateException("wrong sum");
                }
            }
            callRate = calls / ((System.nanoTime() - t0) / 1e9);
            cpu = schedstat(self)[0] + schedstat(backend)[0] - c0;
        }
        System.out.printf("remote_proxy" + plain + "_calls_per_s %.0f calls/s%n", callRate);
        System.out.printf("remote_proxy" + plain + "_cpu_us_per_call %.1f us%n", cpu / 1e3 / calls);
    }

    /**
     * Sleep-bound items (10 ms each): two workers per node on one node, then on three, in steady
     * state: each figure is the median of 3 timed {@code map}s of the same pool after a warm-up
     * one (the start is not timed). A worker's first start with the workers' JVM options makes a
     * node train a class-data archive in the background (seconds of CPU) when the cache
     * ({@code ~/.cache/jvalkka/cds}, shared by the test hosts) has none yet: a pool first starts on
     * every node and the bench waits until no trainer runs (bounded), so that a fresh cache does
     * not land inside a timed run.
     *
     * <p>Also printed, the breakdown behind the ratio: the items/s of each, and
     * {@code pq_cpu_ms_per_item}, the CPU time (user + system) of this JVM and of every process
     * under the node agents (the workers) over the 3-node runs, per item. The "sleep-bound" items
     * are not free: what the pool does per item (a batch message out, an answer back, the thread
     * wake-ups at both ends, TLS) costs CPU, and the three test hosts share this machine's cores,
     * so at 6 workers' rate the 3-node run is partly bound by this machine's CPU, which real hosts
     * would not share.
     */
    private static void processQueue(NetHosts.HostProcess[] agents) throws InterruptedException {
        List<Integer> items = IntStream.range(0, small ? 120 : 600).boxed().toList();
        pqSeconds(items.subList(0, 60), null, null, Placement.node("node1"), Placement.node("node2"),
                Placement.node("node3"));
        awaitNoTrainers(agents, Duration.ofSeconds(120));
        double one = pqSeconds(items, THREADS ? agents : null, new long[1], Placement.node("node1"));
        long[] cpu = new long[1];
        double three = pqSeconds(items, agents, cpu, Placement.node("node1"), Placement.node("node2"),
                Placement.node("node3"));
        System.out.printf("pq_1node_items_per_s %.0f items/s%n", items.size() / one);
        System.out.printf("pq_3node_items_per_s %.0f items/s%n", items.size() / three);
        System.out.printf("pq_cpu_ms_per_item %.2f ms%n", cpu[0] / 1e6 / (3.0 * items.size()));
        System.out.printf("pq_3node_speedup %.2f x%n", one / three);
    }

    /** User + system CPU of this JVM and of every process under the agents, in ns (100 Hz ticks). */
    private static long cpuNanos(NetHosts.HostProcess[] agents) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(ProcessHandle.current());
        for (NetHosts.HostProcess a : agents) {
            a.process().toHandle().descendants().forEach(all::add);
        }
        long ns = 0;
        for (ProcessHandle h : all) {
            ns += cpuNanosOf(h.pid());
        }
        return ns;
    }

    /** Waits until no node agent has a class-data archive trainer running (at most {@code limit}). */
    private static void awaitNoTrainers(NetHosts.HostProcess[] agents, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            boolean training = false;
            for (NetHosts.HostProcess a : agents) {
                training |= a.process().toHandle().descendants().anyMatch(h -> h.info().commandLine()
                        .map(c -> c.contains("-XX:ArchiveClassesAtExit") || c.contains("-XX:AOTMode=")).orElse(false));
            }
            if (!training) {
                long waited = limit.toNanos() - (deadline - System.nanoTime());
                if (waited > 100_000_000) {
                    System.err.printf("cluster bench: waited %d ms for a class-data archive trainer%n", waited / 1_000_000);
                }
                return;
            }
            Thread.sleep(200); // polling another process's children: there is nothing to wait on
        }
        System.err.println("cluster bench: a node still trains its class-data archive after " + limit
                + "; the pool figures include it");
    }

    /**
     * The median seconds of 3 timed maps of {@code items} by a pool of two workers per node;
     * with {@code cpuOf}, adds the CPU time that {@link #cpuNanos} counts over the timed maps
     * to {@code cpu[0]}.
     */
    private static double pqSeconds(List<Integer> items, NetHosts.HostProcess[] cpuOf, long[] cpu,
            Placement... nodes) throws InterruptedException {
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.<Integer, Integer>of(x -> {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return x;
        }).name("bench-" + nodes.length).workers(2 * nodes.length).placements(nodes).start()) {
            q.map(items.subList(0, Math.min(items.size(), 20 * nodes.length))); // every worker up and warm
            double[] s = new double[3];
            java.util.Map<String, Long> threads0 = THREADS ? threadTicks(cpuOf) : null;
            for (int run = 0; run < s.length; run++) {
                long c0 = cpuOf == null ? 0 : cpuNanos(cpuOf);
                long t0 = System.nanoTime();
                List<Integer> out = q.map(items);
                s[run] = (System.nanoTime() - t0) / 1e9;
                if (cpuOf != null) {
                    cpu[0] += cpuNanos(cpuOf) - c0;
                }
                if (!out.equals(items)) {
                    throw new IllegalStateException("wrong results");
                }
            }
            if (threads0 != null) {
                printThreads(nodes.length, threads0, threadTicks(cpuOf), 3L * items.size());
            }
            Arrays.sort(s);
            return s[1];
        }
    }

    /** {@code -Dpq.threads=true}: print where the pool's CPU goes, per process role and thread name, on stderr. */
    private static final boolean THREADS = Boolean.getBoolean("pq.threads");

    /**
     * CPU ticks (user + system, 100 Hz) per "role/thread" of this JVM ("driver") and every process
     * under the agents ("agent" for the node agents' JVMs, "worker" for the rest), thread names
     * with their digits dropped so that a kind of thread sums over its instances.
     */
    private static java.util.Map<String, Long> threadTicks(NetHosts.HostProcess[] agents) {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        List<ProcessHandle> all = new ArrayList<>();
        all.add(ProcessHandle.current());
        if (agents != null) {
            for (NetHosts.HostProcess a : agents) {
                a.process().toHandle().descendants().forEach(all::add);
            }
        }
        for (ProcessHandle h : all) {
            String role = h.pid() == ProcessHandle.current().pid() ? "driver"
                    : h.info().commandLine().map(c -> c.contains("NodeAgent") ? "agent" : c.contains("java") ? "worker"
                            : "other").orElse("other");
            try (var tasks = java.nio.file.Files.list(Path.of("/proc/" + h.pid() + "/task"))) {
                for (Path t : (Iterable<Path>) tasks::iterator) {
                    try {
                        String st = java.nio.file.Files.readString(t.resolve("stat"));
                        String comm = st.substring(st.indexOf('(') + 1, st.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                        String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                        out.merge(role + "/" + comm, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                    } catch (java.io.IOException | RuntimeException e) {
                        // it ended meanwhile
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // it ended meanwhile
            }
        }
        return out;
    }

    private static void printThreads(int nodes, java.util.Map<String, Long> before, java.util.Map<String, Long> after,
            long items) {
        List<java.util.Map.Entry<String, Long>> d = new ArrayList<>();
        long total = 0;
        for (var e : after.entrySet()) {
            long v = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (v > 0) {
                d.add(java.util.Map.entry(e.getKey(), v));
                total += v;
            }
        }
        d.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        System.err.printf("pq threads, %d node(s), %d items: %.3f ms CPU per item%n", nodes, items, total * 10.0 / items);
        for (var e : d) {
            System.err.printf("  %-40s %6d ms  %.3f ms/item%n", e.getKey(), e.getValue() * 10, e.getValue() * 10.0 / items);
        }
    }

    /**
     * SGN frames/s through a process-mode transform placed on node2 (another namespace: Integer
     * frames over the worker's TCP connection, mutual TLS), as {@code scripts/bench sgn remote}
     * measures it on loopback: {@link SgnBench#remoteFramesPerSecond}, the median of 3 timed runs
     * after 2 warm-up runs, each run with its own worker JVM (whose start is not timed).
     */
    private static void sgnRemote() {
        double rate = SgnBench.remoteFramesPerSecond(Placement.node("node2"), small ? 20_000 : 200_000);
        System.out.printf("sgn_remote_frames_per_s %.0f frames/s%n", rate);
    }

    /** Durations in scripts/node's form (500ms, 2s). */
    private static final class NodeAgentArgs {
        static Duration duration(String s) {
            return s.endsWith("ms") ? Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)))
                    : Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
        }
    }
}
