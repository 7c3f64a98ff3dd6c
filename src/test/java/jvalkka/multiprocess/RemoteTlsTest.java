package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

import jvalkka.cluster.TestKeys;
import jvalkka.internal.NodeKeys;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The remote data path over mutual TLS: a cluster with keys (the launcher's
 * {@code keysDir()}) has its frontend and backend run the TLS handshake before
 * any hello, and a peer without the cluster's certificate, or without TLS, is
 * refused. The "remote" host is this one ({@link LoopbackLauncher}).
 */
@Timeout(120)
class RemoteTlsTest {
    static Path keys;
    static Path otherKeys;

    LoopbackLauncher launcher;
    final List<MessageProcess> processes = new ArrayList<>();

    @BeforeAll
    static void makeKeys() throws Exception {
        keys = TestKeys.of("tls");
        otherKeys = TestKeys.of("tls-other");
    }

    @AfterEach
    void uninstall() throws Exception {
        for (MessageProcess p : processes) {
            p.stop();
        }
        if (launcher != null) {
            launcher.close();
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    RemoteBackendTest.Remote placed() {
        RemoteBackendTest.Remote r = new RemoteBackendTest.Remote();
        r.setOptions(BackendOptions.defaults().withPlacement(RemoteBackendTest.NODE)
                .withStartTimeout(java.time.Duration.ofSeconds(60)));
        processes.add(r);
        return r;
    }

    @Test
    void aRemoteBackendDoesNotCollectEveryFewHundredTlsRoundTrips() throws Exception {
        // the JDK's TLS engine leaves a few KiB of garbage per round trip in the backend: with the small local
        // backend's young generation (~2 MiB of eden) that was a young collection every ~500 round trips
        launcher = LoopbackLauncher.install(keys);
        Path gcLog = java.nio.file.Files.createTempFile("jvalkka-remote-gc", ".log");
        try {
            RemoteBackendTest.Remote r = new RemoteBackendTest.Remote();
            r.setOptions(BackendOptions.defaults().withPlacement(RemoteBackendTest.NODE)
                    .withStartTimeout(java.time.Duration.ofSeconds(60))
                    .withExtraJvmArgs("-Xlog:gc:file=" + gcLog + "::filecount=0")); // no rotated copies left
            processes.add(r);
            r.start();
            List<Object> reads = List.of(r.getPipe());
            for (int i = 0; i < 500; i++) { // the start's own garbage is collected by now, or counts below
                r.sendMessageToBack(new MessageObject("echo", "i", i));
                assertEquals(reads, Select.safeSelect(reads, List.of(), List.of(), 30).reads());
                assertEquals(i, r.getPipe().recv().get("i"));
            }
            long before = youngCollections(gcLog);
            int n = 4000;
            for (int i = 0; i < n; i++) {
                r.sendMessageToBack(new MessageObject("echo", "i", i));
                assertEquals(reads, Select.safeSelect(reads, List.of(), List.of(), 30).reads());
                assertEquals(i, r.getPipe().recv().get("i"));
            }
            r.stop();
            long during = youngCollections(gcLog) - before;
            assertTrue(during <= 2, during + " young collections in the backend during " + n + " TLS round trips");
        } finally {
            java.nio.file.Files.deleteIfExists(gcLog);
        }
    }

    private static long youngCollections(Path gcLog) throws IOException {
        try (var lines = java.nio.file.Files.lines(gcLog)) {
            return lines.filter(l -> l.contains("Pause Young")).count();
        }
    }

    @Test
    void aProcessInAClusterWithKeysAnswersPingsAndProxyCallsOverMutualTls() throws Exception {
        launcher = LoopbackLauncher.install(keys);
        RemoteBackendTest.Remote r = placed();
        r.start();
        assertTrue(launcher.requests.get(0).bootLine().endsWith(" tls\n"), launcher.requests.get(0).bootLine());
        for (int i = 0; i < 3; i++) {
            r.sendMessageToBack(new MessageObject("ping", "i", i));
            assertEquals(i, r.returnFromBack().get("i", Integer.class));
        }
        RemoteBackendTest.Api api = r.proxy(RemoteBackendTest.Api.class);
        assertEquals(5, api.add(2, 3));
        IOException e = assertThrows(IOException.class, () -> api.fail("disk on fire"));
        assertEquals("disk on fire", e.getMessage());
        assertEquals(9, api.add(4, 5));
    }

    @Test
    void aBurstOfAMillionMessagesCrossesTlsWholeAndInOrder() {
        launcher = LoopbackLauncher.install(keys);
        RemoteBackendTest.Remote r = placed();
        r.start();
        RemoteBackendTest.Api api = r.proxy(RemoteBackendTest.Api.class);
        int n = 1_000_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            r.sendMessageToBack(new MessageObject("n", "i", i));
        }
        assertEquals(n, api.received(), "messages lost");
        assertEquals(0, api.disorder(), "messages out of order");
        System.out.printf("remote TLS burst: %d messages in %d ms%n", n, (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void connectionsWithAnotherClustersCertificateOrWithoutTlsAreRefusedAndTheRealBackendStillStarts()
            throws Exception {
        launcher = LoopbackLauncher.install(keys);
        SSLContext other = NodeKeys.context(otherKeys);
        List<SocketChannel> strangers = new ArrayList<>();
        List<CompletableFuture<Void>> tlsStrangers = new ArrayList<>();
        launcher.beforeStart = req -> {
            try {
                InetSocketAddress at = RemoteConnection.address(req.bootLine().split(" ")[0]);
                SocketChannel foreign = SocketChannel.open(at);
                strangers.add(foreign);
                // its handshake waits for the frontend, which accepts only once the launch returned
                tlsStrangers.add(CompletableFuture.runAsync(() -> {
                    MessagePipe p = new MessagePipe("another cluster's member");
                    try {
                        p.connect(foreign, NodeKeys.clientEngine(other), 30_000);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } finally {
                        p.close();
                    }
                }));
                SocketChannel plain = SocketChannel.open(at); // the right framing, no TLS
                strangers.add(plain);
                byte[] hello = new byte[WireProtocol.TOKEN_BYTES + 1];
                ByteBuffer frame = ByteBuffer.allocate(WireProtocol.HEADER_LENGTH + hello.length)
                        .put(WireProtocol.header(hello.length, WireProtocol.HELLO)).put(hello).flip();
                while (frame.hasRemaining()) {
                    plain.write(frame);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        RemoteBackendTest.Remote r = placed();
        r.start();
        assertEquals(7, r.proxy(RemoteBackendTest.Api.class).add(3, 4));
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> tlsStrangers.get(0).get(30, TimeUnit.SECONDS));
        assertTrue(refused.getCause().getCause() instanceof SSLException, String.valueOf(refused.getCause()));
        SocketChannel plain = strangers.get(1);
        plain.configureBlocking(true);
        plain.socket().setSoTimeout(10_000);
        byte[] got = plain.socket().getInputStream().readAllBytes();
        assertFalse(got.length > 0 && got[0] != 21, "the plain stranger got nothing but an alert");
        for (SocketChannel s : strangers) {
            s.close();
        }
    }

    @Test
    void aBackendWithoutTlsIsRefusedByAFrontendWithKeysAndTheStartFailsNamingTls() {
        launcher = LoopbackLauncher.install(keys);
        launcher.bootLine = line -> line.replace(" tls\n", "\n");
        BackendStartException e = assertThrows(BackendStartException.class, placed()::start);
        assertTrue(e.getMessage().contains("does not speak TLS"), e.getMessage());
    }

    @Test
    void aBackendWithTlsIsRefusedByAPlainFrontendAndTheStartFailsNamingTls() {
        launcher = LoopbackLauncher.install(null);
        launcher.nodeKeys = keys;
        launcher.bootLine = line -> line.replace("\n", " tls\n");
        BackendStartException e = assertThrows(BackendStartException.class, placed()::start);
        assertTrue(e.getMessage().contains("a TLS client?"), e.getMessage());
    }

    @Test
    void aBackendWithAnotherClustersKeysIsRefusedAndTheStartFailsNamingTls() {
        launcher = LoopbackLauncher.install(keys);
        launcher.nodeKeys = otherKeys;
        BackendStartException e = assertThrows(BackendStartException.class, placed()::start);
        assertTrue(e.getMessage().contains("TLS handshake failed"), e.getMessage());
    }
}
