package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import jvalkka.sgn.Pipeline;
import jvalkka.sgn.sources.StatsSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link StatsSource} reports each worker JVM of a running {@link Parallelize}. */
@Timeout(120)
class StatsSourceWorkersTest {
    private final ParallelizeTest leftovers = new ParallelizeTest();

    @AfterEach
    void nothingLeft() throws Exception {
        leftovers.nothingLeft();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @Test
    void eachWorkerJvmIsReportedWithItsNameThreadsAndMemory() {
        TestElements.Squarer sq = ParallelizeTest.squarer(false);
        TestElements.Collect collect = new TestElements.Collect();
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(3), sq, collect);
        StatsSource stats = new StatsSource("stats", "stats");
        try (Parallelize par = new Parallelize(p)) {
            List<Map<String, Object>> workers = stats.collectWorkerStats();
            Map<String, Object> w = workers.stream().filter(m -> m.get("pid").equals(sq.workerPid())).findFirst()
                    .orElseThrow(() -> new AssertionError("worker " + sq.workerPid() + " not in " + workers));
            assertEquals("WorkerProcess.worker-squarer", w.get("worker"), "its jvalkka process label");
            assertTrue((Long) w.get("num_threads") > 1, w.toString());
            assertTrue((Long) map(w.get("memory")).get("rss") > 0, w.toString());
            assertEquals(0.0, w.get("cpu_percent"), "the first sample");
            par.run();
            Map<String, Object> again = stats.collectWorkerStats().stream()
                    .filter(m -> m.get("pid").equals(sq.workerPid())).findFirst().orElseThrow();
            assertTrue((Double) again.get("cpu_percent") >= 0.0, again.toString());
        }
        assertEquals(List.of(1, 4, 9), collect.got);
        assertTrue(stats.collectWorkerStats().stream().noneMatch(m -> m.get("pid").equals(sq.workerPid())),
                "an ended worker is not listed");
    }
}
