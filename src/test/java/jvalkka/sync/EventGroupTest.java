package jvalkka.sync;

import jvalkka.sync.internal.Peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import jvalkka.shm.internal.Crossing;
import jvalkka.shm.internal.Futex;
import jvalkka.shm.SharedMemory;
import jvalkka.testing.Handles;
import org.junit.jupiter.api.Test;

class EventGroupTest {
    /** Polls a real condition, bounded; fails with {@code what} past the deadline. */
    static void await(BooleanSupplier condition, double seconds, String what) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + seconds + " s: " + what);
            }
            LockSupport.parkNanos(200_000);
        }
    }

    @Test
    void reserveReleaseAndNotEnoughEvents() {
        try (EventGroup eg = new EventGroup(3)) {
            assertEquals(3, eg.size());
            Set<Integer> got = new HashSet<>();
            EventGroup.Event a = eg.reserve();
            EventGroup.Event b = eg.reserve();
            EventGroup.Event c = eg.reserve();
            got.add(a.index());
            got.add(b.index());
            got.add(c.index());
            assertEquals(Set.of(0, 1, 2), got);
            NotEnoughEvents e = assertThrows(NotEnoughEvents.class, eg::reserve);
            assertTrue(e.getMessage().contains("all 3 events"), e.getMessage());
            assertTrue(eg.toString().contains("R0 R1 R2"), eg.toString());

            eg.release(b);
            assertEquals(1, eg.available());
            assertSame(b, eg.reserve(), "the freed one comes back");
            eg.release_ind(a.index());
            assertThrows(IllegalStateException.class, () -> eg.release_ind(a.index()), "double release");
            assertSame(c, eg.fromIndex(c.index()));
            assertEquals(c.index(), eg.asIndex(c));
            assertThrows(IndexOutOfBoundsException.class, () -> eg.fromIndex(3));

            c.set();
            assertTrue(eg.isSet(c.index()));
            eg.release(c);
            EventGroup.Event again = eg.reserve();
            assertEquals(a.index(), again.index(), "FIFO like valkka's pop(0)/append");
            EventGroup.Event c2 = eg.reserve();
            assertSame(c, c2);
            assertFalse(c2.isSet(), "reserve clears");
        }
    }

    @Test
    void releasingAForeignEventIsAnError() {
        try (EventGroup one = new EventGroup(2); EventGroup two = new EventGroup(2)) {
            EventGroup.Event e = two.reserve();
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> one.release(e));
            assertTrue(x.getMessage().contains("belongs to EventGroup '" + two.name() + "'"), x.getMessage());
            assertThrows(IllegalArgumentException.class, () -> one.asIndex(e));
            assertEquals(2, one.available());
        }
    }

    @Test
    void ownerUnlinksOnCloseAndClosedGroupFailsClearly() {
        EventGroup eg = new EventGroup(4);
        String name = eg.name();
        assertTrue(Files.exists(SharedMemory.DIRECTORY.resolve(name)));
        assertTrue(name.startsWith("jvalkka-eg-" + ProcessHandle.current().pid() + "-"), name);
        eg.close();
        eg.close();
        assertFalse(Files.exists(SharedMemory.DIRECTORY.resolve(name)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> eg.set(0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EventGroup(0));
    }

    @Test
    void handleCrossesAndSharesTheEvents() throws Exception {
        try (EventGroup eg = new EventGroup(5)) {
            Crossing.begin();
            EventGroup other = Handles.roundTrip(eg);
            assertEquals(List.of(eg), Crossing.end());
            try (other) {
                assertFalse(other.isOwner());
                assertEquals(5, other.size());
                assertEquals(eg.name(), other.name());
                EventGroup.Event ev = eg.reserve();
                other.set(ev.index());
                assertTrue(ev.isSet());
            }
            assertTrue(Files.exists(SharedMemory.DIRECTORY.resolve(eg.name())), "a non-owner's close keeps it");
        }
    }

    /** Sleeps with 30 s slices, so only a real futex wake returns in time. */
    @Test
    void futexWakeReachesASleepingWaiter() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Futex.AVAILABLE, "no futex here");
        try (EventGroup eg = new EventGroup(2)) {
            int i = eg.reserve().index();
            CompletableFuture<Integer> r = CompletableFuture.supplyAsync(
                    () -> eg.await(i, TimeUnit.SECONDS.toNanos(30), false, true, TimeUnit.SECONDS.toNanos(30)));
            await(() -> eg.state(i) == EventGroup.WAITING, 10, "waiter asleep on the futex");
            eg.set(i);
            assertEquals(EventGroup.OK, r.get(10, TimeUnit.SECONDS));
            assertEquals(EventGroup.SET, eg.state(i), "set() leaves SET, not WAITING");
        }
    }

    @Test
    void parkingFallbackWaitsAndWakes() throws Exception {
        try (EventGroup eg = new EventGroup(1)) {
            int i = eg.reserve().index();
            AtomicBoolean started = new AtomicBoolean();
            CompletableFuture<Integer> r = CompletableFuture.supplyAsync(() -> {
                started.set(true);
                return eg.await(i, TimeUnit.SECONDS.toNanos(30), false, false, EventGroup.SLICE_NANOS);
            });
            await(started::get, 10, "waiter started");
            assertEquals(EventGroup.CLEAR, eg.state(i), "the fallback never marks WAITING");
            eg.set(i);
            assertEquals(EventGroup.OK, r.get(10, TimeUnit.SECONDS));
            eg.clear(i);
            assertEquals(EventGroup.TIMED_OUT, eg.await(i, TimeUnit.MILLISECONDS.toNanos(20), false, false,
                    EventGroup.SLICE_NANOS));
        }
    }

    @Test
    void eventAwaitWithTimeoutLikePython() throws Exception {
        try (EventGroup eg = new EventGroup(1)) {
            EventGroup.Event e = eg.reserve();
            assertFalse(e.await(10, TimeUnit.MILLISECONDS));
            e.set();
            assertTrue(e.await(0, TimeUnit.MILLISECONDS));
            e.await();
        }
    }

    @Test
    void syncIndexReturnsWhenSetFromAnotherThread() {
        try (EventGroup eg = new EventGroup(2)) {
            int index;
            try (SyncIndex s = new SyncIndex(eg)) {
                index = s.index();
                assertEquals(1, eg.available());
                CompletableFuture.runAsync(() -> eg.set(s.index()));
            }
            assertEquals(2, eg.available(), "released after the wait");
            assertTrue(index >= 0);
        }
    }

    @Test
    void syncIndexTimesOutAndReleases() {
        try (EventGroup eg = new EventGroup(1)) {
            SyncTimeoutException e = assertThrows(SyncTimeoutException.class, () -> {
                try (SyncIndex s = new SyncIndex(eg, Duration.ofMillis(30))) {
                    assertNotEquals(-1, s.index());
                }
            });
            assertTrue(e.getMessage().contains("was not set within PT0.03S"), e.getMessage());
            assertEquals(1, eg.available());
        }
    }

    @Test
    void cancelledSyncIndexDoesNotWait() {
        try (EventGroup eg = new EventGroup(1)) {
            try (SyncIndex s = new SyncIndex(eg)) {
                s.cancel(); // the request could not be sent
            }
            assertEquals(1, eg.available());
        }
    }

    @Test
    void interruptEndsTheWaitAndKeepsTheFlag() throws Exception {
        try (EventGroup eg = new EventGroup(1)) {
            CompletableFuture<Throwable> thrown = new CompletableFuture<>();
            AtomicBoolean flagKept = new AtomicBoolean();
            Thread t = new Thread(() -> {
                try (SyncIndex s = new SyncIndex(eg)) {
                    s.index();
                } catch (Throwable x) {
                    flagKept.set(Thread.currentThread().isInterrupted());
                    thrown.complete(x);
                }
                thrown.complete(null);
            });
            t.start();
            await(() -> eg.available() == 0 && (!Futex.AVAILABLE || eg.state(0) == EventGroup.WAITING), 10,
                    "SyncIndex waiting");
            t.interrupt();
            Throwable x = thrown.get(5, TimeUnit.SECONDS);
            assertTrue(x instanceof SyncInterruptedException, String.valueOf(x));
            assertTrue(x.getCause() instanceof InterruptedException);
            assertTrue(flagKept.get(), "interrupt flag restored");
            t.join(5000);
            assertEquals(1, eg.available());
        }
    }

    /** A peer that dies on demand, in this JVM. */
    static final class FakePeer implements Peer {
        final CompletableFuture<Void> death = new CompletableFuture<>();

        @Override
        public boolean isAlive() {
            return !death.isDone();
        }

        @Override
        public String deathReport() {
            return "fake backend exited with status 137";
        }

        @Override
        public void onDeath(Runnable action) {
            death.thenRun(action);
        }
    }

    @Test
    void waiterGivesUpOnlyWhenEveryPeerIsDead() throws Exception {
        try (EventGroup eg = new EventGroup(2)) {
            FakePeer p1 = new FakePeer();
            FakePeer p2 = new FakePeer();
            eg.addPeer(p1);
            eg.addPeer(p2);
            CompletableFuture<Throwable> thrown = CompletableFuture.supplyAsync(() -> {
                try (SyncIndex s = new SyncIndex(eg)) {
                    s.index();
                } catch (Throwable x) {
                    return x;
                }
                return null;
            });
            await(() -> eg.available() == 1 && (!Futex.AVAILABLE || eg.state(0) == EventGroup.WAITING), 10,
                    "SyncIndex waiting");
            p1.death.complete(null);
            assertFalse(thrown.isDone() && thrown.get() != null, "one peer is still alive");
            p2.death.complete(null);
            Throwable x = thrown.get(5, TimeUnit.SECONDS);
            assertTrue(x instanceof BackendDiedException, String.valueOf(x));
            BackendDiedException b = (BackendDiedException) x;
            assertEquals(0, b.index());
            assertTrue(b.getMessage().contains("event 0") && b.getMessage().contains("status 137"),
                    b.getMessage());
            assertEquals(2, eg.available(), "released");

            // a backend that set the event just before it died is a success
            try (SyncIndex s = new SyncIndex(eg)) {
                eg.set(s.index());
            }
        }
    }

    @Test
    void aFailedEventWakesItsWaiterWithTheReportedCause() throws Exception {
        try (EventGroup eg = new EventGroup(2)) {
            EventGroup.Event e = eg.reserve();
            CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    e.await();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            await(() -> eg.state(e.index()) == EventGroup.WAITING || !Futex.AVAILABLE, 10, "the waiter sleeps");
            IllegalStateException boom = new IllegalStateException("boom", new java.io.IOException("disk"));
            eg.fail(e.index(), "c__work raised it", boom);
            Throwable t = waiter.get(10, TimeUnit.SECONDS);
            EventFailedException f = (EventFailedException) t;
            assertTrue(f.getMessage().contains("c__work raised it"), f.getMessage());
            RemoteFailure cause = (RemoteFailure) f.getCause();
            assertEquals("java.lang.IllegalStateException", cause.remoteType());
            assertEquals("boom", cause.remoteMessage());
            assertEquals(boom.getStackTrace()[0].toString(), cause.getStackTrace()[0].toString());
            assertEquals("java.io.IOException", ((RemoteFailure) cause.getCause()).remoteType());
            assertFalse(e.isSet());
            eg.release(e);
            EventGroup.Event again = eg.reserve();
            eg.set(again.index());
            assertTrue(again.await(1, TimeUnit.SECONDS), "a new reservation is not failed");
        }
    }

    @Test
    void aSetEventStaysSetAndAHugeReportIsCutToFit() {
        try (EventGroup eg = new EventGroup(2)) {
            EventGroup.Event e = eg.reserve();
            e.set();
            eg.fail(e.index(), "late", new RuntimeException("x"));
            assertTrue(e.isSet(), "fail() does not undo a set");
            EventGroup.Event f = eg.reserve();
            RuntimeException huge = new RuntimeException("m".repeat(100_000));
            StackTraceElement[] frames = new StackTraceElement[5000];
            java.util.Arrays.fill(frames, new StackTraceElement("a.very.long.ClassName" + "x".repeat(200), "m", "F.java", 1));
            huge.setStackTrace(frames);
            eg.fail(f.index(), "w".repeat(50_000), huge);
            EventFailedException x = assertThrows(EventFailedException.class, () -> f.await(1, TimeUnit.SECONDS));
            assertEquals("java.lang.RuntimeException", ((RemoteFailure) x.getCause()).remoteType());
        }
    }
}
