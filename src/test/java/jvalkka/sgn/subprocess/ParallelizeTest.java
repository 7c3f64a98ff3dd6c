package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.shm.SegmentExistsException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(180)
class ParallelizeTest {
    static final BackendOptions BIG_HEAP = BackendOptions.defaults().withExtraJvmArgs("-Xmx400m");

    @AfterEach
    void nothingLeft() throws Exception {
        jvalkka.multiprocess.WarmPool.stopAll(); // the spares Parallelize keeps for the next run
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ProcessHandle.current().descendants().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            ProcessHandle.current().descendants().findFirst().ifPresent(h -> {
                try { // bounded: a child that does not end fails the check below instead of hanging the suite
                    h.onExit().get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (Exception notYet) {
                    // still alive at the deadline, or interrupted: the assertion names it
                }
            });
        }
        assertEquals(List.of(), ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(h -> h.pid() + " " + jvalkka.testing.CommandLines.of(h)).toList(), "child JVMs left");
        assertEquals(List.of(), ourSegments(), "segments left in /dev/shm");
    }

    /** This JVM's segments: the rings, and the toShm ones of the tests (named by {@link #testShm}). */
    static List<String> ourSegments() throws IOException {
        String prefix = "jvsgn-" + ProcessHandle.current().pid() + "-";
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
        }
    }

    /** A toShm name of this JVM: /dev/shm is shared by every program (and test run) on the machine. */
    static String testShm(String what) {
        return "jvsgn-" + ProcessHandle.current().pid() + "-test-" + what;
    }

    static TestElements.Squarer squarer(boolean threads) {
        TestElements.Squarer s = threads ? new TestElements.ThreadSquarer() : new TestElements.ProcessSquarer();
        s.setBackendOptions(BIG_HEAP);
        return s;
    }

    static Pipeline chain(jvalkka.sgn.Element... es) {
        Pipeline p = new Pipeline();
        p.insert(es);
        for (int i = 0; i + 1 < es.length; i++) {
            p.connect(es[i], es[i + 1]);
        }
        return p;
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void squaresInOrderThroughPipelineRun(boolean threads) {
        TestElements.Numbers src = new TestElements.Numbers(2000);
        TestElements.Squarer sq = squarer(threads);
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = chain(src, sq, snk);
        assertTrue(Parallelize.needsParallelization(p));
        p.run(); // automatic Parallelize
        assertEquals(2000, snk.got.size());
        for (int i = 0; i < 2000; i++) {
            assertEquals((i + 1) * (i + 1), snk.got.get(i));
        }
        assertTrue(sq.terminated.isSet(), "the worker ended on close");
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void workerExceptionSurfacesWithItsCause(boolean threads) {
        TestElements.Squarer sq = squarer(threads);
        sq.failAt = 7;
        Pipeline p = chain(new TestElements.Numbers(1_000_000), sq, new TestElements.Collect());
        WorkerStoppedException e = assertThrows(WorkerStoppedException.class, () -> {
            try (Parallelize par = new Parallelize(p)) {
                par.run();
            }
        });
        assertEquals("worker stopped before EOS", e.getMessage());
        Throwable cause = e.getCause();
        assertInstanceOf(IllegalArgumentException.class, cause);
        assertEquals("cannot square 7", cause.getMessage());
        assertTrue(Arrays.stream(cause.getStackTrace()).anyMatch(f -> f.getMethodName().equals("workerProcess")),
                "the worker's stack trace came along");
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aSlowWorkerBlocksTheProducerWithinTheQueueBound(boolean threads) {
        int frames = 250; // frame numbers stay below 256: they are checked as bytes
        int size = 64 << 10;
        TestElements.SlowSink snk = threads ? new TestElements.ThreadSlowSink() : new TestElements.SlowSink();
        snk.setQueueMaxsize(8);
        snk.setRingBytes(1 << 20);
        snk.setBackendOptions(BIG_HEAP);
        Pipeline p = chain(new TestElements.Blobs(frames, size), snk);
        try (Parallelize par = new Parallelize(p)) {
            par.run();
        }
        assertEquals(frames, snk.acked, "nothing dropped");
        assertTrue(snk.inOrder, "in order, checked by the worker");
        // bound: a full input queue, the frame in the worker's hands, an answer not yet read
        int bound = threads ? 8 + 2 : (1 << 20) / size + 2;
        assertTrue(snk.maxInFlight <= bound, "in flight " + snk.maxInFlight + " > bound " + bound);
        assertTrue(snk.maxInFlight >= bound / 2, "the queue did fill: " + snk.maxInFlight);
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void a64MiBFrameArrivesWhole(boolean threads) {
        int size = 64 << 20;
        TestElements.Squarer sq = squarer(threads);
        sq.window = 1; // one 64 MiB frame at a time each way: keeps this JVM's heap small
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = chain(new TestElements.Blobs(2, size), sq, snk);
        try (Parallelize par = new Parallelize(p)) {
            par.run();
        }
        assertEquals(2, snk.got.size());
        byte[] b = (byte[]) snk.got.get(1);
        assertEquals(size, b.length);
        assertEquals((byte) ~2, b[0]);
        byte[] expectedTail = new byte[size - 1];
        Arrays.fill(expectedTail, (byte) 2);
        assertArrayEquals(expectedTail, Arrays.copyOfRange(b, 1, size));
    }

    /**
     * Both queues full at once: the main side puts every frame (each four times a ring, in
     * process mode) before it takes any result back, so the worker blocks on its full output
     * while the main side blocks on the full input. The main side must take the results in
     * while it waits, or both wait for ever.
     */
    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void puttingEverythingBeforeTakingAnythingBackDoesNotDeadlock(boolean threads) throws Exception {
        int frames = 8;
        int size = 256 << 10;
        TestElements.Squarer sq = squarer(threads);
        sq.batch = true;
        sq.setQueueMaxsize(2);
        sq.setRingBytes(64 << 10);
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = chain(new TestElements.Blobs(frames, size), sq, snk);
        try (Parallelize par = new Parallelize(p)) {
            Thread runner = new Thread(par::run, "deadlock-test");
            runner.setDaemon(true);
            runner.start();
            runner.join(30_000);
            assertTrue(!runner.isAlive(), "deadlocked: got " + snk.got.size() + " of " + frames);
        }
        assertEquals(frames, snk.got.size());
        for (int i = 1; i <= frames; i++) {
            byte[] b = (byte[]) snk.got.get(i - 1);
            assertEquals(size, b.length);
            assertEquals((byte) ~i, b[0]);
            assertEquals((byte) i, b[size - 1]);
        }
    }

    @Test
    void aKilledWorkerJvmIsNoticedWithinASecond() throws Exception {
        TestElements.Squarer sq = squarer(false);
        sq.slowNanos = 1_000_000;
        Pipeline p = chain(new TestElements.Numbers(1_000_000), sq, new TestElements.Collect());
        long[] killedAt = new long[1];
        try (Parallelize par = new Parallelize(p)) {
            Thread killer = new Thread(() -> {
                // kill the worker once it runs (any moment after that will do); under load a worker JVM
                // can take longer than a fixed pause to start, and then nothing was killed and the
                // million slow frames ran on
                long deadline = System.nanoTime() + 60_000_000_000L;
                try {
                    while (sq.workerPid() < 0 && System.nanoTime() < deadline) {
                        Thread.sleep(5); // polling a condition, not synchronising by time
                    }
                } catch (InterruptedException e) {
                    return;
                }
                killedAt[0] = System.nanoTime();
                ProcessHandle.of(sq.workerPid()).ifPresent(ProcessHandle::destroyForcibly);
            });
            killer.start();
            WorkerStoppedException e = assertThrows(WorkerStoppedException.class, par::run);
            long noticedMs = (System.nanoTime() - killedAt[0]) / 1_000_000;
            killer.join();
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("pid " + sq.workerPid()), e.getCause().getMessage());
            assertTrue(noticedMs < 1000, "noticed after " + noticedMs + " ms");
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void orderlyShutdownReturnsTheRemainingOutput(boolean threads) {
        TestElements.Squarer sq = squarer(threads);
        Pipeline p = chain(new TestElements.Numbers(1), sq, new TestElements.Collect());
        try (Parallelize par = new Parallelize(p)) {
            for (int i = 1; i <= 50; i++) {
                sq.inQueue.put(new Frame(i));
            }
            List<Object> rest = sq.subProcessShutdown(30);
            assertEquals(50, rest.size());
            List<Object> data = new ArrayList<>();
            rest.forEach(f -> data.add(((Frame) f).data()));
            assertEquals(2500, data.get(49));
            assertTrue(sq.terminated.isSet());
        }
    }

    @Test
    void toShmRejectsADuplicateNameAndIsRemovedOnClose() throws Exception {
        String name = testShm("dup");
        ShmRef ref = Parallelize.toShm(name, new byte[] {1, 2, 3});
        try {
            SegmentExistsException e = assertThrows(SegmentExistsException.class,
                    () -> Parallelize.toShm(name, new byte[] {4}));
            assertTrue(e.getMessage().contains(name), e.getMessage());
            assertEquals(3, ref.shm().buffer().getByte(2));
        } finally {
            new Parallelize(null).close();
        }
        assertTrue(Parallelize.shmList().isEmpty());
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aWorkerReadsAndModifiesAToShmSegment(boolean threads) throws Exception {
        int slots = 16;
        String name = testShm("squares");
        java.nio.ByteBuffer init = java.nio.ByteBuffer.allocate(slots * Integer.BYTES)
                .order(java.nio.ByteOrder.nativeOrder());
        for (int i = 1; i <= slots; i++) {
            init.putInt(i);
        }
        ShmRef ref = Parallelize.toShm(name, init.array(), java.util.Map.of("slots", slots));
        TestElements.ShmSquarer snk = new TestElements.ShmSquarer(name);
        snk.setBackendOptions(BIG_HEAP);
        try (Parallelize par = new Parallelize(chain(new TestElements.Numbers(slots), snk), threads)) {
            par.run();
            List<Object> expectedRead = new ArrayList<>();
            for (int i = 1; i <= slots; i++) {
                expectedRead.add(i);
                // the worker's writes are in this process's mapping of the same segment
                assertEquals(i * i, ref.shm().buffer().getInt((i - 1) * Integer.BYTES), "slot " + (i - 1));
            }
            assertEquals(expectedRead, snk.read, "the worker read what the main process wrote");
            assertEquals(threads, snk.workerPid() < 0);
        }
        assertTrue(Parallelize.shmList().isEmpty(), "removed on close");
        assertTrue(!jvalkka.shm.SharedMemory.exists(name), "removed on close");
    }

    @Test
    void aFieldThatCannotCrossFailsTheStartNamingIt() {
        class Holder {
        }
        TestElements.ProcessSquarer sq = new TestElements.ProcessSquarer() {
            final Object handle = new Holder();
        };
        Pipeline p = chain(new TestElements.Numbers(3), sq, new TestElements.Collect());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Parallelize(p).close());
        assertTrue(e.getMessage().contains(".handle"), e.getMessage());
        assertTrue(e.getMessage().contains("transient"), e.getMessage());
    }

    @Test
    void joinTimeoutIsApplied() {
        Parallelize par = new Parallelize(chain(new TestElements.Numbers(1), squarer(true), new TestElements.Collect()));
        par.joinTimeout(Duration.ofSeconds(5)).close();
    }
}
