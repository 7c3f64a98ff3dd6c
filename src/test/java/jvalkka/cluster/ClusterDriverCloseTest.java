package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.internal.RemoteBackend;
import jvalkka.internal.RemoteLauncher;
import jvalkka.multiprocess.BackendOptions;
import jvalkka.testing.NetHosts;

/**
 * A driver closes promptly when members of its cluster are lost: its leave does not wait for
 * the lost members to be downed (Pekko's coordinated shutdown waited out its cluster-exiting
 * phase, 10 s, for a leave the cluster could not complete while a member was unreachable), and
 * the backends it placed on nodes still reachable are stopped all the same.
 */
@Timeout(150)
class ClusterDriverCloseTest {
    /** Far above a close that does not wait for the lost members, below the 10 s phase it waited. */
    static final Duration CLOSE_LIMIT = Duration.ofSeconds(5);

    @AfterAll
    static void noLeftovers() throws Exception {
        ClusterLeftovers.assertNone();
    }

    @Test
    void aDriverClosesPromptlyAfterAMemberIsLostAndStillStopsItsBackendOnTheOthers() throws Exception {
        TestCluster c = TestCluster.start(2);
        Assumptions.assumeTrue(c != null, NetHosts.unavailableReason());
        try {
            RemoteBackend kept = c.driver.launch(new RemoteLauncher.Request("node1", Map.of(), "close-kept",
                    BackendOptions.SMALL_JVM, "")); // no boot line's end: it waits for its agent's stop
            assertTrue(c.backendsOn(1).contains(kept.pid()), "placed on node1: " + c.backendsOn(1));
            AgentInfo lost = c.driver.agents().stream().filter(a -> a.host().equals("node2")).findFirst().orElseThrow();
            long t0 = System.nanoTime();
            kill9(c.agents.get(1).pid());
            assertNotNull(c.driver.awaitEvent(e -> e.kind() == ClusterDriver.Kind.UNREACHABLE
                    && e.address().equals(lost.address()), t0, Duration.ofSeconds(30)),
                    "kill -9 not detected: " + c.driver.events());
            assertClosesWithin(c.driver);
            TestCluster.assertGone(kept.pid(), Duration.ofSeconds(10));
        } finally {
            c.close();
        }
    }

    @Test
    void aDriverWhoseAgentsAreAllLostClosesPromptly() throws Exception {
        TestCluster c = TestCluster.start(2);
        Assumptions.assumeTrue(c != null, NetHosts.unavailableReason());
        try {
            List<AgentInfo> all = c.driver.agents();
            long t0 = System.nanoTime();
            for (NetHosts.HostProcess a : c.agents) {
                kill9(a.pid());
            }
            for (AgentInfo a : all) {
                assertNotNull(c.driver.awaitEvent(e -> e.kind() == ClusterDriver.Kind.UNREACHABLE
                        && e.address().equals(a.address()), t0, Duration.ofSeconds(30)),
                        "kill -9 not detected: " + c.driver.events());
            }
            assertClosesWithin(c.driver);
        } finally {
            c.close();
        }
    }

    private static void assertClosesWithin(ClusterDriver driver) {
        long t0 = System.nanoTime();
        driver.close();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("driver closed in " + ms + " ms with a member lost");
        assertTrue(ms < CLOSE_LIMIT.toMillis(), "the driver took " + ms + " ms to close, over " + CLOSE_LIMIT);
    }

    /** kill -9 of a process this test started (an agent), by its pid. */
    private static void kill9(long pid) throws Exception {
        Process k = new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start();
        assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -9 " + pid);
    }
}
