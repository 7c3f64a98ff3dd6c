package jvalkka.multiprocess.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.Select;

/** safeSelect over workers' pipes, a loopback TCP server and connection, and a java.nio pipe together. */
class SelectTest {

    @AfterEach
    void noChildren() {
        Workers.assertNoChildren(15);
    }

    @Test
    void oneSelectServesWorkerPipesTcpAndANioPipe() throws Exception {
        Workers.Echo w1 = new Workers.Echo("sel-1");
        Workers.Echo w2 = new Workers.Echo("sel-2");
        MessagePipe p1 = w1.getPipe();
        MessagePipe p2 = w2.getPipe();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Pipe nio = Pipe.open();
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    Pipe.SourceChannel source = nio.source();
                    Pipe.SinkChannel sink = nio.sink()) {
                MessageProcess.startAll(List.of(w1, w2));
                List<Object> reads = List.of(p1, server, source, p2);
                // the server is ready to accept the client's connection
                Select.Ready r = Select.safeSelect(reads, List.of(), List.of(), 10);
                assertEquals(List.of(server), r.reads());
                assertSame(server, r.reads().get(0), "the caller's own object comes back");
                try (SocketChannel accepted = server.accept()) {
                    List<Object> all = List.of(p1, server, source, accepted, p2);
                    assertTrue(Select.safeSelect(all, List.of(), List.of(), 0.1).isEmpty(), "nothing is ready yet");

                    sink.write(ByteBuffer.wrap(new byte[] {42}));
                    assertEquals(List.of(source), Select.safeSelect(all, List.of(), List.of(), 10).reads());
                    source.read(ByteBuffer.allocate(8));

                    client.write(ByteBuffer.wrap("hello".getBytes()));
                    assertEquals(List.of(accepted), Select.safeSelect(all, List.of(), List.of(), 10).reads());
                    accepted.read(ByteBuffer.allocate(64));

                    w2.sendMessageToBack(new MessageObject("ping", "i", 2));
                    assertEquals(List.of(p2), Select.safeSelect(all, List.of(), List.of(), 10).reads());
                    assertEquals(2, p2.recv().get("i"));

                    // several at once come back in the order given
                    w1.sendMessageToBack(new MessageObject("ping", "i", 1));
                    sink.write(ByteBuffer.wrap(new byte[] {1}));
                    client.write(ByteBuffer.wrap(new byte[] {1}));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    List<Object> ready;
                    do {
                        ready = Select.safeSelect(all, List.of(), List.of(), 1).reads();
                    } while (ready.size() < 3 && System.nanoTime() < deadline);
                    assertEquals(List.of(p1, source, accepted), ready);
                    assertEquals(1, p1.recv().get("i"));

                    // writes: a connected socket with room is writable
                    assertEquals(List.of(client), Select.safeSelect(List.of(), List.of(client), List.of(), 1).writes());
                }
            } finally {
                Workers.stopAll(List.of(w1, w2));
            }
        }
    }

    @Test
    void anInterruptEndsTheWaitWithAnEmptyResultAndKeepsTheFlag() throws Exception {
        Pipe nio = Pipe.open();
        try (Pipe.SourceChannel source = nio.source(); Pipe.SinkChannel sink = nio.sink()) {
            AtomicBoolean flagKept = new AtomicBoolean();
            CompletableFuture<Select.Ready> result = new CompletableFuture<>();
            CompletableFuture<Void> waiting = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                waiting.complete(null);
                result.complete(Select.safeSelect(List.of(source), List.of(), List.of(), -1));
                flagKept.set(Thread.currentThread().isInterrupted());
                // the flag still set: the next call returns at once, empty
                Select.Ready again = Select.safeSelect(List.of(source), List.of(), List.of(), -1);
                flagKept.compareAndSet(true, again.isEmpty());
            });
            t.start();
            waiting.get(10, TimeUnit.SECONDS);
            awaitInSelect(t);
            t.interrupt();
            Select.Ready r = result.get(10, TimeUnit.SECONDS);
            t.join(10_000);
            assertTrue(r.isEmpty(), "an interrupted wait returns nothing ready: " + r);
            assertTrue(flagKept.get(), "the interrupt flag stays set for the caller");
            // the thread's selector still works for others afterwards
            sink.write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(List.of(source), Select.safeSelect(List.of(source), List.of(), List.of(), 10).reads());
        }
    }

    @Test
    void aChannelClosedUnderTheWaitIsReportedReady() throws Exception {
        Pipe nio = Pipe.open();
        Pipe other = Pipe.open();
        try (Pipe.SinkChannel sink = nio.sink(); Pipe.SourceChannel otherSource = other.source();
                Pipe.SinkChannel otherSink = other.sink()) {
            Pipe.SourceChannel source = nio.source();
            CompletableFuture<Select.Ready> result = new CompletableFuture<>();
            Thread t = new Thread(() -> result.complete(
                    Select.safeSelect(List.of(otherSource, source), List.of(), List.of(source), 30)));
            t.start();
            awaitInSelect(t);
            long t0 = System.nanoTime();
            source.close(); // closed by another thread while the select waits on it
            Select.Ready r = result.get(10, TimeUnit.SECONDS);
            double waited = (System.nanoTime() - t0) / 1e9;
            t.join(10_000);
            assertEquals(List.of(source), r.reads(), "a closed channel reads as ready");
            assertTrue(waited < 5, "the wait ended when the channel closed, not at the 30 s timeout: " + waited);
            // and a later select with the closed channel returns at once
            Select.Ready again = Select.safeSelect(List.of(otherSource, source), List.of(), List.of(source), 30);
            assertEquals(List.of(source), again.reads());
            assertEquals(List.of(source), again.others());
            assertFalse(source.isOpen());
        }
    }

    @Test
    void aWorkerKilledUnderTheWaitIsReportedWithItsExitEvent() throws Exception {
        Workers.Echo w = new Workers.Echo("sel-kill");
        w.start();
        try {
            MessagePipe pipe = w.getPipe();
            CompletableFuture<Select.Ready> result = new CompletableFuture<>();
            Thread t = new Thread(() -> result.complete(Select.safeSelect(List.of(pipe), List.of(), List.of(), 30)));
            t.start();
            long t0 = System.nanoTime();
            ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly();
            assertEquals(List.of(pipe), result.get(10, TimeUnit.SECONDS).reads());
            MessageObject m = pipe.recv();
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals("exited", m.command(), m.toString());
            assertEquals(137, m.get("status"), m.toString());
            assertTrue(seconds < 2, "reported within a second or so, took " + seconds);
        } finally {
            w.stop();
        }
    }

    /** Waits (bounded) until {@code t} is blocked inside the selector's epoll_wait, so the test hits a live wait. */
    private static void awaitInSelect(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().equals("sun.nio.ch.EPoll") && e.getMethodName().equals("wait")) {
                    return;
                }
            }
            Thread.sleep(1); // polling a condition, bounded by the deadline
        }
        throw new AssertionError("the select thread never reached epoll_wait; it is at "
                + java.util.Arrays.toString(t.getStackTrace()));
    }
}
