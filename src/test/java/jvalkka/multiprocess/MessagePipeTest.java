package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two ends of a pipe in one JVM, joined by a Unix-domain socket: the pipe's own contract. */
@Timeout(60)
class MessagePipeTest {
    @TempDir
    Path dir;
    MessagePipe a;
    MessagePipe b;
    final List<String> faultsOfB = new CopyOnWriteArrayList<>();

    @BeforeEach
    void connect() throws Exception {
        UnixDomainSocketAddress addr = UnixDomainSocketAddress.of(dir.resolve("s"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(addr);
            SocketChannel client = SocketChannel.open(addr);
            SocketChannel accepted = server.accept();
            a = new MessagePipe("a");
            b = new MessagePipe("b");
            a.connect(client);
            b.connect(accepted);
            b.onFault(faultsOfB::add);
        }
    }

    @AfterEach
    void close() {
        a.close();
        b.close();
    }

    private static <T> T within(CompletableFuture<T> f, int seconds, String what) throws Exception {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not finish within " + seconds + " s", e);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    static byte[] frameOf(MessageObject m) {
        byte[] json = Codec.encode(m);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(WireProtocol.header(json.length, WireProtocol.MESSAGE));
        o.writeBytes(json);
        return o.toByteArray();
    }

    @Test
    void twoEndsThatBothSendABurstBeforeReadingDoNotDeadlock() throws Exception {
        int n = 50_000; // ~3 MB each way: far more than the socket buffers hold
        String pad = "y".repeat(40);
        // each end: a burst, then it reads the other's; a's end runs in a thread that a timeout can abandon
        CompletableFuture<Void> endB = CompletableFuture.runAsync(() -> burstThenRead(b, a.toString(), n, pad));
        CompletableFuture<Void> endA = CompletableFuture.runAsync(() -> burstThenRead(a, b.toString(), n, pad));
        within(endA, 20, "a's burst, then reading b's");
        within(endB, 20, "b's burst, then reading a's");
    }

    private static void burstThenRead(MessagePipe pipe, String other, int n, String pad) {
        for (int i = 0; i < n; i++) {
            pipe.send(new MessageObject("m", "i", i, "pad", pad));
        }
        pipe.flush();
        for (int i = 0; i < n; i++) {
            assertEquals(i, pipe.recv().get("i"), "a message from " + other + " was lost or reordered");
        }
    }

    @Test
    void aMessageAfterGarbageInTheSameReadIsNotLeftWaitingForTheSocket() throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(frameOf(new MessageObject("first")));
        o.writeBytes("some garbage".getBytes());
        o.writeBytes(frameOf(new MessageObject("second")));
        a.writeRawBytes(o.toByteArray());
        assertEquals("first", b.recv().command());
        assertTrue(b.hasBufferedMessage(), "the second message is in the buffer, behind the garbage");
        assertEquals(List.of(b), Select.safeSelect(List.of(b), List.of(), List.of(), 0).reads(), "safeSelect sees it");
        assertEquals("second", b.recv().command());
        assertEquals(1, faultsOfB.size(), faultsOfB.toString());
        assertTrue(faultsOfB.get(0).contains("12 bytes of garbage"), faultsOfB.toString());
    }

    @Test
    void bytesThatHoldTheMagicWithoutASoundHeaderAreGarbage() throws Exception {
        byte[] fake = WireProtocol.header(500, WireProtocol.MESSAGE);
        fake[WireProtocol.CHECK_OFFSET] ^= 0x5A; // the header check fails
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(fake);
        o.writeBytes("[\"not\",{}]".getBytes());
        o.writeBytes(frameOf(new MessageObject("after")));
        a.writeRawBytes(o.toByteArray());
        assertEquals("after", b.recv().command());
        assertEquals(1, faultsOfB.size(), faultsOfB.toString());
        assertTrue(faultsOfB.get(0).contains("bytes of garbage"), faultsOfB.toString());
    }

    @Test
    void lastWordsThatRunOverTheFramesAfterThemCostOneFrame() throws Exception {
        // the declared length ends inside the frames that follow, which arrive in the same read
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] text = "last words".getBytes();
        o.writeBytes(WireProtocol.header(text.length + 30, WireProtocol.EXIT));
        o.writeBytes(text);
        for (int i = 0; i < 5; i++) {
            o.writeBytes(frameOf(new MessageObject("next", "i", i)));
        }
        a.writeRawBytes(o.toByteArray());
        for (int i = 0; i < 5; i++) {
            assertEquals(i, b.recv().get("i"));
        }
        assertEquals(1, faultsOfB.size(), faultsOfB.toString());
        assertTrue(faultsOfB.get(0).contains("truncated"), faultsOfB.toString());
    }

    @Test
    void closeFromAnotherThreadWakesARecvAndWaitsForNobody() throws Exception {
        CompletableFuture<MessageObject> receiver = CompletableFuture.supplyAsync(() -> b.recv());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!threadIn("recv") && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        within(CompletableFuture.runAsync(b::close), 5, "close() while another thread is in recv()");
        ExecutionException e = assertThrows(ExecutionException.class, () -> receiver.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof PipeClosedException, e.toString());
    }

    private static boolean threadIn(String method) {
        for (StackTraceElement[] st : Thread.getAllStackTraces().values()) {
            for (StackTraceElement e : st) {
                if (e.getClassName().equals(MessagePipe.class.getName()) && e.getMethodName().equals(method)) {
                    return true;
                }
            }
        }
        return false;
    }
}
