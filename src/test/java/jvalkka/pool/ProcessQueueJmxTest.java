package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A ProcessQueue's MBean, read through the platform MBean server while items run. */
@Timeout(60)
class ProcessQueueJmxTest {
    static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    static int slowOrFail(int x) {
        if (x % 50 == 7) {
            throw new IllegalArgumentException("no " + x);
        }
        long until = System.nanoTime() + 2_000_000;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        return x;
    }

    @AfterAll
    static void noWorkerLeft() throws InterruptedException {
        Testing.assertNoChildren();
    }

    static long get(ObjectName n, String a) {
        try {
            return ((Number) SERVER.getAttribute(n, a)).longValue();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void queuedInFlightDoneFailedAndPerWorkerCountsReadWhileItemsRun() throws Exception {
        ObjectName name = new ObjectName("jvalkka:type=ProcessQueue,name=jmxpool");
        int n = 400;
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueJmxTest::slowOrFail).name("jmxpool")
                .workers(2).capacity(n).maxBatch(4).start()) {
            assertEquals(name, q.jmxName());
            assertEquals(0L, get(name, "Done"));
            assertEquals(2L, get(name, "WorkersAlive"));
            for (int i = 0; i < n; i++) {
                q.put(i);
            }
            q.putEnd();
            // while items run: some wait or are in flight, some are done
            Testing.await(() -> get(name, "Done") > 20 && get(name, "Queued") + get(name, "InFlight") > 0,
                    () -> "done " + get(name, "Done") + " queued " + get(name, "Queued"));
            Testing.await(() -> get(name, "Untaken") > 0, "results wait untaken");
            int failed = 0;
            int taken = 0;
            for (Result<Integer, Integer> r; (r = q.get()) != null; ) {
                taken++;
                if (!r.ok()) {
                    failed++;
                }
            }
            assertEquals(n, taken);
            assertEquals(8, failed);
            assertEquals((long) n, get(name, "Done"));
            assertEquals((long) failed, get(name, "Failed"));
            assertEquals(0L, get(name, "Queued"));
            assertEquals(0L, get(name, "InFlight"));
            assertEquals(0L, get(name, "Untaken"));
            double rate = (Double) SERVER.getAttribute(name, "ItemsPerSecond");
            assertTrue(rate > 0, "items/s " + rate);
            TabularData perWorker = (TabularData) SERVER.getAttribute(name, "ItemsPerWorker");
            long sum = 0;
            for (Object row : perWorker.values()) {
                CompositeData c = (CompositeData) row;
                assertTrue(((String) c.get("key")).startsWith("jmxpool-"), c.toString());
                sum += (Long) c.get("value");
            }
            assertEquals(n, sum, "the workers' counts add up to the items done");
        }
        assertFalse(SERVER.isRegistered(name), "unregistered on close");
        assertEquals(Set.of(), SERVER.queryNames(new ObjectName("jvalkka:type=ProcessQueue,*"), null));
    }
}
