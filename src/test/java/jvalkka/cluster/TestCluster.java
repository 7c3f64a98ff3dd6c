package jvalkka.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;

import jvalkka.testing.NetHosts;

/**
 * N node agents ({@code node1}..{@code nodeN}, cores i, labels {@code zone=zI},
 * {@code gpu=(i == 2)}) on N test hosts and a driver in this JVM, with the
 * cluster tests' short failure-detector settings; {@link #close()} stops them
 * and checks that nothing is left. Null from {@link #start} when no test hosts
 * can be made here (the caller skips).
 *
 * <p>The cluster test classes share one such cluster through {@link SharedCluster}:
 * each class gets a driver of its own ({@link #openDriver}) and the same hosts and
 * agents; at the end of a class ({@link #endClass}) its driver leaves, the
 * class's own leftovers are checked, and every agent the class killed, cut off or
 * lost is replaced by a new one on its host ({@link #agents} then holds the new
 * process at that host's index).
 */
public final class TestCluster implements AutoCloseable {
    public static final int PORT = ClusterSettings.DEFAULT_PORT;
    public final NetHosts hosts;
    public final Path keys;
    /** The agent of host i at index i - 1 (the current one, after a replacement). */
    public final List<NetHosts.HostProcess> agents = new ArrayList<>();
    /** This class's driver (null between classes). */
    public volatile ClusterDriver driver;
    /** The hosts whose agent the last driver did not see alive and reachable when it closed. */
    private final Set<Integer> lost = new TreeSet<>();

    private TestCluster(NetHosts hosts, Path keys, ClusterDriver driver) {
        this.hosts = hosts;
        this.keys = keys;
        this.driver = driver;
    }

    /** Starts {@code n} agents and the driver, and waits (60 s at most) until the driver sees them all. */
    public static TestCluster start(int n) throws Exception {
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
                        NodeAgentClusterTest.agentArgs(hosts, i, PORT, keys, seed).toArray(String[]::new)));
            }
            driver = ClusterDriver.join(driverSettings(hosts, keys, seed));
            TestCluster c = new TestCluster(hosts, keys, driver);
            c.agents.addAll(agents);
            c.awaitAgents();
            return c;
        } catch (Throwable t) {
            if (driver != null) {
                driver.close();
            }
            hosts.close();
            throw t;
        }
    }

    static ClusterSettings driverSettings(NetHosts hosts, Path keys, String seed) {
        return ClusterSettings.bind(hosts.driverAddress(), 0).withSeeds(List.of(seed)).withKeys(keys)
                .withFailureDetector(NodeAgent.parseDuration(NodeAgentClusterTest.HEARTBEAT),
                        NodeAgent.parseDuration(NodeAgentClusterTest.PAUSE))
                .withDownAfter(NodeAgent.parseDuration(NodeAgentClusterTest.DOWN_AFTER));
    }

    /** Waits (60 s at most) until the driver sees every agent; fails with their output. */
    private void awaitAgents() throws InterruptedException {
        try {
            driver.awaitAgents(agents.size(), Duration.ofSeconds(60));
        } catch (TimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n" + output(), e);
        }
    }

    /** A new driver for the next test class, once it sees every agent (60 s at most). */
    void openDriver() throws Exception {
        if (driver != null) {
            throw new IllegalStateException("the last class's driver is still open");
        }
        driver = ClusterDriver.join(driverSettings(hosts, keys, hosts.address(liveHost(0)) + ":" + PORT));
        awaitAgents();
    }

    /** A host other than {@code not} whose agent runs (the lowest), for a seed; 1 when none runs. */
    private int liveHost(int not) {
        for (int i = 1; i <= agents.size(); i++) {
            if (i != not && agents.get(i - 1).process().isAlive()) {
                return i;
            }
        }
        return 1;
    }

    /**
     * Notes which agents this driver does not see alive and reachable (to be replaced
     * after the class), then closes it. A test class may call it to check what a
     * closed driver leaves; {@link #endClass} does otherwise.
     */
    public void closeDriver() {
        ClusterDriver d = driver;
        if (d == null) {
            return;
        }
        Set<String> seen = new TreeSet<>();
        d.agents().forEach(a -> seen.add(a.host()));
        for (int i = 1; i <= agents.size(); i++) {
            if (!agents.get(i - 1).process().isAlive() || !seen.contains("node" + i)) {
                lost.add(i);
            }
        }
        driver = null;
        d.close();
    }

    /**
     * The end of a test class on the shared cluster: its driver leaves; then nothing the class
     * started may be left (the agents that stay run no backend within 10 s, and no other child,
     * segment, namespace or link of this JVM is left but the shared hosts'); then the agents it
     * lost are replaced, in the background: the next class's {@link #openDriver} waits for them.
     */
    void endClass() throws Exception {
        try {
            closeDriver();
            Set<Long> keep = new TreeSet<>();
            for (int i = 1; i <= agents.size(); i++) {
                if (lost.contains(i)) {
                    agents.get(i - 1).kill();
                    continue;
                }
                keep.add(agents.get(i - 1).pid());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!backendsOn(i).isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("backends left on host " + i + " after the class: "
                                + backendsOn(i).stream().map(TestCluster::commandLine).toList());
                    }
                    Thread.sleep(50);
                }
            }
            ClusterLeftovers.assertNone(keep, hosts);
        } finally {
            for (int i : lost) {
                restartAgent(i);
            }
            lost.clear();
        }
    }

    /** Starts a new agent on host {@code i} (its old one ended), seeded by a running agent. */
    private void restartAgent(int i) throws IOException {
        agents.get(i - 1).kill();
        String seed = hosts.address(liveHost(i)) + ":" + PORT;
        agents.set(i - 1, hosts.startJava(i, NodeAgent.class.getName(), NodeAgentClusterTest.agentJvm(),
                NodeAgentClusterTest.agentArgs(hosts, i, PORT, keys, seed).toArray(String[]::new)));
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
            closeDriver();
        } finally {
            hosts.close();
        }
        ClusterLeftovers.assertNone();
    }
}
