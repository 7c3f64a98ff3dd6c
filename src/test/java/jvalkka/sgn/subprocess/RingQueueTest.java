package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.shm.SharedMemory;

/** The worker ring in one JVM: both ends over one segment, no worker process. Fast. */
@Timeout(30)
class RingQueueTest {
    private static final int RING = 4096;

    private SharedMemory shm;
    private WorkerContext.Control control;
    private RingQueue producer;
    private RingQueue consumer;

    @BeforeEach
    void open() throws Exception {
        shm = SharedMemory.create("jvtest-ring-" + UUID.randomUUID().toString().substring(0, 8),
                RingQueue.segmentSize(RING));
        control = new WorkerContext.Control();
        producer = new RingQueue(shm, RING, 0, true, new OtherEnd(control, true), "test in (producer)");
        consumer = new RingQueue(shm, RING, 0, false, new OtherEnd(control, false), "test in (consumer)");
    }

    @AfterEach
    void close() {
        String name = shm.name();
        shm.unlink();
        shm.close();
        assertFalse(SharedMemory.exists(name), "the segment was removed");
    }

    @Test
    void aRingWhoseSegmentWouldNotFitOneMappingIsRefusedWithTheLargestThatFits() {
        // 2^30 is a power of two, but two rings of it and the control block pass 2^31 - 1 bytes
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JvmWorker.checkRingBytes(1 << 30));
        assertTrue(e.getMessage().contains("ringBytes") && e.getMessage().contains(String.valueOf(1 << 29)),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RingQueue.segmentSize(1 << 30));
        JvmWorker.checkRingBytes(1 << 29); // the largest that fits
        long size = RingQueue.segmentSize(1 << 29);
        assertTrue(size > 2L * (1 << 29) && size <= SharedMemory.MAX_SIZE, "segment of two 512 MiB rings: " + size);
    }

    @Test
    void itemsArriveInOrderWithNullAndTheQueueEmptiesAfter() throws Exception {
        producer.put("one");
        producer.put(2);
        producer.put(null);
        producer.put(new double[] {1.5, 2.5});
        assertEquals("one", consumer.get());
        assertEquals(Integer.valueOf(2), consumer.get());
        assertNull(consumer.get());
        assertArrayEquals(new double[] {1.5, 2.5}, consumer.<double[]>get());
        assertTrue(consumer.isEmpty());
        assertThrows(Empty.class, consumer::getNowait);
    }

    @Test
    void anItemLargerThanTheRingArrivesWholeWhileTheConsumerTakes() throws Exception {
        byte[] big = new byte[5 * RING + 13];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> consumer.<byte[]>get());
        producer.put(big); // waits for room piece by piece: the consumer takes meanwhile
        assertArrayEquals(big, got.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aConsumerAsleepOnTheEmptyRingWakesForTheNextItem() throws Exception {
        CompletableFuture<Object> got = CompletableFuture.supplyAsync(() -> consumer.get());
        // past the spin and yield rungs it sleeps on the futex word; the put must wake it
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        while (System.nanoTime() < deadline) {
            Thread.onSpinWait(); // a window for the consumer to reach its sleep rung, not synchronisation
        }
        assertFalse(got.isDone());
        producer.put("wake");
        assertEquals("wake", got.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aProducerWaitingForRoomGoesOnWhenTheConsumerTakes() throws Exception {
        int n = 200; // far more than a 4 KiB ring holds
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                producer.put(new long[] {i, i, i, i, i, i, i, i});
            }
        });
        for (int i = 0; i < n; i++) {
            long[] v = consumer.get(10);
            assertEquals(i, v[0]);
        }
        sent.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTimedTakeGivesUpAtItsDeadlineAndAStopEndsAWait() throws Exception {
        long t0 = System.nanoTime();
        assertThrows(Empty.class, () -> consumer.get(0.05));
        long took = System.nanoTime() - t0;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(50), "gave up after " + took + " ns");
        CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> consumer.get());
        control.stop = true;
        consumer.wakeAll();
        Throwable t = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> waiting.get(10, TimeUnit.SECONDS)).getCause();
        assertTrue(t instanceof OtherEnd.StopRequested, String.valueOf(t));
    }
}
