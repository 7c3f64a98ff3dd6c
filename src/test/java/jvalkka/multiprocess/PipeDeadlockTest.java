package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No usage of one frontend and one backend deadlocks a process channel: a send
 * that cannot go on takes the incoming side in, reads and writes have separate
 * locks, and every wait honours its timeout. Each test waits with a bound, and
 * a backend left stuck by a failure is killed by its pid, so that a deadlock
 * fails the test instead of hanging the suite.
 */
@Timeout(120)
class PipeDeadlockTest {
    /** Messages in a burst: far more than the two socket buffers hold (each about 200 KB). */
    static final int BURST = 20_000;
    /** Failing messages in a burst: each error report carries a stack trace (a few KB), and is logged. */
    static final int FAILING_BURST = 4_000;
    /** A parameter that makes each message ~200 bytes, so that the sockets fill early in a burst. */
    static final String PAD = "x".repeat(160);

    static class Echo extends MessageProcess {
        Echo() {
            super("deadlock-echo");
        }

        void c__ping(int i, String pad) {
            send_out__(new MessageObject("pong", "i", i, "pad", pad));
        }

        void c__boom(int i, String pad) {
            throw new IllegalStateException("boom " + i);
        }

        /** Blocks the backend's loop until {@code path} exists (at most a minute). */
        void c__hold(String path) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(Path.of(path)) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
    }

    Echo p;

    @AfterEach
    void stopOrKill() throws Exception {
        if (p == null || p.pid() < 0) {
            return;
        }
        Thread stopper = new Thread(p::stop, "stopper");
        stopper.setDaemon(true);
        stopper.start();
        stopper.join(TimeUnit.SECONDS.toMillis(20));
        if (stopper.isAlive()) {
            // a deadlocked channel: end the backend so that the stuck threads fail and the suite goes on
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
            stopper.join(TimeUnit.SECONDS.toMillis(20));
            fail("the backend did not stop within 20 s: killed it");
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    private static <T> T within(CompletableFuture<T> f, int seconds, String what) throws Exception {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not finish within " + seconds + " s: deadlocked", e);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    /** Reads {@code n} messages of {@code command} with safeSelect and recv; checks their order. */
    private static int readAll(MessagePipe pipe, int n, String command) {
        List<Object> reads = List.of(pipe);
        int got = 0;
        while (got < n) {
            if (Select.safeSelect(reads, List.of(), List.of(), 1).reads().isEmpty()) {
                continue;
            }
            do {
                MessageObject m = pipe.recv();
                assertEquals(command, m.command(), m.toString());
                if (command.equals("pong")) {
                    assertEquals(got, m.get("i"), "lost or reordered");
                } else {
                    assertTrue(((String) m.get("reason")).contains("boom " + got), m.toString());
                }
                got++;
            } while (got < n && pipe.hasBufferedMessage());
        }
        return got;
    }

    @Test
    void aBurstThenReadingTheRepliesDoesNotHang() throws Exception {
        p = new Echo();
        p.start();
        CompletableFuture<Integer> sent = CompletableFuture.supplyAsync(() -> {
            for (int i = 0; i < BURST; i++) {
                p.sendMessageToBack(new MessageObject("ping", "i", i, "pad", PAD));
            }
            return BURST;
        });
        assertEquals(BURST, within(sent, 30, "sending a burst before reading the replies"));
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readAll(p.getPipe(), BURST, "pong"));
        assertEquals(BURST, within(read, 30, "reading the replies"));
    }

    @Test
    void aBurstOfFailingMessagesThenReadingTheErrorReportsDoesNotHang() throws Exception {
        p = new Echo();
        p.start();
        CompletableFuture<Integer> sent = CompletableFuture.supplyAsync(() -> {
            for (int i = 0; i < FAILING_BURST; i++) {
                p.sendMessageToBack(new MessageObject("boom", "i", i, "pad", PAD));
            }
            return FAILING_BURST;
        });
        assertEquals(FAILING_BURST, within(sent, 30, "sending failing messages before reading the error reports"));
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(
                () -> readAll(p.getPipe(), FAILING_BURST, "error"));
        assertEquals(FAILING_BURST, within(read, 30, "reading the error reports"));
    }

    @Test
    void aWriterThreadAndASelectingReaderThreadDoNotDeadlock() throws Exception {
        p = new Echo();
        p.start();
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readAll(p.getPipe(), BURST, "pong"));
        CompletableFuture<Integer> sent = CompletableFuture.supplyAsync(() -> {
            for (int i = 0; i < BURST; i++) {
                p.sendMessageToBack(new MessageObject("ping", "i", i, "pad", PAD));
            }
            return BURST;
        });
        assertEquals(BURST, within(sent, 30, "the writer thread"));
        assertEquals(BURST, within(read, 30, "the reader thread"));
    }

    @Test
    void aSelectWithATimeoutReturnsInTimeWhileAnotherThreadsSendIsStuck(@TempDir Path dir) throws Exception {
        p = new Echo();
        p.start();
        Path release = dir.resolve("release");
        p.sendMessageToBack(new MessageObject("hold", "path", release.toString()));
        AtomicInteger sent = new AtomicInteger();
        CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
            for (int i = 0; i < 2000; i++) { // ~400 KB each way at least: more than the sockets hold
                p.sendMessageToBack(new MessageObject("ping", "i", i, "pad", PAD.repeat(10)));
                sent.incrementAndGet();
            }
            return sent.get();
        });
        try {
            // the real condition: the socket to the backend is full, so the writer is (or soon is) stuck
            awaitSocketFull(writer);
            CompletableFuture<Long> select = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                Select.safeSelect(List.of(p.getPipe()), List.of(), List.of(), 0.5);
                return (System.nanoTime() - t0) / 1_000_000;
            });
            long took = within(select, 20, "a select with a 0.5 s timeout");
            assertTrue(took < 3000, "a select with a 0.5 s timeout took " + took + " ms");
            // hasBufferedMessage and poll do not wait for the writer either
            CompletableFuture<Boolean> poll = CompletableFuture.supplyAsync(() -> p.getPipe().poll(0.2));
            within(poll, 5, "poll(0.2)");
        } finally {
            Files.createFile(release);
        }
        assertEquals(2000, within(writer, 30, "the writer, once the backend reads again"));
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> readAll(p.getPipe(), 2000, "pong"));
        assertEquals(2000, within(read, 30, "reading the replies"));
    }

    @Test
    void stopEndsABackendThatStopsReadingEvenWhileASendIsStuck(@TempDir Path dir) throws Exception {
        p = new Echo();
        p.setOptions(BackendOptions.defaults().withStopTimeout(java.time.Duration.ofSeconds(1)));
        p.start();
        p.sendMessageToBack(new MessageObject("hold", "path", dir.resolve("never").toString()));
        CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
            for (int i = 0; i < 2000; i++) {
                p.sendMessageToBack(new MessageObject("ping", "i", i, "pad", PAD.repeat(10)));
            }
            return 2000;
        });
        awaitSocketFull(writer);
        long t0 = System.nanoTime();
        within(CompletableFuture.runAsync(p::stop), 15, "stop() of a backend that no longer reads");
        long took = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(took < 10_000, "stop() took " + took + " ms with a stop timeout of 1 s");
        // the stuck send learns that the backend is gone
        CompletableFuture<Object> failed = writer.handle((v, t) -> t);
        assertTrue(within(failed, 15, "the stuck send") != null, "the stuck send did not fail");
    }

    /** Waits (bounded) until the socket to the backend is full while {@code writer} still sends. */
    private void awaitSocketFull(CompletableFuture<?> writer) throws Exception {
        try (Selector s = Selector.open()) {
            java.nio.channels.SocketChannel ch = (java.nio.channels.SocketChannel) p.getPipe().channel();
            ch.register(s, SelectionKey.OP_WRITE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                int ready = s.selectNow();
                s.selectedKeys().clear();
                if (ready == 0 && !writer.isDone()) {
                    return;
                }
                assertTrue(System.nanoTime() < deadline, "the socket never filled up");
                Thread.sleep(10);
            }
        }
    }

    @Test
    void requestStopIsNotBlockedByAThreadWaitingInRecv() throws Exception {
        p = new Echo();
        p.start();
        CompletableFuture<MessageObject> receiver = CompletableFuture.supplyAsync(() -> p.getPipe().recv());
        // the receiver is in recv() (or about to be): nothing comes until the stop marker
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!threadInRecv() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        CompletableFuture<Void> stop = CompletableFuture.runAsync(p::requestStop);
        within(stop, 10, "requestStop while another thread waits in recv()");
        assertNull(within(receiver, 10, "the receiver, woken by the stop marker"), "the stop marker");
    }

    private static boolean threadInRecv() {
        for (StackTraceElement[] st : Thread.getAllStackTraces().values()) {
            for (StackTraceElement e : st) {
                if (e.getClassName().equals(MessagePipe.class.getName()) && e.getMethodName().equals("recv")) {
                    return true;
                }
            }
        }
        return false;
    }
}
