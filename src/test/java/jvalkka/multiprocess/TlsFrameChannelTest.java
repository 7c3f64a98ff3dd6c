package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.cluster.TestKeys;
import jvalkka.internal.NodeKeys;

/**
 * The transport seam's contract on mutual TLS 1.3 over a TCP connection on the
 * loopback interface ({@link TlsLink} under the pipe), and what TLS adds: a peer
 * of another cluster, or one that does not speak TLS, is refused at the handshake.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TlsFrameChannelTest extends FrameChannelContract {
    static SSLContext keys;
    static SSLContext otherCluster;

    @BeforeAll
    static void makeKeys() throws Exception {
        keys = NodeKeys.context(TestKeys.of("tls"));
        otherCluster = NodeKeys.context(TestKeys.of("tls-other"));
    }

    @Override
    FrameChannel[] connectPair() throws Exception {
        return pair(keys, keys);
    }

    /** a: the client with {@code clientKeys}; b: the server (needing a client certificate) with {@code serverKeys}. */
    private static MessagePipe[] pair(SSLContext clientKeys, SSLContext serverKeys) throws Exception {
        try (ServerSocketChannel server = TcpChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            CompletableFuture<MessagePipe> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return TcpChannels.acceptTls("b", server, 20_000, serverKeys);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            MessagePipe a;
            try {
                a = TcpChannels.connectTls("a", at, clientKeys, 20_000);
            } catch (java.io.IOException e) {
                try {
                    accepted.get(20, TimeUnit.SECONDS).close();
                } catch (ExecutionException ignored) {
                    // the server refused too
                }
                throw e;
            }
            return new MessagePipe[] {a, within(accepted, 20, "accepting the connection")};
        }
    }

    @Test
    void aPeerWithACertificateFromAnotherAuthorityIsRefusedAtTheHandshake() throws Exception {
        try (ServerSocketChannel server = TcpChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            CompletableFuture<MessagePipe> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return TcpChannels.acceptTls("server", server, 20_000, keys);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            SSLHandshakeException client = assertThrows(SSLHandshakeException.class,
                    () -> TcpChannels.connectTls("intruder", at, otherCluster, 20_000));
            ExecutionException e = assertThrows(ExecutionException.class, () -> accepted.get(20, TimeUnit.SECONDS));
            assertTrue(e.getCause().getCause() instanceof SSLHandshakeException, "the server refused it too: " + e);
            assertTrue(client.getMessage().contains("intruder: TLS handshake failed"), client.getMessage());
        }
    }

    @Test
    void aServerWithACertificateFromAnotherAuthorityIsRefusedByTheClient() throws Exception {
        Exception e = assertThrows(Exception.class, () -> pair(keys, otherCluster));
        assertTrue(e instanceof SSLHandshakeException, "the client refused the server: " + e);
    }

    @Test
    void aPlainTcpClientTalkingToATlsServerIsRefusedClearly() throws Exception {
        try (ServerSocketChannel server = TcpChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            CompletableFuture<MessagePipe> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return TcpChannels.acceptTls("server", server, 20_000, keys);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (MessagePipe plain = TcpChannels.connect("plain", at)) {
                plain.send(new MessageObject("hello", "i", 1));
                plain.flush();
                ExecutionException e = assertThrows(ExecutionException.class, () -> accepted.get(20, TimeUnit.SECONDS));
                Throwable refused = e.getCause().getCause();
                assertTrue(refused instanceof SSLHandshakeException, "refused at the handshake: " + refused);
                assertTrue(refused.getMessage().contains("does not speak TLS"), refused.getMessage());
                assertThrows(PipeClosedException.class, () -> plain.recv(10_000),
                        "the plain client finds the connection closed");
            }
        }
    }

    @Test
    void aTlsClientTalkingToAPlainTcpServerIsRefusedClearly() throws Exception {
        try (ServerSocketChannel server = TcpChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            CompletableFuture<MessagePipe> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    MessagePipe plain = TcpChannels.accept("plain", server, 20_000);
                    plain.send(new MessageObject("hello"));
                    plain.flush();
                    return plain;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                    () -> TcpChannels.connectTls("client", at, keys, 20_000));
            assertTrue(e.getMessage().contains("client: the peer does not speak TLS"), e.getMessage());
            within(accepted, 20, "the plain server").close();
        }
    }

    @Test
    void aPeerThatNeverAnswersTheHandshakeTimesOut() throws Exception {
        try (ServerSocketChannel server = TcpChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel silent = SocketChannel.open(server.getLocalAddress())) {
            long t0 = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> TcpChannels.acceptTls("server", server, 300, keys));
            assertTrue(e.getMessage().contains("TLS handshake did not finish within 300 ms"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "bounded");
            java.nio.ByteBuffer alert = java.nio.ByteBuffer.allocate(512);
            while (silent.read(alert.clear()) >= 0) {
                // an alert, perhaps, then the end: the server closed the connection (else the class times out)
            }
        }
    }

    @Test
    void aMessageAtTheSixteenMebibyteLimitCrossesTls() throws Exception {
        byte[] big = new byte[MessagePipe.DEFAULT_MAX_MESSAGE_BYTES / 4 * 3 - 4096]; // base64 in the frame: ~16 MiB
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + (i >> 11));
        }
        CompletableFuture<MessageObject> reader = CompletableFuture.supplyAsync(() -> b.recv(30_000));
        a.send(new MessageObject("big", "b", big));
        a.flush();
        MessageObject got = within(reader, 60, "reading the 16 MiB message");
        assertArrayEquals(big, (byte[]) got.get("b"));
    }

    @Test
    void aReaderThatSelectsBeforeEachRecvGetsEveryMessageOfABurst() throws Exception {
        // bursts of large frames, whose ends do not line up with the TLS records, each in the socket before the
        // reader starts: whatever a read leaves decrypted or whole inside the link must still count as ready
        for (int size : new int[] {20_000, 13_000, 30_000, 7_000}) {
            String pad = "z".repeat(size);
            int n = 150_000 / size;
            for (int i = 0; i < n; i++) {
                a.send(new MessageObject("m", "i", i, "pad", pad));
            }
            a.flush();
            for (int i = 0; i < n; i++) {
                Select.Result r = Select.safeSelect(java.util.List.of(b), java.util.List.of(), java.util.List.of(), 5);
                assertEquals(java.util.List.of(b), r.reads(), "message " + i + " of " + n + " (" + size
                        + " bytes) is here but neither the selector nor hasBufferedMessage says so");
                assertEquals(i, b.recv(10_000).get("i"));
            }
        }
    }

    @Test
    void aTlsLinksSocketIoNeedsNoTemporaryDirectBuffer() throws Exception {
        // the JDK copies a heap buffer's bytes through a temporary direct buffer, cached per thread, on each
        // socket read and write: a fresh thread's first such I/O allocates one. A TLS link reads and writes its
        // records from direct buffers of its own, so a thread that only sends and receives through it needs none
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        CompletableFuture<Long> grew = CompletableFuture.supplyAsync(() -> {
            long before = direct.getCount();
            for (int i = 0; i < 20; i++) {
                a.send(new MessageObject("ping", "i", i));
                a.flush();
                assertEquals(i, b.recv(10_000).get("i"));
                b.send(new MessageObject("pong", "i", i));
                b.flush();
                assertEquals(i, a.recv(10_000).get("i"));
            }
            return direct.getCount() - before; // read before the thread ends and its cache is freed
        }, r -> new Thread(r, "fresh-io").start());
        assertEquals(0L, within(grew, 30, "the pings"), "temporary direct buffers allocated by a fresh thread's TLS I/O");
    }

    @Test
    void bothEndsAgreeOnAes128Gcm() {
        // the cheapest of TLS 1.3's suites with AES instructions: a quarter less per record than AES-256
        assertEquals("TLS_AES_128_GCM_SHA256", ((TlsLink) ((MessagePipe) a).link).cipherSuite());
        assertEquals("TLS_AES_128_GCM_SHA256", ((TlsLink) ((MessagePipe) b).link).cipherSuite());
    }

    @Test
    void theStartHandshakesRawFramesAndANonBlockingSendCrossTls() throws Exception {
        MessagePipe client = (MessagePipe) a;
        MessagePipe server = (MessagePipe) b;
        byte[] boot = "the process object".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        server.sendRaw(WireProtocol.BOOT, boot);
        WireCodec.Frame f = client.recvFrame(10_000);
        assertEquals(WireProtocol.BOOT, f.kind());
        assertArrayEquals(boot, f.payload());
        client.sendRaw(WireProtocol.READY, new byte[0]);
        assertEquals(WireProtocol.READY, server.recvFrame(10_000).kind());
        client.trySendNow(new MessageObject("error", "reason", "a report that never waits"));
        assertEquals("a report that never waits", server.recv(10_000).get("reason"));
    }

    @Test
    void keyUpdatesMidStreamLoseNothingEitherWay() throws Exception {
        int n = 3000;
        CompletableFuture<Void> readB = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                assertEquals(i, b.recv(10_000).get("i"), "a to b");
            }
        });
        CompletableFuture<Void> readA = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                assertEquals(i, a.recv(10_000).get("i"), "b to a");
            }
        });
        for (int i = 0; i < n; i++) {
            if (i % 1000 == 500) {
                ((TlsLink) ((MessagePipe) a).link).requestKeyUpdate(); // b must answer with one of its own
                ((TlsLink) ((MessagePipe) b).link).requestKeyUpdate();
            }
            a.send(new MessageObject("m", "i", i));
            b.send(new MessageObject("m", "i", i));
        }
        a.flush();
        b.flush();
        within(readB, 20, "b reading");
        within(readA, 20, "a reading");
    }
}
