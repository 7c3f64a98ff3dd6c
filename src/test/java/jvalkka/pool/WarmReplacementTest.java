package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.WarmPool;

/** A ProcessQueue's crashed worker is replaced by a warm JVM of its default pool, which close() stops. */
@Timeout(120)
class WarmReplacementTest {
    @TempDir
    Path dir;

    @AfterEach
    void noChildren() throws InterruptedException {
        Testing.assertNoChildren();
    }

    /** "warm" or "cold": how the worker answering was started; -1 halts the worker the first time it is seen. */
    static String probe(int x, String crashedOnce) {
        try {
            return probeOrThrow(x, crashedOnce);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String probeOrThrow(int x, String crashedOnce) throws java.io.IOException {
        if (x < 0 && !Files.exists(Path.of(crashedOnce))) {
            Files.createFile(Path.of(crashedOnce));
            Runtime.getRuntime().halt(1);
        }
        String cmd = new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), java.nio.charset.StandardCharsets.UTF_8);
        return cmd.contains("-Djvalkka.warm=true") ? "warm" : "cold";
    }

    @Test
    void aCrashedWorkersReplacementIsAWarmJvm() throws Exception {
        String flag = dir.resolve("crashed").toString();
        try (ProcessQueue<Integer, String> q = ProcessQueue.<Integer, String>of(x -> probe(x, flag)).workers(1)
                .start()) {
            q.put(0);
            assertEquals("cold", q.get().getOrThrow(), "the first worker starts cold");
            Testing.await(() -> WarmPool.idle() == ProcessQueue.DEFAULT_WARM_POOL, "the spare is ready");
            q.put(-1); // the worker dies; the item is retried on the replacement
            assertEquals("warm", q.get().getOrThrow(), "the replacement took the warm JVM");
            assertTrue(Files.exists(Path.of(flag)));
        }
        assertEquals(0, WarmPool.idle(), "close() stopped the spare");
    }

    static Long workerPid(Integer x) {
        return ProcessHandle.current().pid();
    }

    @Test
    void aKilledWorkersEndIsTakenForItsEndNotForAFaultItReported() throws Exception {
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        jvalkka.log.LogConfig.setOutput(new java.io.PrintStream(log, true));
        try (ProcessQueue<Integer, Long> q = ProcessQueue.of(WarmReplacementTest::workerPid).workers(1).start()) {
            q.put(0);
            long pid = q.get().getOrThrow();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            q.put(1);
            long next = q.get().getOrThrow();
            assertTrue(next != pid, "the killed worker answered");
            String text = log.toString();
            assertTrue(text.contains("exited with status 137"), text);
            // the main pipe's "exited" event is the worker's end: it is not a fault report, and asking the dead
            // worker which batches it dropped (a "sync") only sends into a closed pipe
            assertTrue(!text.contains("reported <MessageObject: exited"), text);
        } finally {
            jvalkka.log.LogConfig.setOutput(null);
        }
    }

    static Long committedHeap(Integer x) {
        return x < 0 ? ProcessHandle.current().pid() : Runtime.getRuntime().totalMemory();
    }

    /**
     * A worker's heap starts small and grows as its function needs: a heap sized to the machine
     * (a 64th of its memory) fills its young generation with the start's garbage, and a crashed
     * worker's kernel teardown frees every page of it before its end is seen (9-16 ms instead of
     * 3 for a JVM that touched 60 MB, measured), all of it before the replacement may start.
     */
    @Test
    void aReplacementWorkersHeapStartsSmall() throws Exception {
        try (ProcessQueue<Integer, Long> q = ProcessQueue.of(WarmReplacementTest::committedHeap).workers(1).start()) {
            q.put(-1);
            long pid = q.get().getOrThrow();
            Testing.await(() -> WarmPool.idle() == ProcessQueue.DEFAULT_WARM_POOL, "the spare is ready");
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            q.put(0);
            long heap = q.get().getOrThrow();
            assertTrue(heap <= 32L << 20, "the warm replacement's heap is " + (heap >> 20) + " MB");
        }
    }

    @Test
    void optionsWithoutAPoolKeepNoSpare() throws Exception {
        try (ProcessQueue<Integer, String> q = ProcessQueue.<Integer, String>of(x -> probe(x, "/nonexistent"))
                .options(BackendOptions.defaults().withWarmPool(0)).workers(1).start()) {
            q.put(0);
            assertEquals("cold", q.get().getOrThrow());
            assertEquals(0, WarmPool.idle());
        }
    }
}
