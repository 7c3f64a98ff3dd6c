package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import jvalkka.sgn.Pipeline;

/** Each Parallelize worker's MBean, read through the platform MBean server while the pipeline runs. */
@Timeout(60)
class ParallelizeJmxTest {
    static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @AfterEach
    void nothingLeft() throws Exception {
        new ParallelizeTest().nothingLeft();
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void aWorkersItemsInAndOutAndItsModeReadWhileThePipelineRuns(boolean threads) throws Exception {
        TestElements.Numbers src = new TestElements.Numbers(3000);
        TestElements.Squarer sq = ParallelizeTest.squarer(threads);
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = ParallelizeTest.chain(src, sq, snk);
        long[] seenWhileRunning = {-1};
        java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
        try (Parallelize par = new Parallelize(p)) {
            ObjectName name = new ObjectName("jvalkka:type=Parallelize,name=" + sq.name());
            assertTrue(SERVER.isRegistered(name), name + " registered when the workers start");
            assertEquals(threads ? "thread" : "process", SERVER.getAttribute(name, "Mode"));
            assertEquals(true, SERVER.getAttribute(name, "Alive"));
            if (!threads) {
                assertTrue((Long) SERVER.getAttribute(name, "Pid") != ProcessHandle.current().pid());
            }
            Thread reader = new Thread(() -> {
                try {
                    while (seenWhileRunning[0] <= 0 && !over.get()) {
                        seenWhileRunning[0] = (Long) SERVER.getAttribute(name, "ItemsOut");
                    }
                } catch (Exception e) {
                    seenWhileRunning[0] = -2;
                }
            });
            reader.start();
            try {
                par.run();
            } finally {
                over.set(true);
                reader.join(10_000);
            }
            assertEquals(3000, snk.got.size());
            long in = (Long) SERVER.getAttribute(name, "ItemsIn");
            long out = (Long) SERVER.getAttribute(name, "ItemsOut");
            assertTrue(in >= 3000 && out >= 3000, "in " + in + " out " + out);
            assertEquals("", SERVER.getAttribute(name, "LastError"));
        }
        assertTrue(seenWhileRunning[0] != -2, "read failed while running");
        // the reader saw the count move while frames flowed (unless the whole run beat its first read)
        assertTrue(seenWhileRunning[0] != 0, "ItemsOut read 0 until the end");
        assertEquals(Set.of(), SERVER.queryNames(new ObjectName("jvalkka:type=Parallelize,*"), null),
                "unregistered on close");
    }
}
