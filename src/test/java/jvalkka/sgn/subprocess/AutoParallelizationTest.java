package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.ServiceLoader;

import jvalkka.sgn.RunHook;
import jvalkka.testing.JavaProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link jvalkka.sgn.Pipeline#run()} reaches the subprocess layer through its service hook, not an import. */
@Timeout(60)
class AutoParallelizationTest {
    @AfterEach
    void nothingLeft() throws Exception {
        new ParallelizeTest().nothingLeft();
    }

    @Test
    void theServiceLoaderFindsTheSubprocessLayersHook() {
        List<String> hooks = ServiceLoader.load(RunHook.class).stream().map(p -> p.type().getName()).toList();
        assertEquals(List.of(AutoParallelization.class.getName()), hooks);
    }

    @Test
    void pipelineRunStartsTheWorkersInAJvmThatNeverNamedParallelize() throws Exception {
        JavaProgram.Result r = JavaProgram.run(AutoParallelizationProgram.class, 30);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("frames=100 last=10000 workerEnded=true"), r.output());
    }

    @Test
    void theHookLeavesAPipelineWithoutParallelizeElementsAlone() {
        TestElements.Collect snk = new TestElements.Collect();
        jvalkka.sgn.Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(3), snk);
        assertEquals(false, new AutoParallelization().runIfNeeded(p, null, Long.MAX_VALUE));
        assertEquals(List.of(), snk.got, "the hook ran a pipeline that was none of its business");
        p.run();
        assertEquals(List.of(1, 2, 3), snk.got);
    }
}
