package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.cluster.TestCluster;
import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.Placement;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkPad;
import jvalkka.testing.NetHosts;

/**
 * An SGN pipeline whose process-mode transform and slow sink run on two other
 * test hosts of a real cluster (network namespaces with a private /dev/shm each,
 * so no frame can travel through shared memory): every frame arrives once, in
 * order, and the slow sink holds the sender back within its ring bytes.
 */
@Timeout(180)
class PlacedWorkerClusterTest {
    static final BackendOptions HEAP = BackendOptions.defaults().withExtraJvmArgs("-Xmx200m");
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(2);
        Assumptions.assumeTrue(cluster != null, NetHosts.unavailableReason());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        new ParallelizeTest().nothingLeft();
    }

    /** The slow sink, noting on its first frame which hosts its worker and the transform's worker run on. */
    static final class WhereSink extends TestElements.SlowSink {
        transient TestElements.Squarer upstream;
        transient int sinkHost = -1;
        transient int transformHost = -1;

        @Override
        public void pull(SinkPad pad, Frame frame) throws Exception {
            if (sinkHost < 0 && frame.data() != null) {
                try {
                    sinkHost = cluster.hostOf(workerPid());
                    transformHost = cluster.hostOf(upstream.workerPid());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            super.pull(pad, frame);
        }

        /** Answers a frame's number when the transform changed its first byte (and only that), else -1. */
        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            byte[] b;
            try {
                b = ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            long until = System.nanoTime() + slowNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            boolean changed = b[0] == (byte) ~b[b.length - 1] && b[1] == b[b.length - 1];
            ctx.outputQueue().put(changed ? (int) b[b.length - 1] & 0xff : -1);
        }
    }

    @Test
    void aRemoteTransformAndASlowRemoteSinkCarryEveryFrameInOrderWithinTheirWindow() {
        int frames = 250; // the worker answers a frame's number as a byte: below 256
        int size = 4096;
        int ring = 64 << 10;
        TestElements.Squarer sq = new TestElements.ProcessSquarer();
        sq.setBackendOptions(HEAP);
        sq.setPlacement(Placement.node("node1"));
        sq.setRingBytes(ring);
        sq.window = 32;
        WhereSink snk = new WhereSink();
        snk.upstream = sq;
        snk.setBackendOptions(HEAP);
        snk.setPlacement(Placement.node("node2"));
        snk.setRingBytes(ring);
        Pipeline p = ParallelizeTest.chain(new TestElements.Blobs(frames, size), sq, snk);
        try (Parallelize par = new Parallelize(p)) {
            par.run(); // returns at EOS
        }
        assertEquals(1, snk.transformHost, "the transform's worker ran on host 1");
        assertEquals(2, snk.sinkHost, "the sink's worker ran on host 2");
        assertEquals(frames, snk.acked, "nothing lost");
        assertTrue(snk.inOrder, "in order, changed by the transform, checked by the sink's worker");
        int bound = ring / size + 2;
        assertTrue(snk.maxInFlight <= bound, "in flight " + snk.maxInFlight + " > bound " + bound);
    }
}
