package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import jvalkka.shm.DType;
import jvalkka.shm.SharedArray;
import jvalkka.shm.SharedMemory;
import jvalkka.sync.EventFailedException;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;

/**
 * Shared state and a backend on another host (here: {@link LoopbackLauncher}),
 * where no shared memory reaches: an EventGroup crosses as a copy whose sets
 * come back as messages, and shared memory fields fail the start.
 */
@Timeout(120)
class RemoteSharedStateTest {
    static final Placement NODE = Placement.node("test-node");
    static final Duration PROMPTLY = Duration.ofSeconds(15); // far below the SyncIndex timeout below

    public interface Api {
        boolean mapsSegment(String name);
    }

    static class Worker extends MessageProcess {
        final EventGroup eg = new EventGroup(4);

        Worker() {
            super("remote-sync");
        }

        void c__work(int sync_index) {
            eg.set(sync_index);
        }

        void c__fail(int n, int sync_index) {
            throw new IllegalStateException("fails with n=" + n);
        }

        void c__returnThenSet(int n, int sync_index) {
            for (int i = 0; i < n; i++) {
                return_out__(new MessageObject("item", "i", i, "pad", new byte[64 * 1024]));
            }
            eg.set(sync_index);
        }

        /** Waits (5 s at most) for the frontend to set {@code event}, and fails saying whether it came. */
        void c__awaitFrontendSet(int event, int sync_index) throws InterruptedException {
            boolean set = eg.fromIndex(event).await(5, java.util.concurrent.TimeUnit.SECONDS);
            throw new IllegalStateException("the frontend's set " + (set ? "reached" : "did not reach")
                    + " the backend within 5 s");
        }

        boolean c__mapsSegment(String name) throws IOException {
            return Files.readString(Path.of("/proc/self/maps")).contains(name);
        }
    }

    /** A process whose field holds shared memory, one object down. */
    static class Holder extends MessageProcess {
        final Settings settings;

        Holder(SharedMemory mem) {
            super("holder");
            this.settings = new Settings(mem);
        }
    }

    static final class Settings implements Serializable {
        private static final long serialVersionUID = 1L;
        final SharedMemory table;

        Settings(SharedMemory table) {
            this.table = table;
        }
    }

    static class ArrayHolder extends MessageProcess {
        final SharedArray frames;

        ArrayHolder(SharedArray frames) {
            super("array-holder");
            this.frames = frames;
        }
    }

    @RegisterExtension
    final LoopbackLauncher launcher = LoopbackLauncher.perTest();

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    Worker started(BackendOptions o) {
        Worker w = new Worker();
        launcher.closeFirst(w.eg);
        w.setOptions(o.withPlacement(NODE));
        w.start();
        launcher.closeFirst(w::stop);
        return w;
    }

    @Test
    void aRemoteBackendsSetWakesTheFrontendsSyncIndexThoughNoMemoryIsShared() {
        Worker w = started(BackendOptions.defaults());
        assertFalse(w.proxy(Api.class).mapsSegment(w.eg.name()), "the backend must not map the frontend's segment");
        assertTimeoutPreemptively(PROMPTLY, () -> {
            for (int k = 0; k < 200; k++) {
                try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                    w.sendMessageToBack(new MessageObject("work", "sync_index", s.index()));
                }
            }
        });
    }

    @Test
    void aFailingRemoteHandlerFailsTheWaitingSyncIndexAtOnce() {
        Worker w = started(BackendOptions.defaults());
        EventFailedException e = assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class,
                () -> {
                    try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                        w.sendMessageToBack(new MessageObject("fail", "n", 3, "sync_index", s.index()));
                    }
                }));
        assertTrue(String.valueOf(e.getCause()).contains("fails with n=3"), String.valueOf(e.getCause()));
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                w.sendMessageToBack(new MessageObject("work", "sync_index", s.index()));
            }
        }, "the next SyncIndex on the same event works");
    }

    @Test
    void aFailingRemoteHandlerFailsTheWaitOnAnEventItsCopyHadSetBefore() {
        Worker w = started(BackendOptions.defaults());
        assertTimeoutPreemptively(PROMPTLY, () -> {
            for (int k = 0; k < 8; k++) { // every one of the 4 events once at least: the copy says "set" for all
                try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                    w.sendMessageToBack(new MessageObject("work", "sync_index", s.index()));
                }
            }
        });
        EventFailedException e = assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class,
                () -> {
                    try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                        w.sendMessageToBack(new MessageObject("fail", "n", 4, "sync_index", s.index()));
                    }
                }), "the frontend reserved the event anew: the copy's stale state must not hide the failure");
        assertTrue(String.valueOf(e.getCause()).contains("fails with n=4"), String.valueOf(e.getCause()));
    }

    @Test
    void aRemoteBackendThatWaitsForTheFrontendsSetFailsAtOnceSayingTheSetDoesNotReachIt() {
        Worker w = started(BackendOptions.defaults());
        EventGroup.Event ack = w.eg.reserve();
        EventFailedException e = assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class,
                () -> {
                    try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                        w.sendMessageToBack(new MessageObject("awaitFrontendSet", "event", ack.index(),
                                "sync_index", s.index()));
                        ack.set(); // here, in shared memory of this host only
                    }
                }));
        String cause = String.valueOf(e.getCause());
        assertTrue(cause.contains("is a copy in a backend on another host") && cause.contains(w.eg.name())
                && cause.contains("never the frontend's"), cause);
        w.eg.release(ack);
    }

    @Test
    void aSetBehindReturnsNobodyTookStillWakesTheSyncIndex() {
        Worker w = started(BackendOptions.defaults().withReturnCapacity(4));
        assertTimeoutPreemptively(PROMPTLY, () -> {
            try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                w.sendMessageToBack(new MessageObject("returnThenSet", "n", 100, "sync_index", s.index()));
            }
        });
        for (int i = 0; i < 100; i++) {
            assertEquals(i, w.returnFromBack().get("i", Integer.class), "the returns stay whole and in order");
        }
    }

    @Test
    void aSharedMemoryFieldFailsTheStartNamingTheField() throws Exception {
        SharedMemory mem = SharedMemory.create("jvalkka-remote-test-" + ProcessHandle.current().pid(), 4096);
        launcher.closeFirst(() -> {
            mem.unlink();
            mem.close();
        });
        Holder h = new Holder(mem);
        h.setOptions(BackendOptions.defaults().withPlacement(NODE));
        BackendStartException e = assertThrows(BackendStartException.class, h::start);
        assertTrue(e.getMessage().contains(Holder.class.getName() + ".settings -> " + Settings.class.getName()
                + ".table"), e.getMessage());
        assertTrue(e.getMessage().contains("SharedMemory") && e.getMessage().contains("another host"), e.getMessage());
        assertEquals(List.of(), launcher.requests, "nothing was launched");
    }

    @Test
    void aSharedArrayFieldFailsTheStartNamingTheField() throws Exception {
        SharedArray a = SharedArray.create("jvalkka-remote-test-a-" + ProcessHandle.current().pid(), DType.FLOAT32, 8);
        launcher.closeFirst(() -> {
            a.unlink();
            a.close();
        });
        ArrayHolder h = new ArrayHolder(a);
        h.setOptions(BackendOptions.defaults().withPlacement(NODE));
        BackendStartException e = assertThrows(BackendStartException.class, h::start);
        assertTrue(e.getMessage().contains(ArrayHolder.class.getName() + ".frames"), e.getMessage());
        assertTrue(e.getMessage().contains("SharedArray"), e.getMessage());
        assertEquals(List.of(), launcher.requests, "nothing was launched");
    }
}
