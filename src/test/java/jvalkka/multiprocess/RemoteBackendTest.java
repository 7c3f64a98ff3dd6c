package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import jvalkka.internal.RemoteLauncher;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A process with a {@link Placement} starts through the installed remote
 * launcher and talks to its backend over TCP, proven by the boot line's token;
 * the "remote" host is this one ({@link LoopbackLauncher}), which needs no
 * cluster.
 */
@Timeout(120)
class RemoteBackendTest {
    static final Placement NODE = Placement.node("test-node");

    public interface Api {
        int add(int a, int b);

        String fail(String why) throws IOException;

        int length(String s);

        long received();

        long disorder();

        int block();

        List<String> jvmOptions();
    }

    static class Remote extends MessageProcess {
        private long next;
        private long disorder;

        Remote() {
            super("remote");
        }

        void c__echo(int i) {
            send_out__(new MessageObject("echo", "i", i, "pid", ProcessHandle.current().pid()));
        }

        void c__ping(int i) {
            return_out__(new MessageObject("pong", "i", i, "pid", ProcessHandle.current().pid()));
        }

        void c__n(int i) {
            if (i != next) {
                disorder++;
            }
            next = i + 1;
        }

        void c__padded(int i, byte[] pad) {
            c__n(i);
        }

        long c__received() {
            return next;
        }

        long c__disorder() {
            return disorder;
        }

        int c__add(int a, int b) {
            return a + b;
        }

        String c__fail(String why) throws IOException {
            throw new IOException(why);
        }

        List<String> c__jvmOptions() {
            return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        }

        int c__length(String s) {
            return s.length();
        }

        /** Reads nothing while {@code path} exists. */
        void c__holdWhile(String path) throws InterruptedException {
            send_out__(new MessageObject("holding"));
            while (java.nio.file.Files.exists(java.nio.file.Path.of(path))) {
                Thread.sleep(10);
            }
        }

        int c__block() throws InterruptedException {
            send_out__(new MessageObject("blocking"));
            Thread.sleep(120_000);
            return 0;
        }
    }

    @RegisterExtension
    final LoopbackLauncher launcher = LoopbackLauncher.perTest();

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    Remote started() {
        Remote r = new Remote();
        r.setOptions(BackendOptions.defaults().withPlacement(NODE));
        launcher.stopFirst(r);
        r.start();
        return r;
    }

    @Test
    void terminateEndsAPlacedBackendThroughItsNodeAndTheFrontendSeesItExit() {
        Remote r = started();
        r.terminate();
        assertEquals(1, launcher.started.get(0).destroyRequests.get(), "asked through the node, not by a local pid");
        MessageObject exited = r.getPipe().recv();
        assertEquals("exited", exited.command(), exited.toString());
        assertTrue(!r.isAlive());
    }

    @Test
    void aPlacedProcessStartsThroughTheLauncherAndAnswersOverTcp() {
        Remote r = started();
        assertEquals(1, launcher.requests.size());
        RemoteLauncher.Request req = launcher.requests.get(0);
        assertEquals("test-node", req.node());
        assertTrue(req.bootLine().matches("tcp:127\\.0\\.0\\.1:\\d+ [0-9a-f]{32} " + ProcessHandle.current().pid()
                + "\n"), req.bootLine());
        for (int i = 0; i < 3; i++) {
            r.sendMessageToBack(new MessageObject("ping", "i", i));
            MessageObject pong = r.returnFromBack();
            assertEquals(i, pong.get("i", Integer.class));
            assertEquals(launcher.started.get(0).pid(), pong.get("pid", Long.class));
        }
        assertEquals(launcher.started.get(0).pid(), r.pid());
    }

    @Test
    void startAllStartsPlacedAndLocalProcessesWhosePipesAreSelectedTogether() {
        Remote remote = new Remote();
        remote.setOptions(BackendOptions.defaults().withPlacement(NODE));
        Remote local = new Remote();
        launcher.stopFirst(remote);
        launcher.stopFirst(local);
        MessageProcess.startAll(List.of(remote, local));
        assertEquals(1, launcher.requests.size(), "only the placed one went through the launcher");
        remote.sendMessageToBack(new MessageObject("echo", "i", 1));
        local.sendMessageToBack(new MessageObject("echo", "i", 2));
        java.util.Map<Object, Integer> got = new java.util.HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got.size() < 2 && System.nanoTime() < deadline) {
            for (Object ready : Select.safeSelect(List.of(remote.getPipe(), local.getPipe()), List.of(), List.of(), 1.0)
                    .reads()) {
                got.put(ready, ((MessagePipe) ready).recv().get("i", Integer.class));
            }
        }
        assertEquals(java.util.Map.of(remote.getPipe(), 1, local.getPipe(), 2), got);
    }

    @Test
    void withTheClustersKeysTheDataPathIsMutualTlsAndAnotherClustersBackendIsRefused() throws Exception {
        launcher.keys = jvalkka.cluster.TestKeys.of("tls");
        launcher.nodeKeys = launcher.keys;
        Remote r = started();
        String line = launcher.requests.get(0).bootLine();
        assertTrue(line.startsWith("tcp:127.0.0.1:") && line.endsWith(" " + RemoteConnection.TLS_WORD + "\n"), line);
        assertEquals(5, r.proxy(Api.class).add(2, 3));
        r.sendMessageToBack(new MessageObject("ping", "i", 7));
        assertEquals(7, r.returnFromBack().get("i", Integer.class));

        launcher.nodeKeys = jvalkka.cluster.TestKeys.of("tls-other");
        Remote stranger = new Remote();
        stranger.setOptions(BackendOptions.defaults().withPlacement(NODE));
        BackendStartException e = assertThrows(BackendStartException.class, stranger::start);
        assertTrue(e.getMessage().contains("the backend on " + LoopbackLauncher.HOST), e.getMessage());
    }

    @Test
    void proxyCallsReturnValuesAndRethrowTheBackendsExceptions() {
        Api api = started().proxy(Api.class);
        assertEquals(5, api.add(2, 3));
        IOException e = assertThrows(IOException.class, () -> api.fail("disk on fire"));
        assertEquals("disk on fire", e.getMessage());
        assertTrue(Arrays.stream(e.getStackTrace()).anyMatch(f -> f.getMethodName().equals("c__fail")));
        assertEquals(9, api.add(4, 5), "the channel serves on after a failed call");
    }

    @Test
    void aBurstOfAMillionMessagesArrivesWholeAndInOrder() {
        Remote r = started();
        Api api = r.proxy(Api.class);
        int n = 1_000_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            r.sendMessageToBack(new MessageObject("n", "i", i));
        }
        assertEquals(n, api.received(), "messages lost");
        assertEquals(0, api.disorder(), "messages out of order");
        System.out.printf("remote burst: %d messages in %d ms%n", n, (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void aPlacedBackendWithTheDefaultOptionsRunsTheFullCompilerAndKeepsOptionsAddedToThem() {
        Remote r = new Remote();
        r.setOptions(BackendOptions.defaults().withExtraJvmArgs("-Dadded.option=1").withPlacement(NODE));
        launcher.stopFirst(r);
        r.start();
        List<String> opts = r.proxy(Api.class).jvmOptions();
        assertFalse(opts.contains("-XX:TieredStopAtLevel=1"), "C1 only (no AES-GCM intrinsics): " + opts);
        assertTrue(opts.contains("-XX:+UseSerialGC") && opts.contains("-Dadded.option=1"), opts.toString());
    }

    @Test
    void concurrentSynchronousCallersEachGetTheirOwnAnswerWhileReturnedObjectsKeepTheirOrder() throws Exception {
        Remote r = started();
        Api api = r.proxy(Api.class);
        int threads = 4;
        int calls = 300;
        int pings = 500;
        BackendReplies.countForTests();
        long readThemselves = BackendReplies.callerReadReplies();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads + 1);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * 1_000_000;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < calls; i++) {
                        assertEquals(base + i + 7, api.add(base + i, 7), "a call got another call's answer");
                    }
                    return null;
                }));
            }
            done.add(pool.submit(() -> {
                for (int i = 0; i < pings; i++) { // each comes back by return_out__, between the calls' replies
                    r.sendMessageToBack(new MessageObject("ping", "i", i));
                }
                return null;
            }));
            for (java.util.concurrent.Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            for (int i = 0; i < pings; i++) {
                assertEquals(i, r.returnFromBack().get("i"), "returned objects out of order");
            }
            assertTrue(BackendReplies.callerReadReplies() > readThemselves,
                    "no synchronous call read its reply itself: every one waited for the reply router");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBackendThatDoesNotReadSlowsTheSenderInsteadOfFillingItsMemory() throws Exception {
        Remote r = started();
        Api api = r.proxy(Api.class);
        java.nio.file.Path hold = java.nio.file.Files.createTempFile("jvalkka-remote-hold", "");
        try {
            r.sendMessageToBack(new MessageObject("holdWhile", "path", hold.toString()));
            assertEquals("holding", r.getPipe().recv(30_000).command());
            int n = 600;
            byte[] pad = new byte[64 * 1024]; // 37.5 MiB in all: more than the sockets hold
            java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < n; i++) {
                    r.sendMessageToBack(new MessageObject("padded", "i", i, "pad", pad));
                    sent.incrementAndGet();
                }
            });
            int before;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (sent.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            do { // until the sender makes no progress for half a second
                before = sent.get();
                Thread.sleep(500);
            } while (sent.get() != before && System.nanoTime() < deadline);
            assertFalse(sender.isDone(), "the sender waits while the backend does not read");
            long buffered = (long) sent.get() * pad.length;
            System.out.printf("remote slow reader: the sender stopped after %d messages (%d KiB)%n", sent.get(),
                    buffered >> 10);
            assertTrue(buffered < 24L << 20, "at most socket buffers' worth is in flight, not " + buffered + " bytes");
            java.nio.file.Files.delete(hold);
            sender.get(60, TimeUnit.SECONDS);
            assertEquals(n, api.received(), "nothing was lost");
            assertEquals(0, api.disorder(), "nor reordered");
        } finally {
            java.nio.file.Files.deleteIfExists(hold);
        }
    }

    @Test
    void aMessageNearTheLimitCrossesAndOneOverItIsRefused() {
        Remote r = started();
        Api api = r.proxy(Api.class);
        int near = MessagePipe.DEFAULT_MAX_MESSAGE_BYTES - 1024;
        assertEquals(near, api.length("x".repeat(near)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.sendMessageToBack(new MessageObject("length", "s", "x".repeat(MessagePipe.DEFAULT_MAX_MESSAGE_BYTES))));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
        assertEquals(3, api.add(1, 2), "nothing of the refused message was sent");
    }

    @Test
    void aConnectionWithAWrongTokenIsRefusedAndTheRealBackendStillStarts() throws Exception {
        List<SocketChannel> strangers = new ArrayList<>();
        launcher.beforeStart = req -> {
            try {
                InetSocketAddress at = RemoteConnection.address(req.bootLine().split(" ")[0]);
                SocketChannel wrong = SocketChannel.open(at);
                strangers.add(wrong);
                byte[] hello = new byte[WireProtocol.TOKEN_BYTES + 1]; // all zeros: not the token
                ByteBuffer frame = ByteBuffer.allocate(WireProtocol.HEADER_LENGTH + hello.length)
                        .put(WireProtocol.header(hello.length, WireProtocol.HELLO)).put(hello).flip();
                while (frame.hasRemaining()) {
                    wrong.write(frame);
                }
                SocketChannel garbage = SocketChannel.open(at);
                strangers.add(garbage);
                garbage.write(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        Api api = started().proxy(Api.class);
        assertEquals(7, api.add(3, 4));
        for (SocketChannel s : strangers) {
            s.configureBlocking(true);
            s.socket().setSoTimeout(10_000);
            assertEquals(-1, s.socket().getInputStream().read(), "the frontend closed the stranger's connection");
            s.close();
        }
    }

    @Test
    void aBackendWithTheWrongTokenIsRefusedAndTheStartFailsClearly() {
        launcher.bootLine = line -> line.replaceFirst(" [0-9a-f]{32} ", " " + "0".repeat(32) + " ");
        Remote r = new Remote();
        r.setOptions(BackendOptions.defaults().withPlacement(NODE).withStartTimeout(java.time.Duration.ofSeconds(60)));
        long t0 = System.nanoTime();
        BackendStartException e = assertThrows(BackendStartException.class, r::start);
        assertTrue(e.getMessage().contains("the backend on " + LoopbackLauncher.HOST), e.getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "it failed when the backend gave up, not at the deadline");
        assertFalse(launcher.started.get(0).isAlive());
    }

    @Test
    void aKilledBackendGivesAnExitedEventNamingTheHostAndABlockedCallFails() throws Exception {
        Remote r = started();
        Api api = r.proxy(Api.class);
        CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(api::block);
        assertEquals("blocking", r.getPipe().recv(30_000).command());
        assertTrue(new ProcessBuilder("kill", "-9", Long.toString(r.pid())).start().waitFor(10, TimeUnit.SECONDS));
        ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof PipeClosedException, e.toString());
        assertTrue(e.getCause().getMessage().contains(LoopbackLauncher.HOST), e.getCause().getMessage());
        MessageObject exited = r.getPipe().recv(30_000);
        assertEquals("exited", exited.command());
        assertEquals(137, exited.get("status", Integer.class));
        assertTrue(exited.get("reason", String.class).contains(LoopbackLauncher.HOST), exited.toString());
        assertFalse(r.isAlive());
    }

    @Test
    void aLostNodeGivesAnExitedEventWithItsReasonAndNoStatus() throws Exception {
        Remote r = started();
        Api api = r.proxy(Api.class);
        CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(api::block);
        assertEquals("blocking", r.getPipe().recv(30_000).command());
        launcher.started.get(0).lose("node test-node (127.0.0.1) unreachable");
        ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("unreachable"), e.getCause().getMessage());
        MessageObject exited = r.getPipe().recv(30_000);
        assertEquals("exited", exited.command());
        assertEquals(-1, exited.get("status", Integer.class));
        assertTrue(exited.get("reason", String.class).contains("node test-node (127.0.0.1) unreachable"),
                exited.toString());
        assertThrows(PipeClosedException.class, r::returnFromBack, "returnFromBack ends");
    }

    @Test
    void aNodeFoundLostAfterItsBackendClosedItsConnectionIsNamedInTheExitedEvent() throws Exception {
        // a kill -9 of a node's agent: its backend ends with it at once, the cluster notices the node
        // lost only after its failure detector's time (here 2.5 s, within the 6 s the backend allows)
        Remote r = started();
        assertEquals(3, r.proxy(Api.class).add(1, 2));
        long t0 = System.nanoTime();
        launcher.started.get(0).loseLater("node test-node (127.0.0.1) unreachable", java.time.Duration.ofMillis(2500),
                java.time.Duration.ofSeconds(6));
        MessageObject exited = r.getPipe().recv(30_000);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals("exited", exited.command());
        assertEquals(-1, exited.get("status", Integer.class), exited.toString());
        assertTrue(exited.get("reason", String.class).contains("was lost: node test-node (127.0.0.1) unreachable"),
                exited.toString());
        assertTrue(ms >= 2000 && ms < 6000, "the event came " + ms + " ms after the kill, not when the node was lost");
    }

    @Test
    void aPartitionedNodeEndsTheProcessAtOnceThoughItsConnectionsStayOpen() throws Exception {
        Remote r = started();
        Api api = r.proxy(Api.class);
        CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(api::block);
        assertEquals("blocking", r.getPipe().recv(30_000).command());
        CompletableFuture<MessageObject> returned = CompletableFuture.supplyAsync(r::returnFromBack);
        launcher.started.get(0).partition("node test-node (127.0.0.1) unreachable");
        ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("unreachable"), e.getCause().getMessage());
        MessageObject exited = r.getPipe().recv(30_000);
        assertEquals("exited", exited.command());
        assertTrue(exited.get("reason", String.class).contains("unreachable"), exited.toString());
        ExecutionException ended = assertThrows(ExecutionException.class, () -> returned.get(30, TimeUnit.SECONDS));
        assertTrue(ended.getCause() instanceof PipeClosedException, ended.toString());
        assertThrows(PipeClosedException.class, () -> r.sendMessageToBack(new MessageObject("ping", "i", 1)));
    }

    @Test
    void aPlacementWithoutAClusterFailsTheStartClearly() throws Exception {
        launcher.close();
        Remote r = new Remote();
        r.setOptions(BackendOptions.defaults().withPlacement(Placement.node("n1")));
        BackendStartException e = assertThrows(BackendStartException.class, r::start);
        assertTrue(e.getMessage().contains("jvalkka.cluster.ClusterDriver.join"), e.getMessage());
        assertTrue(e.getMessage().contains("Placement.node(n1)"), e.getMessage());
        assertNull(jvalkka.internal.RemoteLaunchers.installed());
        assertEquals(-1, r.pid(), "nothing was launched");
    }

    @Test
    void aLauncherThatRefusesFailsTheStartWithItsReason() {
        launcher.beforeStart = req -> {
            throw new IllegalStateException("no node matches " + NODE);
        };
        Remote r = new Remote();
        r.setOptions(BackendOptions.defaults().withPlacement(NODE));
        BackendStartException e = assertThrows(BackendStartException.class, r::start);
        assertTrue(e.getMessage().contains("no node matches Placement.node(test-node)"), e.getMessage());
    }
}
