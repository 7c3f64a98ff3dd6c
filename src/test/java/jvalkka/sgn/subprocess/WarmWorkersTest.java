package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.WarmPool;
import jvalkka.sgn.Pipeline;

/** The process-mode workers of a pipeline's second run take the warm JVMs that its first run left. */
@Timeout(120)
class WarmWorkersTest {

    @AfterEach
    void nothingLeft() throws Exception {
        new ParallelizeTest().nothingLeft(); // stops the warm pool too; bounded
    }

    private static boolean isWarm(long pid) {
        return jvalkka.testing.CommandLines.of(ProcessHandle.of(pid).orElseThrow()).contains("-Djvalkka.warm=true");
    }

    private static void runTwoWorkers(boolean expectWarm) {
        TestElements.Squarer a = new TestElements.ProcessSquarer("square-a");
        TestElements.Squarer b = new TestElements.ProcessSquarer("square-b");
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(20), a, b, snk);
        try (Parallelize par = new Parallelize(p)) {
            assertEquals(expectWarm, isWarm(a.workerPid()), "the first worker's JVM, warm: " + expectWarm);
            assertEquals(expectWarm, isWarm(b.workerPid()), "the second worker's JVM, warm: " + expectWarm);
            par.run();
        }
        assertEquals(20, snk.got.size());
        for (int i = 0; i < 20; i++) {
            long x = i + 1;
            assertEquals(x * x * x * x, ((Number) snk.got.get(i)).longValue());
        }
    }

    @Test
    void aSecondRunsProcessWorkersTakeWarmJvms() throws Exception {
        runTwoWorkers(false);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (WarmPool.idle() != Parallelize.DEFAULT_WARM_POOL) {
            if (System.nanoTime() > deadline) {
                fail("the pool did not fill within 60 s: " + WarmPool.idle());
            }
            Thread.sleep(10); // polling a condition, not synchronising by time
        }
        runTwoWorkers(true);
        assertFalse(WarmPool.idle() > Parallelize.DEFAULT_WARM_POOL, "the pool stays bounded");
    }
}
