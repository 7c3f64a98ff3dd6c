package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.Placement;
import jvalkka.pool.ProcessQueue;
import jvalkka.pool.Result;

/**
 * A {@code ProcessQueue} whose workers are placed on named nodes, two per node on
 * three nodes (as {@code scripts/bench cluster} runs it), loses a node while items
 * are in flight: every item still yields exactly one result, in input order
 * through {@code map}, the lost node's items retried once on the others.
 */
@Timeout(240)
class ProcessQueueClusterTest {
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(3);
        Assumptions.assumeTrue(cluster != null, jvalkka.testing.NetHosts.unavailableReason());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aQueueOnNamedNodesThatLosesANodeAnswersEveryItemOnceAndMapKeepsInputOrder() throws Exception {
        List<Integer> in = IntStream.range(0, 240).boxed().toList();
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.<Integer, Integer>of(x -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return x + 1;
        }).name("named").workers(6).placements(Placement.node("node1"), Placement.node("node2"),
                Placement.node("node3")).start()) {
            List<Long> onNode3 = cluster.backendsOn(3);
            assertTrue(onNode3.size() >= 2, "two workers on host 3: " + onNode3);
            for (Integer x : in) {
                q.put(x);
            }
            Integer[] out = new Integer[in.size()];
            List<String> failed = new ArrayList<>();
            for (int k = 0; k < in.size(); k++) {
                Result<Integer, Integer> r = q.get(Duration.ofSeconds(60));
                assertNotNull(r, "result " + k + " of " + in.size() + " did not come: " + q);
                if (!r.ok()) {
                    failed.add(r.toString());
                }
                assertNull(out[(int) r.index()], "item " + r.index() + " twice");
                out[(int) r.index()] = r.value();
                if (k == 30) { // items in flight on every worker: kill -9 node3's agent (its workers die with it)
                    cluster.agents.get(2).process().destroyForcibly();
                }
            }
            assertEquals(List.of(), failed, "no item fails: the lost node's items are retried once");
            assertEquals(in.stream().map(x -> x + 1).toList(), List.of(out), "every item once");
            for (long pid : onNode3) {
                TestCluster.assertGone(pid, Duration.ofSeconds(10));
            }
            // the pool goes on with the workers left, the named node's replacements failing to start
            assertEquals(in.stream().map(x -> x + 1).toList(), q.map(in), "map after the loss, in input order");
        }
    }
}
