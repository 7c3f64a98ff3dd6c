package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.LoopbackLauncher;
import jvalkka.multiprocess.Placement;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process-mode worker placed on a node ({@link ParallelizeElement#setPlacement}): its frames
 * travel over the process pipe, never through shared memory, with the same bound as the rings;
 * end of stream and the worker's death behave as for a worker on this host. The "node" is this
 * host, reached over TCP on 127.0.0.1 ({@link LoopbackLauncher}), so no cluster is needed.
 */
@Timeout(120)
class PlacedWorkerTest {
    static final Placement NODE = Placement.node("test-node");
    static final BackendOptions HEAP = BackendOptions.defaults().withExtraJvmArgs("-Xmx200m");

    LoopbackLauncher launcher;

    @BeforeEach
    void install() {
        launcher = LoopbackLauncher.install();
    }

    @AfterEach
    void nothingLeft() throws Exception {
        launcher.close();
        new ParallelizeTest().nothingLeft();
    }

    /** A sink that takes its time over each frame and checks, while the pipeline runs, that no ring segment exists. */
    static final class SlowCollect extends SinkElement {
        final List<Object> got = new ArrayList<>();
        List<String> segmentsSeen = List.of();

        SlowCollect() {
            super("slow-collect", "in");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) throws Exception {
            if (got.isEmpty() && !frame.isGap() && frame.data() != null) {
                segmentsSeen = ParallelizeTest.ourSegments();
            }
            if (!frame.isGap() && frame.data() != null) {
                got.add(frame.data());
                long until = System.nanoTime() + 200_000; // slow: 0.2 ms a frame
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            if (frame.isEOS()) {
                markEos(pad);
            }
        }
    }

    @Test
    void aPlacedTransformCarriesEveryFrameInOrderOverThePipeAndHoldsTheSenderBack() {
        int frames = 300;
        int size = 2000;
        int ring = 16 << 10;
        TestElements.Squarer sq = new TestElements.ProcessSquarer();
        sq.setBackendOptions(HEAP);
        sq.setPlacement(NODE);
        sq.setRingBytes(ring);
        sq.window = 64; // the main side puts up to 64 frames (128 KB) before it waits: more than the window
        SlowCollect snk = new SlowCollect();
        Pipeline p = ParallelizeTest.chain(new TestElements.Blobs(frames, size), sq, snk);
        try (Parallelize par = new Parallelize(p)) {
            par.run(); // returns at EOS
        }
        assertEquals(1, launcher.started.size(), "the worker started through the remote launcher");
        assertEquals(List.of(), snk.segmentsSeen, "no shared memory while a placed worker runs");
        assertEquals(frames, snk.got.size(), "nothing lost");
        for (int i = 0; i < frames; i++) {
            byte[] b = (byte[]) snk.got.get(i);
            byte n = (byte) (i + 1);
            byte[] want = new byte[size];
            java.util.Arrays.fill(want, n);
            want[0] = (byte) ~n; // changed by the worker
            assertArrayEquals(want, b, "frame " + (i + 1) + " in order and intact");
        }
        PipeQueue in = (PipeQueue) ParallelState.of((ParallelizeElement) sq).worker.mainIn();
        assertTrue(in.holds() > 0, "the sender was held back by the window");
        assertTrue(in.maxInFlight() <= ring, "in flight " + in.maxInFlight() + " > window " + ring);
    }

    @Test
    void framesLargerThanAPieceAndThanTheWindowArriveWholeThroughAPlacedWorker() {
        int size = (5 << 20) / 2 + 3; // three pieces each way, larger than the 1 MiB window: one at a time
        TestElements.Squarer sq = new TestElements.ProcessSquarer();
        sq.setBackendOptions(HEAP);
        sq.setPlacement(NODE);
        sq.setRingBytes(1 << 20);
        sq.window = 2;
        TestElements.Collect snk = new TestElements.Collect();
        try (Parallelize par = new Parallelize(ParallelizeTest.chain(new TestElements.Blobs(3, size), sq, snk))) {
            par.run();
        }
        assertEquals(3, snk.got.size());
        for (int i = 0; i < 3; i++) {
            byte[] want = new byte[size];
            java.util.Arrays.fill(want, (byte) (i + 1));
            want[0] = (byte) ~(i + 1);
            assertArrayEquals(want, (byte[]) snk.got.get(i), "frame " + (i + 1));
        }
        PipeQueue in = (PipeQueue) ParallelState.of((ParallelizeElement) sq).worker.mainIn();
        assertTrue(in.maxInFlight() <= size + 16, "one frame larger than the window at a time: " + in.maxInFlight());
    }

    @Test
    void aPlacedSlowSinkKeepsWhatIsInFlightWithinItsRingBytes() {
        int frames = 200; // the sink's answers are frame numbers as bytes: below 256
        int size = 4096;
        int ring = 64 << 10;
        TestElements.SlowSink snk = new TestElements.SlowSink();
        snk.setBackendOptions(HEAP);
        snk.setPlacement(NODE);
        snk.setRingBytes(ring);
        Pipeline p = ParallelizeTest.chain(new TestElements.Blobs(frames, size), snk);
        try (Parallelize par = new Parallelize(p)) {
            par.run();
        }
        assertEquals(frames, snk.acked, "nothing dropped");
        assertTrue(snk.inOrder, "in order, checked by the worker");
        int bound = ring / size + 2; // as for the rings: a full window, the frame in the worker's hands, one answer
        assertTrue(snk.maxInFlight <= bound, "in flight " + snk.maxInFlight + " > bound " + bound);
        assertTrue(snk.maxInFlight >= bound / 2, "the window did fill: " + snk.maxInFlight);
    }

    @Test
    void aKilledPlacedWorkerFailsThePipelineAsALocalWorkersDeathDoes() throws Exception {
        TestElements.Squarer sq = new TestElements.ProcessSquarer();
        sq.setBackendOptions(HEAP);
        sq.setPlacement(NODE);
        sq.slowNanos = 1_000_000;
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(1_000_000), sq, new TestElements.Collect());
        long[] killedAt = new long[1];
        try (Parallelize par = new Parallelize(p)) {
            Thread killer = new Thread(() -> {
                long deadline = System.nanoTime() + 60_000_000_000L;
                try {
                    while (sq.workerPid() < 0 && System.nanoTime() < deadline) {
                        Thread.sleep(5); // polling a condition, not synchronising by time
                    }
                } catch (InterruptedException e) {
                    return;
                }
                killedAt[0] = System.nanoTime();
                launcher.started.get(0).lose("test: node test-node lost");
            });
            killer.start();
            WorkerStoppedException e = assertThrows(WorkerStoppedException.class, par::run);
            long noticedMs = (System.nanoTime() - killedAt[0]) / 1_000_000;
            killer.join();
            assertInstanceOf(IllegalStateException.class, e.getCause());
            String m = e.getCause().getMessage();
            assertTrue(m.contains("squarer") && m.contains("test-node"), m);
            assertTrue(m.contains("test: node test-node lost"), "the launcher's reason: " + m);
            assertTrue(noticedMs < 5000, "noticed after " + noticedMs + " ms");
        }
    }

    @Test
    void aPartitionedNodeFailsThePipelineInsteadOfHangingIt() throws Exception {
        TestElements.Squarer sq = new TestElements.ProcessSquarer();
        sq.setBackendOptions(HEAP);
        sq.setPlacement(NODE);
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(10_000_000), sq, new TestElements.Collect());
        try (Parallelize par = new Parallelize(p)) {
            Thread cut = new Thread(() -> {
                long deadline = System.nanoTime() + 60_000_000_000L;
                try {
                    while (sq.workerPid() < 0 && System.nanoTime() < deadline) {
                        Thread.sleep(5); // polling a condition, not synchronising by time
                    }
                    launcher.started.get(0).partition("test: node test-node unreachable");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            cut.start();
            WorkerStoppedException e = assertThrows(WorkerStoppedException.class, par::run);
            cut.join();
            // names the node; the launcher's reason reaches the pipe only at the end of the stream, which a
            // stopped (partitioned) JVM's open socket never gives
            assertTrue(e.getCause().getMessage().contains("test-node"), e.getCause().getMessage());
        }
    }

    /** For each frame, its worker answers with the size and a checksum of toShm segment {@code shmName}, then scribbles on it. */
    static final class ShmChecksum extends jvalkka.sgn.subprocess.ParallelizeSinkElement {
        final String shmName;
        transient List<Object> answers = new ArrayList<>();

        ShmChecksum(String shmName) {
            super("shm-checksum", List.of("in"));
            this.shmName = shmName;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) throws Exception {
            if (frame.data() != null) {
                inQueue.put(frame.data());
                answers.add(outQueue.get());
            }
            if (frame.isEOS()) {
                markEos(pad);
                answers.addAll(subProcessShutdown(60));
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            try {
                ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            org.agrona.concurrent.UnsafeBuffer b = ctx.shm(shmName).shm().buffer();
            long sum = 0;
            for (int i = 0; i < b.capacity(); i++) {
                sum = sum * 31 + b.getByte(i);
            }
            boolean refused = false;
            try {
                b.putByte(0, (byte) 99); // the copy on the worker's host is read-only
            } catch (UnsupportedOperationException e) {
                refused = true;
            }
            ctx.outputQueue().put(List.of(b.capacity(), sum, refused));
        }
    }

    @Test
    void toShmDataIsCopiedToAPlacedWorkersHostWholeAndReadOnly() throws Exception {
        String name = ParallelizeTest.testShm("placed");
        byte[] data = new byte[(5 << 20) / 2 + 7]; // several pieces, the last one short
        new java.util.Random(7).nextBytes(data);
        data[0] = 1;
        long sum = 0;
        for (byte x : data) {
            sum = sum * 31 + x;
        }
        ShmRef ref = Parallelize.toShm(name, data);
        ShmChecksum snk = new ShmChecksum(name);
        snk.setBackendOptions(HEAP);
        snk.setPlacement(NODE);
        try (Parallelize par = new Parallelize(ParallelizeTest.chain(new TestElements.Numbers(1), snk))) {
            par.run();
            assertEquals(List.of(List.of(data.length, sum, true)), snk.answers,
                    "the worker saw the whole content, and could not write to it");
            assertEquals(1, ref.shm().buffer().getByte(0), "nothing was written to ours");
        }
        assertTrue(!jvalkka.shm.SharedMemory.exists(name), "removed on close");
    }
}
