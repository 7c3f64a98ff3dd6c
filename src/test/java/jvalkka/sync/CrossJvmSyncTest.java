package jvalkka.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jvalkka.shm.DType;
import jvalkka.shm.internal.Futex;
import jvalkka.shm.SharedArray;
import jvalkka.testing.Handles;
import jvalkka.testing.JavaProgram;
import jvalkka.testing.ProcessPeer;
import jvalkka.testing.ShmChild;
import org.junit.jupiter.api.Test;

/** A second JVM maps the handles it was given, writes, and sets; or dies while we wait. */
class CrossJvmSyncTest {

    @Test
    void childReopensHandlesWritesAndWakesTheFrontend() throws Exception {
        String name = "jvtest-" + UUID.randomUUID().toString().substring(0, 8);
        try (SharedArray array = SharedArray.create(name, DType.FLOAT64, 100, 100);
             EventGroup eg = new EventGroup(10)) {
            array.fill(1.0);
            int index = eg.reserve().index();
            int ack = eg.reserve().index();
            JavaProgram child = JavaProgram.start(ShmChild.class.getName(), java.util.List.of(),
                    "write", Handles.encode(new Object[] {array, eg}), Integer.toString(index), "3.0",
                    Integer.toString(ack));
            try {
                eg.addPeer(new ProcessPeer(child.process()));
                // long slices: the wake must come from the child's futex wake, not from a re-check
                long t0 = System.nanoTime();
                int r = eg.await(index, TimeUnit.SECONDS.toNanos(120), true, Futex.AVAILABLE,
                        TimeUnit.SECONDS.toNanos(120));
                double waited = (System.nanoTime() - t0) / 1e9;
                assertTrue(waited < 60, "a missed wake shows as a wait of a whole slice: " + waited + " s");
                assertEquals(EventGroup.OK, r, "child output:\n" + child.output());
                assertTrue(child.process().isAlive(), "woken by the child's set, not by its exit");
                eg.release_ind(index);
                eg.set(ack); // the child sleeps on this one: a wake in the other direction
                assertEquals(3.0, array.getDouble(0, 0));
                assertEquals(3.0, array.getDouble(99, 99));
                JavaProgram.Result res = child.waitFor(30);
                assertEquals(0, res.exitCode(), res.output());
                assertTrue(res.output().contains("done acked=true owner=false,false"), res.output());
            } finally {
                child.destroyTree();
            }
            assertTrue(array.unlink());
        }
    }

    @Test
    void syncIndexFailsWithinASecondWhenTheBackendIsKilled() throws Exception {
        try (EventGroup eg = new EventGroup(4)) {
            JavaProgram child = JavaProgram.start(ShmChild.class.getName(), java.util.List.of(),
                    "hold", Handles.encode(eg));
            try {
                child.awaitOutput("ready 4", 60);
                eg.addPeer(new ProcessPeer(child.process()));
                long[] killedAt = new long[1];
                CompletableFuture<Void> killer = CompletableFuture.runAsync(() -> {
                    EventGroupTest.await(() -> eg.available() == 3
                            && (!Futex.AVAILABLE || eg.state(0) == EventGroup.WAITING), 30, "SyncIndex waiting");
                    killedAt[0] = System.nanoTime();
                    child.process().destroyForcibly(); // SIGKILL
                });
                BackendDiedException e = null;
                try (SyncIndex s = new SyncIndex(eg)) {
                    assertEquals(0, s.index());
                } catch (BackendDiedException x) {
                    e = x;
                }
                long after = System.nanoTime();
                killer.get(30, TimeUnit.SECONDS);
                assertTrue(e != null, "close() must throw BackendDiedException");
                double ms = (after - killedAt[0]) / 1e6;
                assertTrue(ms < 1500, "noticed the death after " + ms + " ms");
                assertTrue(e.getMessage().contains("event 0"), e.getMessage());
                assertTrue(e.getMessage().contains("pid " + child.pid() + ") exited with status 137"),
                        e.getMessage());
                assertEquals(4, eg.available(), "the event was released");
                assertFalse(child.process().isAlive());
            } finally {
                child.destroyTree();
            }
        }
    }
}
