package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import jvalkka.internal.RemoteBackend;
import jvalkka.internal.RemoteLauncher;
import jvalkka.internal.RemoteLaunchers;
import jvalkka.multiprocess.BackendOptions;
import jvalkka.testing.NetHosts;

/**
 * The driver starts backends through node agents ({@link ClusterDriver} as this
 * JVM's {@link RemoteLauncher}), and loses them with their node: three agents on
 * three test hosts, shared by the methods, which run in order (the faults last,
 * each costing the cluster a member). The backends here get a boot line that
 * never ends (no newline), so they wait on their standard input for as long as
 * their agent lives: what is tested is the start, the stop and the end of the
 * process, not a connection to a frontend.
 */
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteLaunchClusterTest {
    static final int PORT = ClusterSettings.DEFAULT_PORT;
    private static TestCluster cluster;
    private static NetHosts hosts;
    private static Path keys;
    private static final List<NetHosts.HostProcess> agents = new ArrayList<>();
    private static ClusterDriver driver;
    /** Backends started by the tests, by host number, so that the faults can check that none is left. */
    private static final Map<Integer, List<Long>> started = new HashMap<>();

    @BeforeAll
    static void startCluster() throws Exception {
        // the seed first, then the others (TestCluster): three agents booting at once next to other
        // work did not form a cluster within a minute at a load of 28 on 2 cores
        cluster = TestCluster.start(3);
        Assumptions.assumeTrue(cluster != null, NetHosts.unavailableReason());
        hosts = cluster.hosts;
        keys = cluster.keys;
        agents.addAll(cluster.agents);
        driver = cluster.driver;
    }

    static ClusterSettings settings(String host, int port, String seed) {
        return ClusterSettings.bind(host, port).withSeeds(List.of(seed)).withKeys(keys)
                .withFailureDetector(NodeAgent.parseDuration(NodeAgentClusterTest.HEARTBEAT),
                        NodeAgent.parseDuration(NodeAgentClusterTest.PAUSE))
                .withDownAfter(NodeAgent.parseDuration(NodeAgentClusterTest.DOWN_AFTER));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster == null) {
            return;
        }
        cluster.close(); // the driver, then the hosts, then the leftover check
        assertNull(RemoteLaunchers.installed(), "the closed driver is still the launcher");
        for (List<Long> pids : started.values()) {
            for (long pid : pids) {
                TestCluster.assertGone(pid, Duration.ofSeconds(10));
            }
        }
    }

    private static RemoteBackend launch(String node, Map<String, String> labels, String label) {
        RemoteBackend b = driver.launch(new RemoteLauncher.Request(node, labels, label, BackendOptions.SMALL_JVM, ""));
        int host = Integer.parseInt(b.host().substring("node node".length(), "node node".length() + 1));
        started.computeIfAbsent(host, k -> new ArrayList<>()).add(b.pid());
        return b;
    }

    /** {@code kill -SIG pid}. */
    private static void signal(long pid, String sig) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
        assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -" + sig + " " + pid);
    }

    private static String netns(long pid) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString();
    }

    @Test
    @Order(1)
    void theDriverIsThisJvmsRemoteLauncherAndNamesItsBindAddress() {
        assertSame(driver, RemoteLaunchers.installed());
        assertEquals(hosts.driverAddress(), driver.frontendAddress().getHostAddress());
        assertEquals(keys, driver.keysDir());
        assertThrows(IllegalStateException.class, () -> ClusterDriver.join(settings(hosts.driverAddress(), 0,
                hosts.address(1) + ":" + PORT)), "a second driver in one JVM");
    }

    @Test
    @Order(2)
    void aBackendStartsOnTheNamedNodeAsAChildOfItsAgentAndStopsWhenAsked() throws Exception {
        RemoteBackend b = launch("node2", Map.of(), "remote-one");
        assertTrue(b.host().startsWith("node node2 (" + hosts.address(2) + ")"), b.host());
        assertTrue(b.isAlive());
        ProcessHandle h = ProcessHandle.of(b.pid()).orElseThrow(() -> new AssertionError("no pid " + b.pid()));
        assertEquals(agents.get(1).pid(), h.parent().map(ProcessHandle::pid).orElse(-1L), "its parent is the agent");
        assertTrue(TestCluster.commandLine(b.pid()).contains("-Djvalkka.process=remote-one"), TestCluster.commandLine(b.pid()));
        if (hosts.mode() == NetHosts.Mode.NETNS) {
            assertEquals(netns(agents.get(1).pid()), netns(b.pid()), "runs in host 2's network namespace");
            // and in its agent's mount namespace, with a /dev/shm and /tmp of its own
            String mnt = Files.readSymbolicLink(Path.of("/proc/" + b.pid() + "/ns/mnt")).toString();
            assertEquals(Files.readSymbolicLink(Path.of("/proc/" + agents.get(1).pid() + "/ns/mnt")).toString(), mnt);
            assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString(), mnt);
        }
        b.destroyForcibly();
        assertTrue(b.waitFor(10, TimeUnit.SECONDS), "not stopped: " + b);
        assertEquals(137, b.exitValue(), b.toString());
        assertNull(b.exitReason(), "it exited by itself with its status");
        TestCluster.assertGone(b.pid(), Duration.ofSeconds(5));
    }

    @Test
    @Order(3)
    void aBackendThatFailsReportsItsStatusAndTheLastLinesOfItsStandardError() throws Exception {
        RemoteBackend b = driver.launch(new RemoteLauncher.Request("node1", Map.of(), "bad-boot",
                BackendOptions.SMALL_JVM, "not a boot line\n"));
        assertTrue(b.waitFor(30, TimeUnit.SECONDS), "did not exit: " + b);
        assertEquals(2, b.exitValue());
        String err = new String(b.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(err.contains("is started by MessageProcess.start()"), err);
        String log = agents.get(0).output();
        assertTrue(log.contains("[node node1 backend bad-boot pid " + b.pid() + "] "), log);
    }

    @Test
    @Order(4)
    void placementsChooseByLabelsAndSpreadByBackendsPerCore() throws Exception {
        RemoteBackend gpu = launch(null, Map.of("gpu", "true"), "on-gpu");
        assertTrue(gpu.host().startsWith("node node2 "), gpu.host());
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> launch(null, Map.of("zone", "z9"), "nowhere"));
        assertTrue(none.getMessage().contains("Placement.any().andLabel(zone, z9)"), none.getMessage());
        assertTrue(none.getMessage().contains("node node3 (" + hosts.address(3) + ")"), none.getMessage());
        IllegalStateException unknown = assertThrows(IllegalStateException.class,
                () -> launch("node7", Map.of(), "nowhere"));
        assertTrue(unknown.getMessage().contains("Placement.node(node7)"), unknown.getMessage());
        // cores 1, 2, 3; node2 has one already: fewest per core is node3 (0), node1 (0), then node3 (1/3)
        List<String> hostsOf = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            hostsOf.add(launch(null, Map.of(), "any-" + k).host().split(" ")[1]);
        }
        assertEquals(List.of("node1", "node3", "node3"), hostsOf);
    }

    /** Starts a {@link TestDriverMain} on host 3, port {@code port}, with {@code more} arguments; returns the pids of its backends. */
    private static List<Long> otherDriver(NetHosts.HostProcess[] started, int port, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(hosts.address(3) + ":" + port, hosts.address(1) + ":" + PORT,
                keys.toString(), NodeAgentClusterTest.HEARTBEAT, NodeAgentClusterTest.PAUSE,
                NodeAgentClusterTest.DOWN_AFTER, "3"));
        args.addAll(List.of(more));
        NetHosts.HostProcess other = hosts.startJava(3, TestDriverMain.class.getName(),
                NodeAgentClusterTest.agentJvm(), args.toArray(String[]::new));
        started[0] = other;
        String line = other.awaitLine(l -> l.startsWith("backends "), Duration.ofSeconds(60));
        assertNotNull(line, other.output());
        List<Long> pids = new ArrayList<>();
        for (String f : line.substring("backends ".length()).split(" ")) {
            long pid = Long.parseLong(f.substring(f.indexOf('=') + 1));
            assertTrue(ProcessHandle.of(pid).isPresent(), "backend " + f + " runs");
            pids.add(pid);
        }
        assertEquals(3, pids.size(), line);
        return pids;
    }

    @Test
    @Order(5)
    void aDriverThatLeavesCleanlyHasItsBackendsStoppedOnEveryNode() throws Exception {
        NetHosts.HostProcess[] other = new NetHosts.HostProcess[1];
        List<Long> pids = otherDriver(other, PORT + 2, "close");
        assertNotNull(other[0].awaitLine(l -> l.equals("closed"), Duration.ofSeconds(30)), other[0].output());
        for (long pid : pids) {
            TestCluster.assertGone(pid, Duration.ofSeconds(10));
        }
        assertTrue(other[0].process().waitFor(20, TimeUnit.SECONDS), other[0].output());
    }

    @Test
    @Order(6)
    void aKilledDriversBackendsAreStoppedOnEveryNode() throws Exception {
        NetHosts.HostProcess[] other = new NetHosts.HostProcess[1];
        List<Long> pids = otherDriver(other, PORT + 3);
        other[0].kill(); // kill -9
        // the agents learn it when the cluster removes the driver: detection, then the down-after time
        Duration bound = NodeAgent.parseDuration(NodeAgentClusterTest.DOWN_AFTER).plusSeconds(20);
        for (long pid : pids) {
            TestCluster.assertGone(pid, bound);
        }
    }

    @Test
    @Order(7)
    void aStoppedNodeEndsItsBackendsWithAReasonNamingItAndTheyAreStoppedWhenItComesBack() throws Exception {
        Assumptions.assumeTrue(hosts.canPartition(), "SIGSTOP test runs with namespaces; ran " + hosts.mode());
        RemoteBackend b = launch("node1", Map.of(), "on-stopped");
        long t0 = System.nanoTime();
        signal(agents.get(0).pid(), "STOP");
        try {
            assertTrue(b.onExit().isDone() || b.waitFor(10, TimeUnit.SECONDS), "not ended: " + b);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.println("SIGSTOP of the agent reported in " + ms + " ms");
            assertEquals(-1, b.exitValue());
            assertTrue(b.exitReason().startsWith("node node1 (" + hosts.address(1) + ") unreachable"), b.exitReason());
            assertTrue(ms <= NodeAgentClusterTest.DETECT_LIMIT.toMillis() + 500, "reported after " + ms + " ms");
        } finally {
            signal(agents.get(0).pid(), "CONT");
        }
        // reachable again: the driver has the agent end the backend it gave up
        TestCluster.assertGone(b.pid(), Duration.ofSeconds(20));
    }

    @Test
    @Order(8)
    void aNodeCutOffEndsItsBackendsWithAReasonNamingItAndLeavesNoneRunning() throws Exception {
        Assumptions.assumeTrue(hosts.canPartition(), "a partition needs network namespaces; ran " + hosts.mode());
        RemoteBackend b = launch("node2", Map.of(), "on-cut-off");
        long t0 = System.nanoTime();
        hosts.linkDown(2);
        try {
            assertTrue(b.waitFor(10, TimeUnit.SECONDS), "not ended: " + b);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.println("link down reported in " + ms + " ms");
            assertEquals(-1, b.exitValue());
            assertTrue(b.exitReason().startsWith("node node2 (" + hosts.address(2) + ") unreachable"), b.exitReason());
            assertTrue(ms <= NodeAgentClusterTest.DETECT_LIMIT.toMillis() + 500, "reported after " + ms + " ms");
            // the cut-off agent downs itself and exits; its backends go with it
            for (long pid : started.get(2)) {
                TestCluster.assertGone(pid, Duration.ofSeconds(40));
            }
        } finally {
            hosts.linkUp(2);
        }
    }

    @Test
    @Order(9)
    void aKilledAgentEndsItsBackendsWithAReasonNamingItAndLeavesNoneRunning() throws Exception {
        RemoteBackend b = launch("node3", Map.of(), "on-killed");
        long t0 = System.nanoTime();
        agents.get(2).process().destroyForcibly(); // kill -9
        assertTrue(b.waitFor(10, TimeUnit.SECONDS), "not ended: " + b);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("kill -9 of the agent reported in " + ms + " ms");
        assertEquals(-1, b.exitValue());
        assertTrue(b.exitReason().startsWith("node node3 (" + hosts.address(3) + ") "), b.exitReason());
        assertTrue(ms <= NodeAgentClusterTest.DETECT_LIMIT.toMillis() + 500, "reported after " + ms + " ms");
        for (long pid : started.get(3)) {
            TestCluster.assertGone(pid, Duration.ofSeconds(10));
        }
    }
}
