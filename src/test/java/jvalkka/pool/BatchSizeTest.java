package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The distributor's batch sizing, in this JVM: no worker is started. */
@Timeout(10)
class BatchSizeTest {
    private static final int MAX = 1000;

    @Test
    void beforeAnyItemIsMeasuredABatchHoldsEight() {
        assertEquals(8, Distributor.batchSize(-1, 10_000, 2, MAX, MAX));
    }

    @Test
    void aBatchHoldsAboutAMillisecondOfWork() {
        assertEquals(10, Distributor.batchSize(100_000, 10_000, 2, MAX, MAX)); // 0.1 ms items
        assertEquals(1, Distributor.batchSize(5_000_000, 10_000, 2, MAX, MAX)); // 5 ms items go one by one
    }

    @Test
    void cheapItemsAreCappedByMaxBatch() {
        assertEquals(MAX, Distributor.batchSize(10, 1_000_000, 2, MAX, MAX));
        assertEquals(50, Distributor.batchSize(10, 1_000_000, 2, MAX, 50));
    }

    @Test
    void noWorkerGetsMoreThanItsFairShareOfWhatWaits() {
        // 40 items, 4 workers: each batch at most 40 / (2 * 4) = 5, so every worker gets work twice
        assertEquals(5, Distributor.batchSize(10, 40, 4, MAX, MAX));
        assertEquals(1, Distributor.batchSize(10, 1, 4, MAX, MAX));
    }

    @Test
    void theWorkersHoldBoundsTheBatch() {
        assertEquals(3, Distributor.batchSize(10, 1_000_000, 2, 3, MAX));
        assertEquals(1, Distributor.batchSize(10, 1_000_000, 2, 0, MAX)); // never empty
    }

    @Test
    void aWorkerThatPaysMorePerMessageGetsBatchesOfMoreWork() {
        assertEquals(Distributor.TARGET_BATCH_NANOS, Distributor.targetNanos(-1)); // not measured yet
        assertEquals(Distributor.TARGET_BATCH_NANOS, Distributor.targetNanos(10_000)); // a cheap local message
        assertEquals(20_000_000, Distributor.targetNanos(1_000_000)); // 1 ms per message: 20 ms of work
        assertEquals(Distributor.MAX_TARGET_BATCH_NANOS, Distributor.targetNanos(1e9));
        // 10 ms items: one by one where messages are cheap, two by two where one costs a millisecond
        assertEquals(1, Distributor.batchSize(10_100_000, Distributor.targetNanos(10_000), 600, 6, MAX, MAX));
        assertEquals(2, Distributor.batchSize(10_100_000, Distributor.targetNanos(1_000_000), 600, 6, MAX, MAX));
        // and never above the fair share, which keeps the tail fine-grained
        assertEquals(1, Distributor.batchSize(10_100_000, Distributor.targetNanos(1_000_000), 12, 6, MAX, MAX));
    }
}
