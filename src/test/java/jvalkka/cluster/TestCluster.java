package jvalkka.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Path keys = TestKeys.of("cluster-a");
        NetHosts hosts = NetHosts.create(n);
        System.out.println(hosts.describe());
        List<NetHosts.HostProcess> agents = new ArrayList<>();
        ClusterDriver driver = null;
        try {
            String seed = hosts.address(1) + ":" + PORT;
            for (int i = 1; i <= n; i++) {
                agents.add(hosts.startJava(i, NodeAgent.class.getName(), NodeAgentClusterTest.agentJvm(),
                        NodeAgentClusterTest.agentArgs(hosts, i, PORT, keys, seed, downAfter).toArray(String[]::new)));
                if (i == 1) {
                    // the seed first, up, before the others boot: four JVMs booting at once on a loaded
                    // machine starved each other's heartbeats while the cluster formed (see NodeAgentClusterTest)
                    agents.get(0).awaitLine(l -> l.startsWith("jvalkka node: up"), Duration.ofSeconds(60));
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
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
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
        try {
            driver.close();
        } finally {
            hosts.close();
        }
        ClusterLeftovers.assertNone();
    }
}
