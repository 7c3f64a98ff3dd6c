package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

import jvalkka.testing.NetHosts;

/**
 * Three node agents on three test hosts (network namespaces, or 127.x
 * addresses without root) and a driver in this JVM, sharing one cluster across
 * the methods, which run in order: discovery first, then the faults (a
 * certificate from another cluster, a partition, a kill -9), each of which costs
 * the cluster a member. Test failure-detector settings: 200 ms heartbeats,
 * 3 s acceptable pause, removal 10 s after; a lost agent is reported within the
 * detector's bound for them ({@link #DETECT_LIMIT}).
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeAgentClusterTest {
    static final int PORT = ClusterSettings.DEFAULT_PORT;
    // Test settings: 200 ms heartbeats, a 3 s pause. With a 1 s pause, while the cluster formed on a
    // machine at a load of 20-30 (four JVMs booting at once besides other work), heartbeats came
    // 1.0-2.5 s apart and a fresh detector gave up after 1.7 s of silence: members were marked
    // unreachable by mistake, one agent saw the driver unreachable while the others did not, and the
    // split-brain resolver downed every member for that ("indirectly connected", seen in
    // FalseSuspicionClusterTest's runs and in CI). The 3 s pause rides that out; a kill -9 is then
    // found after the killed agent's backend has closed its channel, which the frontend waits for
    // (ClusterDriver.lossNoticeWithin). -Djvalkka.test.cluster.pause=1s (and .heartbeat, .downAfter,
    // .jitter, .detectLimit) for other settings.
    static final String HEARTBEAT = System.getProperty("jvalkka.test.cluster.heartbeat", "200ms");
    static final String PAUSE = System.getProperty("jvalkka.test.cluster.pause", "3000ms");
    static final String DOWN_AFTER = System.getProperty("jvalkka.test.cluster.downAfter", "10s");
    // How soon a lost agent must be reported: the failure detector's own bound for these settings
    // (ClusterSettings.detectionTime: the last reply's age + the mean interval + the pause + 5.23
    // standard deviations of the heartbeat intervals + a reaper tick), for a heartbeat jitter of
    // JITTER. The phi detector waits 5.23 ms longer per ms of jitter, by design (a slow member is not
    // a lost one), and a busy machine makes heartbeats jitter: the driver's detector had learnt a
    // standard deviation of 139-145 ms at a load of 28 on 2 cores, which made a link down take 2.0-2.4 s
    // against the flat 2 s this test used to allow. JITTER allows 250 ms: with a 3 s pause 4.30 s quiet,
    // 5.08 s with it (with a 1 s pause 2.05 and 2.83 s).
    static final Duration JITTER = NodeAgent.parseDuration(System.getProperty("jvalkka.test.cluster.jitter", "250ms"));
    static final Duration DETECT_LIMIT = System.getProperty("jvalkka.test.cluster.detectLimit") != null
            ? NodeAgent.parseDuration(System.getProperty("jvalkka.test.cluster.detectLimit"))
            : ClusterSettings.bind("127.0.0.1", 0).withFailureDetector(NodeAgent.parseDuration(HEARTBEAT),
                    NodeAgent.parseDuration(PAUSE)).detectionTime(JITTER);
    private static TestCluster cluster;
    private static NetHosts hosts;
    private static final List<NetHosts.HostProcess> agents = new ArrayList<>();
    private static ClusterDriver driver;

    static List<String> agentArgs(NetHosts h, int i, int port, Path keyDir, String seed) {
        return agentArgs(h, i, port, keyDir, seed, DOWN_AFTER);
    }

    static List<String> agentArgs(NetHosts h, int i, int port, Path keyDir, String seed, String downAfter) {
        return List.of("--bind", h.address(i) + ":" + port, "--seed", seed, "--keys", keyDir.toString(),
                "--host", "node" + i, "--cores", Integer.toString(i), "--label", "zone=z" + i, "--label", "gpu=" + (i == 2),
                "--heartbeat", HEARTBEAT, "--failure-pause", PAUSE, "--down-after", downAfter);
    }

    static List<String> agentJvm() {
        return List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-Xmx128m");
    }

    @BeforeAll
    static void startCluster() throws Exception {
        // the seed first, then the others (TestCluster): three agents booting at once next to other
        // work did not form a cluster within a minute at a load of 28 on 2 cores
        cluster = TestCluster.start(3);
        Assumptions.assumeTrue(cluster != null, NetHosts.unavailableReason());
        hosts = cluster.hosts;
        agents.addAll(cluster.agents);
        driver = cluster.driver;
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close(); // the driver, then the hosts, then the leftover check
        }
    }

    private static AgentInfo agentOn(int host) {
        return driver.agents().stream().filter(a -> a.host().equals("node" + host)).findFirst()
                .orElseThrow(() -> new AssertionError("no agent node" + host + " in " + driver.agents()));
    }

    @Test
    @Order(1)
    void theDriverSeesAllThreeAgentsWithTheirHostsCoresAndLabels() throws Exception {
        List<AgentInfo> seen;
        try {
            seen = driver.awaitAgents(3, Duration.ofSeconds(60));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.output(), e);
        }
        assertEquals(3, seen.size(), seen.toString());
        for (int i = 1; i <= 3; i++) {
            AgentInfo a = agentOn(i);
            assertEquals(i, a.cores());
            assertEquals(Map.of("zone", "z" + i, "gpu", Boolean.toString(i == 2)), a.labels());
            assertTrue(a.address().contains("@" + hosts.address(i) + ":" + PORT), a.address());
            assertEquals(agents.get(i - 1).pid() > 0, a.pid() > 0);
        }
        assertEquals(List.of("node2"), driver.agentsLabelled("gpu", "true").stream().map(AgentInfo::host).toList());
    }

    @Test
    @Order(2)
    void anAgentWithAnotherClustersCertificateCannotJoin() throws Exception {
        Path otherKeys = TestKeys.of("cluster-b");
        List<String> args = new ArrayList<>(agentArgs(hosts, 3, PORT + 1, otherKeys, hosts.address(1) + ":" + PORT));
        args.set(args.indexOf("--host") + 1, "intruder");
        NetHosts.HostProcess intruder = hosts.startJava(3, NodeAgent.class.getName(), agentJvm(),
                args.toArray(String[]::new));
        try {
            assertNotNull(intruder.awaitLine(l -> l.contains("jvalkka node: started"), Duration.ofSeconds(30)),
                    intruder.output());
            // its join attempts (seed-node-timeout 1 s) fail the TLS handshake: give it several
            long t0 = System.nanoTime();
            assertNull(driver.awaitEvent(e -> e.info() != null && e.info().host().equals("intruder"), t0,
                    Duration.ofSeconds(5)), "an agent with a foreign certificate joined");
            assertNull(intruder.awaitLine(l -> l.contains("jvalkka node: up"), Duration.ofMillis(1)), intruder.output());
            assertEquals(3, driver.agents().size(), driver.agents().toString());
        } finally {
            intruder.kill();
        }
    }

    @Test
    @Order(3)
    void aPartitionedAgentIsDetectedAndRemovedAndLeavesByItself() throws Exception {
        Assumptions.assumeTrue(hosts.canPartition(), "a partition needs network namespaces; ran " + hosts.mode());
        AgentInfo a2 = agentOn(2);
        long t0 = System.nanoTime();
        hosts.linkDown(2);
        try {
            ClusterDriver.Event lost = driver.awaitEvent(e -> e.kind() == ClusterDriver.Kind.UNREACHABLE
                    && e.address().equals(a2.address()), t0, DETECT_LIMIT.plusSeconds(10));
            assertNotNull(lost, "link down not detected: " + driver.events());
            long ms = TimeUnit.NANOSECONDS.toMillis(lost.nanoTime() - t0);
            System.out.println("partition detected in " + ms + " ms");
            assertTrue(ms <= DETECT_LIMIT.toMillis(), "detected after " + ms + " ms, over the failure detector's bound "
                    + DETECT_LIMIT.toMillis() + " ms (heartbeat jitter up to " + JITTER.toMillis() + " ms)");
            assertNotNull(driver.awaitEvent(e -> e.kind() == ClusterDriver.Kind.REMOVED
                    && e.address().equals(a2.address()), t0, Duration.ofSeconds(30)), "not removed: " + driver.events());
            // the cut-off agent is the minority: it downs itself and exits, for its supervisor to restart
            assertTrue(agents.get(1).process().waitFor(30, TimeUnit.SECONDS), agents.get(1).output());
        } finally {
            hosts.linkUp(2);
        }
        assertEquals(2, driver.agents().size(), driver.agents().toString());
    }

    @Test
    @Order(4)
    void aKilledAgentIsDetectedWithinTheFailureDetectorsBound() throws Exception {
        AgentInfo a3 = agentOn(3);
        long t0 = System.nanoTime();
        agents.get(2).process().destroyForcibly(); // kill -9
        ClusterDriver.Event lost = driver.awaitEvent(e -> e.kind() == ClusterDriver.Kind.UNREACHABLE
                && e.address().equals(a3.address()), t0, DETECT_LIMIT.plusSeconds(10));
        assertNotNull(lost, "kill -9 not detected: " + driver.events());
        long ms = TimeUnit.NANOSECONDS.toMillis(lost.nanoTime() - t0);
        System.out.println("kill -9 detected in " + ms + " ms");
        assertTrue(ms <= DETECT_LIMIT.toMillis(), "detected after " + ms + " ms, over the failure detector's bound "
                + DETECT_LIMIT.toMillis() + " ms (heartbeat jitter up to " + JITTER.toMillis() + " ms)");
        assertNotNull(driver.awaitEvent(e -> e.kind() == ClusterDriver.Kind.REMOVED
                && e.address().equals(a3.address()), t0, Duration.ofSeconds(30)), "not removed: " + driver.events());
        assertTrue(driver.agents().stream().noneMatch(a -> a.address().equals(a3.address())), driver.agents().toString());
    }
}
