package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.sync.EventFailedException;
import jvalkka.sync.EventGroup;
import jvalkka.sync.RemoteFailure;
import jvalkka.sync.SyncIndex;

/** A SyncIndex whose message's handler fails stops waiting at once, with the handler's exception. */
@Timeout(120)
class SyncIndexFailureTest {
    static final Duration PROMPTLY = Duration.ofSeconds(15); // far below "for ever"; a loaded machine is slow

    static class Worker extends MessageProcess {
        final EventGroup eg = new EventGroup(4);

        Worker() {
            super("sync-failure");
        }

        void c__work(int count, int sync_index) {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + count);
            }
            eg.set(sync_index);
        }

        void c__setThenFail(int sync_index) {
            eg.set(sync_index);
            throw new IllegalStateException("after the set");
        }

        void c__fail(int n, int sync_index) {
            throw new IllegalStateException("fails with n=" + n);
        }

        CompletionStage<Void> c__setLater(int sync_index) {
            return CompletableFuture.runAsync(() -> eg.set(sync_index),
                    CompletableFuture.delayedExecutor(500, java.util.concurrent.TimeUnit.MILLISECONDS));
        }

        CompletionStage<Void> c__later(int sync_index) {
            return CompletableFuture.runAsync(() -> {
                throw new IllegalStateException("async failure");
            });
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void aSyncIndexWhoseHandlerFailsThrowsTheHandlersExceptionAtOnce() {
        Worker p = new Worker();
        p.start();
        try {
            EventFailedException e = assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class,
                    () -> {
                        try (SyncIndex s = new SyncIndex(p.eg)) { // no timeout: before, this waited for ever
                            p.sendMessageToBack(new MessageObject("work", "count", -1, "sync_index", s.index()));
                        }
                    }));
            assertTrue(e.getMessage().contains("work"), e.getMessage());
            RemoteFailure cause = assertInstanceOf(RemoteFailure.class, e.getCause());
            assertEquals(IllegalArgumentException.class.getName(), cause.remoteType());
            assertEquals("count must be >= 0, got -1", cause.remoteMessage());
            assertTrue(Arrays.stream(cause.getStackTrace()).anyMatch(f -> f.getMethodName().equals("c__work")),
                    Arrays.toString(cause.getStackTrace()));
            assertEquals(4, p.eg.available(), "the event was released");
            // the error report still reaches the main pipe, and the backend goes on
            assertEquals("error", p.getPipe().recv().command());
            try (SyncIndex s = new SyncIndex(p.eg)) {
                p.sendMessageToBack(new MessageObject("work", "count", 1, "sync_index", s.index()));
            }
        } finally {
            p.stop();
            p.eg.close();
        }
    }

    @Test
    void bindingErrorsAndUnknownCommandsFailTheSyncIndexToo() {
        Worker p = new Worker();
        p.start();
        try {
            assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class, () -> {
                try (SyncIndex s = new SyncIndex(p.eg)) {
                    p.sendMessageToBack(new MessageObject("work", "sync_index", s.index())); // count is missing
                }
            }));
            EventFailedException e = assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class,
                    () -> {
                        try (SyncIndex s = new SyncIndex(p.eg)) {
                            p.sendMessageToBack(new MessageObject("nosuch", "sync_index", s.index()));
                        }
                    }));
            assertTrue(e.getMessage().contains("no such method c__nosuch"), e.getMessage());
            assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class, () -> {
                try (SyncIndex s = new SyncIndex(p.eg)) {
                    p.sendMessageToBack(new MessageObject("later", "sync_index", s.index()));
                }
            }));
        } finally {
            p.stop();
            p.eg.close();
        }
    }

    @Test
    void anEventSetBeforeTheHandlerFailedCountsAsSetAndOtherEventsAreLeftAlone() throws Exception {
        Worker p = new Worker();
        p.start();
        try {
            try (SyncIndex s = new SyncIndex(p.eg)) {
                p.sendMessageToBack(new MessageObject("setThenFail", "sync_index", s.index()));
            } // no exception: the handler did set it
            // an int parameter that happens to equal the index of an event another thread waits for
            // (its index went out in a parameter of another name) does not fail that event
            CompletableFuture<Void> other = new CompletableFuture<>();
            int[] otherIndex = {-1};
            java.util.concurrent.CountDownLatch sent = new java.util.concurrent.CountDownLatch(1);
            Thread t = new Thread(() -> {
                try (SyncIndex s = new SyncIndex(p.eg)) {
                    otherIndex[0] = s.index();
                    p.sendMessageToBack(new MessageObject("setLater", "sync_index", s.index()));
                    sent.countDown();
                } catch (Throwable x) {
                    other.completeExceptionally(x);
                    return;
                }
                other.complete(null);
            });
            t.start();
            assertTrue(sent.await(30, java.util.concurrent.TimeUnit.SECONDS));
            assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(EventFailedException.class, () -> {
                try (SyncIndex s = new SyncIndex(p.eg)) {
                    p.sendMessageToBack(new MessageObject("fail", "n", otherIndex[0], "sync_index", s.index()));
                }
            }));
            assertTimeoutPreemptively(PROMPTLY, () -> other.get()); // set by its own handler, not failed
        } finally {
            p.stop();
            p.eg.close();
        }
    }
}
