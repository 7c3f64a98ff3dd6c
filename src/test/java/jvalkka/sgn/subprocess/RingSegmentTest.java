package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.sgn.Pipeline;

/**
 * The local process-mode workers of one Parallelize have their rings in one segment (one to
 * create at start, each worker's rings at their own place in it, whatever their sizes), which
 * close() removes.
 */
@Timeout(120)
class RingSegmentTest {

    @AfterEach
    void nothingLeft() throws Exception {
        new ParallelizeTest().nothingLeft(); // child JVMs, segments, the warm pool; bounded
    }

    @Test
    void aRingTooLargeForOneSegmentFailsTheStartNamingRingBytesAndStartsNoWorker() throws Exception {
        TestElements.Squarer a = new TestElements.ProcessSquarer("square-huge");
        a.setRingBytes(1 << 30); // a power of two, but its segment would pass 2 GiB
        a.setBackendOptions(BackendOptions.defaults().withWarmPool(0));
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(1), a, new TestElements.Collect());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Parallelize(p).close());
        assertTrue(e.getMessage().contains("ringBytes"), e.getMessage());
        assertEquals(List.of(), ParallelizeTest.ourSegments(), "segments left after the failed start");
    }

    @Test
    void twoProcessWorkersWithRingsOfDifferentSizesShareOneSegmentAndCarryEveryFrame() throws Exception {
        TestElements.Squarer a = new TestElements.ProcessSquarer("square-a");
        TestElements.Squarer b = new TestElements.ProcessSquarer("square-b");
        a.setRingBytes(4096); // small: the frames wrap round it
        b.setRingBytes(1 << 16);
        a.setBackendOptions(BackendOptions.defaults().withWarmPool(0)); // no spare JVMs to stop afterwards
        b.setBackendOptions(BackendOptions.defaults().withWarmPool(0));
        TestElements.Collect snk = new TestElements.Collect();
        int n = 200; // n^4 stays an int, as the squarer computes; some KB of frames: they wrap the small ring
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(n), a, b, snk);
        try (Parallelize par = new Parallelize(p)) {
            List<String> segments = ParallelizeTest.ourSegments();
            assertEquals(1, segments.size(), "the rings' segments while the workers run: " + segments);
            par.run();
        }
        assertEquals(n, snk.got.size());
        for (int i = 0; i < n; i++) {
            long x = i + 1;
            assertEquals(x * x * x * x, ((Number) snk.got.get(i)).longValue(), "frame " + i);
        }
        assertEquals(List.of(), ParallelizeTest.ourSegments(), "segments left after close");
    }
}
