package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import jvalkka.log.LogConfig;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.PipelineException;
import jvalkka.sgn.RunLimitException;
import jvalkka.shm.SharedMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14, "worker errors that go unsaid": every worker failure surfaces, a dead worker is
 * noticed on every loop, SGN's meaning of {@code subProcessShutdown(0)}, per-instance
 * {@code toShm} segments, no put after shutdown, {@code run(autoParallelize=false)}, a
 * standalone {@link WorkerContext}, {@code run(Duration)} and a loop cap.
 */
@Timeout(120)
class WorkerErrorsTest {
    private final ParallelizeTest leftovers = new ParallelizeTest();

    @AfterEach
    void nothingLeft() throws Exception {
        leftovers.nothingLeft();
    }

    /** What the SGN loggers print (ERROR is above the default WARN) while {@code body} runs. */
    static String logged(Runnable body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogConfig.setOutput(new PrintStream(out, true));
        try {
            body.run();
        } finally {
            LogConfig.setOutput(null);
        }
        return out.toString();
    }

    static Throwable[] all(Throwable e) {
        List<Throwable> out = new ArrayList<>();
        out.add(e.getCause());
        out.addAll(List.of(e.getSuppressed()));
        return out.toArray(new Throwable[0]);
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aWorkerThatThrowsAfterTheLastQueueOperationIsRaisedAndLogged(boolean threads) {
        ErrorElements.FailsAfterLast sink = new ErrorElements.FailsAfterLast("late", 3, threads);
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(3), sink);
        String log = logged(() -> {
            WorkerStoppedException e = assertThrows(WorkerStoppedException.class, () -> {
                try (Parallelize par = new Parallelize(p)) {
                    par.run();
                }
            });
            assertEquals("failed after the last item 3 in late", e.getCause().getMessage());
            assertSame(e.getCause(), sink.workerException(), "the element's accessor gives the worker's exception");
        });
        assertTrue(log.contains("failed after the last item 3 in late"), "logged:\n" + log);
        assertTrue(log.contains("ERROR"), log);
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aWorkerFailureThroughPipelineRunIsRaisedToo(boolean threads) {
        ErrorElements.FailsAfterLast sink = new ErrorElements.FailsAfterLast("late", 2, threads);
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(2), sink);
        WorkerStoppedException e = assertThrows(WorkerStoppedException.class, p::run);
        assertEquals("failed after the last item 2 in late", e.getCause().getMessage());
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void twoFailingWorkersAreBothReportedTheFirstAsCauseTheOtherSuppressed(boolean threads) {
        ErrorElements.FailsAfterLast a = new ErrorElements.FailsAfterLast("a", 3, threads);
        ErrorElements.FailsAfterLast b = new ErrorElements.FailsAfterLast("b", 3, threads);
        TestElements.Numbers src = new TestElements.Numbers(3);
        Pipeline p = new Pipeline().insert(src, a, b);
        p.connect(src, a);
        p.connect(src, b);
        WorkerStoppedException e = assertThrows(WorkerStoppedException.class, () -> {
            try (Parallelize par = new Parallelize(p)) {
                par.run();
            }
        });
        Set<String> messages = new TreeSet<>();
        for (Throwable t : all(e)) {
            messages.add(t.getMessage());
        }
        assertEquals(Set.of("failed after the last item 3 in a", "failed after the last item 3 in b"), messages,
                "both failures, once each: " + List.of(all(e)));
        assertEquals(1, e.getSuppressed().length, List.of(e.getSuppressed()).toString());
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aFailureDuringTheRunAndOneAfterAreBothReported(boolean threads) {
        TestElements.Squarer sq = ParallelizeTest.squarer(threads);
        sq.failAt = 2;
        ErrorElements.FailsAfterLast late = new ErrorElements.FailsAfterLast("late", 1, threads);
        TestElements.Numbers src = new TestElements.Numbers(1_000);
        TestElements.Collect collect = new TestElements.Collect();
        Pipeline p = new Pipeline().insert(src, late, sq, collect);
        p.connect(src, late);
        p.connect(src, sq);
        p.connect(sq, collect);
        WorkerStoppedException e = assertThrows(WorkerStoppedException.class, () -> {
            try (Parallelize par = new Parallelize(p)) {
                par.run();
            }
        });
        Set<String> messages = new TreeSet<>();
        for (Throwable t : all(e)) {
            messages.add(t.getMessage());
        }
        assertEquals(Set.of("cannot square 2", "failed after the last item 1 in late"), messages);
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aMainSideThatPollsIsEmptyNoticesADeadWorker(boolean threads) throws Exception {
        ErrorElements.PollingSource src = new ErrorElements.PollingSource(threads);
        Pipeline p = ParallelizeTest.chain(src, new TestElements.Collect());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (Parallelize par = new Parallelize(p)) {
            Thread runner = new Thread(() -> {
                try {
                    par.run();
                } catch (Throwable t) {
                    thrown.set(t);
                }
            }, "polling-run");
            runner.setDaemon(true);
            runner.start();
            assertTrue(src.terminated.await(60), "the worker failed at once");
            long died = System.nanoTime();
            runner.join(5_000);
            long ms = (System.nanoTime() - died) / 1_000_000;
            src.abort = true; // before the fix the run polls for ever: end it so that nothing is left behind
            runner.join(5_000);
            assertFalse(runner.isAlive(), "the run did not end");
            assertTrue(ms < 2_000, "the run noticed the dead worker only after " + ms + " ms");
            assertInstanceOf(WorkerStoppedException.class, thrown.get(), String.valueOf(thrown.get()));
            assertEquals("the source's worker fails at once", thrown.get().getCause().getMessage());
        } catch (WorkerStoppedException again) {
            // close() reports the same failure only if run() did not: it did
            throw new AssertionError("reported twice", again);
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void subProcessShutdownOfZeroWaitsAsLongAsItTakesAsInSgn(boolean threads) {
        TestElements.Squarer sq = ParallelizeTest.squarer(threads);
        sq.slowNanos = 20_000_000; // longer than the 10 ms the shutdown waits for each item
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(1), sq, new TestElements.Collect());
        try (Parallelize par = new Parallelize(p)) {
            for (int i = 1; i <= 15; i++) {
                sq.inQueue.put(new Frame(i));
            }
            List<Object> rest = sq.subProcessShutdown(0);
            assertEquals(15, rest.size());
            assertEquals(225, ((Frame) rest.get(14)).data());
        }
    }

    @Test
    void subProcessShutdownWithoutATimeoutWaitsAndANegativeOneIsRejected() {
        TestElements.Squarer sq = ParallelizeTest.squarer(true);
        sq.slowNanos = 2_000_000;
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(1), sq, new TestElements.Collect());
        try (Parallelize par = new Parallelize(p)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sq.subProcessShutdown(-1));
            assertTrue(e.getMessage().contains("0 waits as long as it takes"), e.getMessage());
            for (int i = 1; i <= 20; i++) {
                sq.inQueue.put(new Frame(i));
            }
            assertEquals(20, sq.subProcessShutdown().size());
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aPutAfterShutdownIsRejectedNotLost(boolean threads) {
        TestElements.Squarer sq = ParallelizeTest.squarer(threads);
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(1), sq, new TestElements.Collect());
        try (Parallelize par = new Parallelize(p)) {
            sq.inQueue.put(new Frame(1));
            assertEquals(1, sq.subProcessShutdown(30).size());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> sq.inQueue.put(new Frame(2)));
            assertTrue(e.getMessage().contains("subProcessShutdown"), e.getMessage());
            IllegalStateException get = assertThrows(IllegalStateException.class, () -> sq.outQueue.get(0.1));
            assertTrue(get.getMessage().contains("returned"), get.getMessage());
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aPutIntoAWorkerThatEndedIsRejectedAtOnce(boolean threads) throws Exception {
        TestElements.Squarer sq = ParallelizeTest.squarer(threads);
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(1), sq, new TestElements.Collect());
        try (Parallelize par = new Parallelize(p)) {
            sq.parallel.worker.requestStop(); // the worker ends, as at close
            assertTrue(sq.terminated.await(60));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> sq.inQueue.put(new Frame(2)));
            assertTrue(e.getMessage().contains("nothing will take this item"), e.getMessage());
        }
    }

    @Test
    void toShmSegmentsBelongToTheParallelizeThatAdoptedThem() throws Exception {
        String first = ParallelizeTest.testShm("first");
        String second = ParallelizeTest.testShm("second");
        Parallelize.toShm(first, new byte[] {1});
        Parallelize one = new Parallelize(null);
        Parallelize two = null;
        try {
            Parallelize.toShm(second, new byte[] {2});
            two = new Parallelize(null);
            one.close();
            assertFalse(SharedMemory.exists(first), "removed by the Parallelize that adopted it");
            assertTrue(SharedMemory.exists(second), "closing one Parallelize removed the segment of another");
            assertEquals(List.of(), one.ownShm());
            assertEquals(List.of(second), two.ownShm().stream().map(ShmRef::name).toList());
            assertEquals(List.of(second), Parallelize.shmList().stream().map(ShmRef::name).toList());
        } finally {
            one.close();
            if (two != null) {
                two.close();
            }
        }
        assertFalse(SharedMemory.exists(second));
        assertTrue(Parallelize.shmList().isEmpty());
    }

    @Test
    void runWithoutAutoParallelizeStartsNoWorker() {
        TestElements.Squarer sq = ParallelizeTest.squarer(true);
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(3), sq, new TestElements.Collect());
        PipelineException e = assertThrows(PipelineException.class, () -> p.run(false));
        assertTrue(e.getCause().getMessage().contains("not connected to a worker"), e.getMessage());
        assertEquals(-1, sq.workerPid());
        assertNull(sq.parallel.worker, "no worker was started");
    }

    @Test
    void runWithoutAutoParallelizeInsideAParallelizeUsesItsWorkers() {
        TestElements.Squarer sq = ParallelizeTest.squarer(true);
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(3), sq, snk);
        try (Parallelize par = new Parallelize(p)) {
            p.run(false);
        }
        assertEquals(List.of(1, 4, 9), snk.got);
    }

    @Test
    void aStandaloneWorkerContextUnitTestsAWorkerProcessWithoutAWorker() throws Exception {
        TestElements.Squarer sq = new TestElements.Squarer();
        WorkerContext ctx = WorkerContext.standalone();
        ctx.inputQueue().put(new Frame(7));
        sq.workerProcess(ctx);
        Frame out = ctx.outputQueue().get(1.0);
        assertEquals(49, out.data());
        assertThrows(Empty.class, () -> ctx.outputQueue().getNowait());
        sq.workerProcess(ctx); // nothing in: returns after its 0.1 s wait
        assertTrue(ctx.outputQueue().isEmpty());
        assertFalse(ctx.shouldShutdown());
        ctx.requestShutdown();
        assertTrue(ctx.shouldShutdown());
        ctx.requestStop();
        assertTrue(ctx.shouldStop());
        sq.failAt = 3;
        ctx.inputQueue().put(new Frame(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sq.workerProcess(ctx));
        assertEquals("cannot square 3", e.getMessage());
    }

    @Test
    void aWorkerContextOfARealWorkerCannotBeStoppedFromInside() {
        WorkerContext ctx = new WorkerContext(new ThreadQueue(2), new ThreadQueue(2), new WorkerContext.Control(),
                List.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, ctx::requestStop);
        assertTrue(e.getMessage().contains("standalone"), e.getMessage());
    }

    @Test
    void runWithATimeoutEndsAPipelineWhoseSourceNeverSendsEos() {
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(-1), snk);
        long start = System.nanoTime();
        RunLimitException e = assertThrows(RunLimitException.class, () -> p.run(Duration.ofMillis(300)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 300 && ms < 10_000, ms + " ms");
        assertTrue(e.getMessage().contains("did not reach EOS within 300 ms"), e.getMessage());
        assertTrue(e.getMessage().contains("collect"), "names the sinks not at EOS: " + e.getMessage());
        assertEquals(p.loops(), e.loops());
    }

    @Test
    void runWithALoopCapEndsAfterThatManyLoops() {
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(-1), snk);
        RunLimitException e = assertThrows(RunLimitException.class, () -> p.run(null, 100));
        assertEquals(100, p.loops());
        assertEquals(100, snk.got.size());
        assertTrue(e.getMessage().contains("did not reach EOS within 100 loops"), e.getMessage());
        // a pipeline that reaches EOS within its limits just ends
        TestElements.Collect done = new TestElements.Collect();
        ParallelizeTest.chain(new TestElements.Numbers(5), done).run(Duration.ofSeconds(60), 5);
        assertEquals(List.of(1, 2, 3, 4, 5), done.got);
        assertThrows(IllegalArgumentException.class, () -> p.run(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> p.run(null, 0));
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void parallelizeRunWithATimeoutStopsTheWorkersToo(boolean threads) {
        TestElements.Squarer sq = ParallelizeTest.squarer(threads);
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(-1), sq, new TestElements.Collect());
        try (Parallelize par = new Parallelize(p)) {
            RunLimitException e = assertThrows(RunLimitException.class, () -> par.run(Duration.ofMillis(500)));
            assertTrue(e.getMessage().contains("500 ms"), e.getMessage());
        }
        assertTrue(sq.terminated.isSet());
    }
}
