package jvalkka.cluster;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jvalkka.testing.NetHosts;

/**
 * N node agents ({@code node1}..{@code nodeN}, cores i, labels {@code zone=zI},
 * {@code gpu=(i == 2)}) on N test hosts and a driver in this JVM, with the
 * cluster tests' short failure-detector settings; {@link #close()} stops them
 * and checks that nothing is left. Null from {@link #start} when no test hosts
 * can be made here (the caller skips).
 */
public final class TestCluster implements AutoCloseable {
    public static final int PORT = ClusterSettings.DEFAULT_PORT;
    public final NetHosts hosts;
    public final Path keys;
    public final List<NetHosts.HostProcess> agents = new ArrayList<>();
    public final ClusterDriver driver;

    private TestCluster(NetHosts hosts, Path keys, ClusterDriver driver) {
        this.hosts = hosts;
        this.keys = keys;
        this.driver = driver;
    }

    /** Starts {@code n} agents and the driver, and waits (60 s at most) until the driver sees them all. */
    public static TestCluster start(int n) throws Exception {
        return start(n, NodeAgentClusterTest.DOWN_AFTER);
    }

    /** {@link #start(int)} with the split-brain resolver's stable-after ({@code --down-after}) {@code downAfter}. */
    public static TestCluster start(int n, String downAfter) throws Exception {
        if (NetHosts.unavailableReason() != null) {
            return null;
        }
        long t0 = System.nanoTime();
        // 90 s: past a formation's own bounds on a machine that can still run the tests (the classes' @Timeout
        // must hold the wait and a formation of their own)
        try (FormationLock lock = FormationLock.take(Duration.ofSeconds(90))) {
            return form(n, downAfter, t0);
        }
    }

    private static TestCluster form(int n, String downAfter, long t0) throws Exception {
        long tLock = System.nanoTime();
        Path keys = TestKeys.of("cluster-a");
        NetHosts hosts = NetHosts.create(n);
        long tHosts = System.nanoTime();
        System.out.println(hosts.describe());
        List<NetHosts.HostProcess> agents = new ArrayList<>();
        ClusterDriver driver = null;
        long tSeed = 0;
        try {
            String seed = hosts.address(1) + ":" + PORT;
            for (int i = 1; i <= n; i++) {
                agents.add(hosts.startJava(i, NodeAgent.class.getName(), NodeAgentClusterTest.agentJvm(),
                        NodeAgentClusterTest.agentArgs(hosts, i, PORT, keys, seed, downAfter).toArray(String[]::new)));
                if (i == 1) {
                    // the seed first, up, before the others boot: four JVMs booting at once on a loaded
                    // machine starved each other's heartbeats while the cluster formed (see NodeAgentClusterTest)
                    agents.get(0).awaitLine(l -> l.startsWith("jvalkka node: up"), Duration.ofSeconds(60));
                    tSeed = System.nanoTime();
                }
            }
            driver = ClusterDriver.join(ClusterSettings.bind(hosts.driverAddress(), 0).withSeeds(List.of(seed))
                    .withKeys(keys)
                    .withFailureDetector(NodeAgent.parseDuration(NodeAgentClusterTest.HEARTBEAT),
                            NodeAgent.parseDuration(NodeAgentClusterTest.PAUSE))
                    .withDownAfter(NodeAgent.parseDuration(downAfter)));
            TestCluster c = new TestCluster(hosts, keys, driver);
            c.agents.addAll(agents);
            try {
                driver.awaitAgents(n, Duration.ofSeconds(60));
                // where a cluster test class's time goes (the suite's time is watched: see the pom's surefire)
                System.out.printf("test cluster of %d formed in %d ms (another test JVM's cluster formed for %d of"
                        + " them, hosts made at %d, the seed up at %d)%n", n, ms(System.nanoTime() - t0),
                        ms(tLock - t0), ms(tHosts - t0), ms(tSeed - t0));
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError(e.getMessage() + "\n" + c.output(), e);
            }
            return c;
        } catch (Throwable t) {
            if (driver != null) {
                driver.close();
            }
            hosts.close();
            throw t;
        }
    }

    /**
     * Held while a cluster forms, so that one forms at a time among this build's test JVMs (surefire
     * runs two side by side: see the pom): a forming cluster is four JVMs booting (Pekko, TLS), and two
     * of them at once next to other work starved heartbeats until the agents could not join within a
     * minute (seen at a load of 28 on 2 cores). The formed clusters' tests still run side by side; the
     * lock is only for the boot. A file lock in the build directory ({@code target}), which the OS
     * releases if its JVM dies; no lock where the tests do not run from a build directory.
     */
    private static final class FormationLock implements AutoCloseable {
        private final FileChannel channel;

        private FormationLock(FileChannel channel) {
            this.channel = channel;
        }

        /** Waits (polling, {@code within} at most: then without the lock) for the other JVMs' formation. */
        static FormationLock take(Duration within) throws IOException, InterruptedException {
            Path dir = buildDirectory();
            if (dir == null) {
                return new FormationLock(null);
            }
            FileChannel ch = FileChannel.open(dir.resolve("test-cluster-formation.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            try {
                long deadline = System.nanoTime() + within.toNanos();
                while (ch.tryLock() == null) {
                    if (System.nanoTime() > deadline) {
                        System.out.println("test cluster: another test JVM's cluster still forms after " + within
                                + "; forming this one beside it");
                        ch.close();
                        return new FormationLock(null);
                    }
                    Thread.sleep(50); // the other JVM's boot of its cluster: no event to wait on across JVMs
                }
                return new FormationLock(ch);
            } catch (IOException | InterruptedException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        /** {@code target}, where the test classes are {@code target/test-classes}, or null. */
        private static Path buildDirectory() {
            try {
                Path classes = Path.of(TestCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                Path dir = classes.getParent();
                return Files.isDirectory(classes) && dir != null && Files.isWritable(dir) ? dir : null;
            } catch (java.net.URISyntaxException | RuntimeException e) {
                return null;
            }
        }

        @Override
        public void close() throws IOException {
            if (channel != null) {
                channel.close(); // releases the lock
            }
        }
    }

    /** The agents' output so far. */
    public String output() {
        StringBuilder b = new StringBuilder();
        for (NetHosts.HostProcess a : agents) {
            b.append("--- agent on host ").append(a.host()).append(":\n").append(a.output());
        }
        return b.toString();
    }

    /** The test host (1..N) that process {@code pid} runs on, by its network namespace, or 0. */
    public int hostOf(long pid) throws IOException {
        String ns = netns(pid);
        for (NetHosts.HostProcess a : agents) {
            if (a.process().isAlive() && netns(a.pid()).equals(ns)) {
                return a.host();
            }
        }
        return 0;
    }

    static String netns(long pid) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString();
    }

    /** Process {@code pid}'s command line, or "" when it is gone. */
    public static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until backend {@code pid} is gone; fails after {@code within}. */
    public static void assertGone(long pid, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (jvalkka.testing.Pids.running(pid)
                && commandLine(pid).contains("-Djvalkka.process=")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("backend pid " + pid + " still runs after " + within + ": "
                        + commandLine(pid));
            }
            Thread.sleep(50);
        }
    }

    /** The backends (JVMs with {@code -Djvalkka.process=}) whose parent is the agent on host {@code i}. */
    public List<Long> backendsOn(int i) {
        return agents.get(i - 1).process().toHandle().children()
                .filter(h -> commandLine(h.pid()).contains("-Djvalkka.process=")).map(ProcessHandle::pid).toList();
    }

    @Override
    public void close() throws Exception {
        long t0 = System.nanoTime();
        long t1 = 0;
        long t2 = 0;
        try {
            driver.close();
            t1 = System.nanoTime();
        } finally {
            hosts.close();
            t2 = System.nanoTime();
        }
        ClusterLeftovers.assertNone();
        System.out.printf("test cluster closed in %d ms (driver %d, hosts %d, leftover check %d)%n",
                ms(System.nanoTime() - t0), ms(t1 - t0), ms(t2 - t1), ms(System.nanoTime() - t2));
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}
