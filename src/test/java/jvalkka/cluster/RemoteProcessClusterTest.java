package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MainContext;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.Placement;
import jvalkka.multiprocess.Select;
import jvalkka.pool.ProcessQueue;
import jvalkka.sync.EventFailedException;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;

/**
 * MessageProcess backends and ProcessQueue workers on cluster nodes, end to end:
 * three agents on three test hosts (shared by the methods, which run in order;
 * the last two cut one node off and kill another's agent), the frontends in this
 * JVM, reached over TCP.
 */
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteProcessClusterTest {
    private static TestCluster cluster;

    public interface Api {
        int add(int a, int b);

        String fail(String why);
    }

    static class Server extends MessageProcess {
        Server(String name) {
            super(name);
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i, "host", System.getenv().getOrDefault("HOSTNAME", ""),
                    "keys", System.getenv().getOrDefault("JVALKKA_KEYS_DIR", "")));
        }

        int c__add(int a, int b) {
            return a + b;
        }

        String c__fail(String why) {
            throw new IllegalArgumentException(why);
        }
    }

    public interface Counter {
        long received();

        long disorder();

        int length(String s);
    }

    /** Counts numbered messages and checks their order; sets its EventGroup's index when asked. */
    static class Sink extends MessageProcess {
        final EventGroup eg = new EventGroup(4);
        private long next;
        private long disorder;

        Sink(String name) {
            super(name);
        }

        void c__n(int i) {
            if (i != next) {
                disorder++;
            }
            next = i + 1;
        }

        long c__received() {
            return next;
        }

        long c__disorder() {
            return disorder;
        }

        int c__length(String s) {
            return s.length();
        }

        void c__work(int sync_index) {
            eg.set(sync_index);
        }

        void c__failBeforeSet(int sync_index) {
            throw new IllegalStateException("fails before it sets " + sync_index);
        }

        /** Waits (5 s at most) for the frontend to set {@code event}, and fails saying whether it came. */
        void c__awaitFrontendSet(int event, int sync_index) throws InterruptedException {
            boolean set = eg.fromIndex(event).await(5, TimeUnit.SECONDS);
            throw new IllegalStateException("the frontend's set " + (set ? "reached" : "did not reach")
                    + " the backend within 5 s");
        }
    }

    static Server placed(String name, Placement p) {
        Server s = new Server(name);
        s.setOptions(BackendOptions.defaults().withPlacement(p));
        return s;
    }

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(3);
        Assumptions.assumeTrue(cluster != null, jvalkka.testing.NetHosts.unavailableReason());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static MessageObject recv(MessageProcess p, double seconds) {
        List<Object> r = Select.safeSelect(List.of(p.getPipe()), List.of(), List.of(), seconds).reads();
        assertEquals(1, r.size(), "no message from " + p + " within " + seconds + " s");
        return p.getPipe().recv();
    }

    @Test
    @Order(1)
    void aProcessOnANodeAnswersPingsAndProxyCallsFromThatNodeOverMutualTls() throws Exception {
        Server s = placed("remote-server", Placement.node("node2"));
        s.start();
        try {
            assertEquals(2, cluster.hostOf(s.pid()), "runs on host 2");
            for (int i = 0; i < 100; i++) {
                s.sendMessageToBack(new MessageObject("ping", "i", i));
                MessageObject m = recv(s, 10);
                assertEquals("pong", m.command());
                assertEquals(i, m.get("i"));
                // the agent gave its backend the cluster's keys, and refuses a boot line without "tls" then:
                // so the frontend and this backend talk over mutual TLS
                assertEquals(cluster.keys.toString(), m.get("keys"));
            }
            Api api = s.proxy(Api.class);
            assertEquals(5, api.add(2, 3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> api.fail("no such"));
            assertEquals("no such", e.getMessage());
        } finally {
            s.stop();
        }
        TestCluster.assertGone(s.pid(), Duration.ofSeconds(10));
    }

    @Test
    @Order(2)
    void startAllAndAMainContextPlaceEachProcessWhereItsOptionsSay() throws Exception {
        List<Server> three = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            three.add(placed("all-" + i, Placement.node("node" + i)));
        }
        MessageProcess.startAll(three);
        try {
            for (int i = 1; i <= 3; i++) {
                assertEquals(i, cluster.hostOf(three.get(i - 1).pid()), three.get(i - 1).toString());
                assertEquals(i + 1, three.get(i - 1).proxy(Api.class).add(i, 1));
            }
        } finally {
            three.forEach(MessageProcess::stop);
        }
        class Manager extends MainContext {
            final List<Server> workers = new ArrayList<>();

            Manager() {
                catchSignals = false;
                start();
            }

            @Override
            protected void startProcesses() {
                workers.add(placed("ctx-gpu", Placement.label("gpu", "true")));
                workers.add(placed("ctx-z3", Placement.label("zone", "z3")));
                MessageProcess.startAll(workers);
            }

            @Override
            protected void startThreads() {
            }

            @Override
            public void run() {
            }

            @Override
            public void close() {
                workers.forEach(MessageProcess::requestStop);
                workers.forEach(MessageProcess::waitStop);
                super.close();
            }
        }
        try (Manager m = new Manager()) {
            assertEquals(2, cluster.hostOf(m.workers.get(0).pid()));
            assertEquals(3, cluster.hostOf(m.workers.get(1).pid()));
            assertEquals(7, m.workers.get(1).proxy(Api.class).add(3, 4));
        }
    }

    @Test
    @Order(3)
    void aProcessQueueSpreadsItsWorkersOverTheNodesAndKeepsInputOrder() throws Exception {
        List<Integer> in = IntStream.range(0, 2000).boxed().toList();
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.<Integer, Integer>of(x -> x * 2).name("spread")
                .workers(3).placements(Placement.any()).start()) {
            for (int i = 1; i <= 3; i++) {
                assertEquals(1, cluster.backendsOn(i).size(), "one worker on host " + i + ": " + cluster.backendsOn(i));
            }
            assertEquals(in.stream().map(x -> x * 2).toList(), q.map(in));
        }
    }

    @Test
    @Order(4)
    void aBackendOnAnotherHostThatWaitsForTheFrontendsSetFailsAtOnceSayingTheSetDoesNotReachIt() throws Exception {
        Sink s = new Sink("remote-await");
        s.setOptions(BackendOptions.defaults().withPlacement(Placement.node("node2")));
        try (EventGroup eg = s.eg) {
            s.start();
            try {
                assertEquals(2, cluster.hostOf(s.pid()), "runs on host 2, which shares no memory with this one");
                EventGroup.Event ack = eg.reserve();
                long t0 = System.nanoTime();
                EventFailedException e = assertThrows(EventFailedException.class, () -> {
                    try (SyncIndex i = new SyncIndex(eg, Duration.ofSeconds(60))) {
                        s.sendMessageToBack(new MessageObject("awaitFrontendSet", "event", ack.index(),
                                "sync_index", i.index()));
                        ack.set(); // in this host's shared memory only
                    }
                });
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                String cause = String.valueOf(e.getCause());
                assertTrue(cause.contains("is a copy in a backend on another host") && cause.contains(eg.name())
                        && cause.contains("never the frontend's"), cause);
                assertTrue(ms < 30_000, "the wait failed at once, not after its timeout: " + ms + " ms");
                eg.release(ack);
            } finally {
                s.stop();
            }
        }
    }

    @Test
    @Order(4)
    void aBackendOnAnotherHostWakesTheFrontendsSyncIndexAndItsFailureFailsTheWait() throws Exception {
        Sink s = new Sink("remote-sync");
        s.setOptions(BackendOptions.defaults().withPlacement(Placement.node("node2")));
        try (EventGroup eg = s.eg) {
            s.start();
            try {
                assertEquals(2, cluster.hostOf(s.pid()), "runs on host 2, which shares no memory with this one");
                for (int k = 0; k < 200; k++) {
                    try (SyncIndex i = new SyncIndex(eg, Duration.ofSeconds(60))) {
                        s.sendMessageToBack(new MessageObject("work", "sync_index", i.index()));
                    }
                }
                long t0 = System.nanoTime();
                EventFailedException e = assertThrows(EventFailedException.class, () -> {
                    try (SyncIndex i = new SyncIndex(eg, Duration.ofSeconds(60))) {
                        s.sendMessageToBack(new MessageObject("failBeforeSet", "sync_index", i.index()));
                    }
                });
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms < 30_000, "the wait failed at once, not after its timeout: " + ms + " ms");
                assertTrue(String.valueOf(e.getCause()).contains("fails before it sets"), String.valueOf(e));
            } finally {
                s.stop();
            }
        }
    }

    @Test
    @Order(5)
    void aMillionMessagesAndOneNearTheLimitCrossToAnotherHostWholeAndInOrder() throws Exception {
        Sink s = new Sink("remote-burst");
        s.setOptions(BackendOptions.defaults().withPlacement(Placement.node("node3")));
        try (EventGroup eg = s.eg) {
            s.start();
            try {
                assertEquals(3, cluster.hostOf(s.pid()));
                Counter c = s.proxy(Counter.class);
                int n = 1_000_000;
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    s.sendMessageToBack(new MessageObject("n", "i", i));
                }
                assertEquals(n, c.received(), "messages lost");
                assertEquals(0, c.disorder(), "messages out of order");
                System.out.printf("burst to host 3 over mutual TLS: %d messages in %d ms%n", n,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                int near = jvalkka.multiprocess.MessagePipe.DEFAULT_MAX_MESSAGE_BYTES - 1024;
                assertEquals(near, c.length("x".repeat(near)), "a message near the 16 MiB limit");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.sendMessageToBack(
                        new MessageObject("length", "s", "x".repeat(jvalkka.multiprocess.MessagePipe.DEFAULT_MAX_MESSAGE_BYTES))));
                assertTrue(e.getMessage().contains("limit"), e.getMessage());
                assertEquals(3, c.length("abc"), "nothing of the refused message was sent");
            } finally {
                s.stop();
            }
        }
    }

    @Test
    @Order(10)
    void aCallBlockedOnANodeThatIsCutOffFailsAndTheExitedEventNamesTheNode() throws Exception {
        Assumptions.assumeTrue(cluster.hosts.canPartition(), "a partition needs namespaces; ran " + cluster.hosts.mode());
        Server s = placed("cut-off", Placement.node("node2"));
        s.start();
        Api api = s.proxy(Api.class);
        assertEquals(3, api.add(1, 2));
        long t0 = System.nanoTime();
        cluster.hosts.linkDown(2);
        try {
            RuntimeException e = assertThrows(RuntimeException.class, () -> api.add(2, 2), "a call to a lost node");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.println("blocked call failed " + ms + " ms after the link went down: " + e);
            assertTrue(ms <= NodeAgentClusterTest.DETECT_LIMIT.toMillis() + 1000, "failed after " + ms + " ms");
            MessageObject exited = recv(s, 10);
            assertEquals(MainContext.EXITED, exited.command());
            assertEquals(-1, ((Number) exited.get("status")).intValue(), exited.toString());
            assertTrue(String.valueOf(exited.get("reason")).contains("node node2 (" + cluster.hosts.address(2)
                    + ") unreachable"), exited.toString());
            // the cut-off agent downs itself and exits: its backend goes with it
            TestCluster.assertGone(s.pid(), Duration.ofSeconds(40));
        } finally {
            cluster.hosts.linkUp(2);
            s.stop();
        }
    }

    @Test
    @Order(11)
    void aKilledAgentsProcessGetsAnExitedEventNamingItsNodeAndAQueueRetriesItsItemsElsewhere() throws Exception {
        Server victim = placed("on-node3", Placement.node("node3"));
        victim.start();
        List<Integer> in = IntStream.range(0, 120).boxed().toList();
        AtomicInteger done = new AtomicInteger();
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.<Integer, Integer>of(x -> {
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return x + 1;
        }).name("lossy").workers(3).placements(Placement.node("node1"), Placement.node("node3")).start()) {
            List<Long> onNode3 = cluster.backendsOn(3);
            assertEquals(2, onNode3.size(), "the process and one worker on host 3: " + onNode3);
            Integer[] out = new Integer[in.size()];
            for (Integer x : in) {
                q.put(x);
            }
            q.putEnd();
            long t0 = 0;
            for (int k = 0; k < in.size(); k++) {
                var r = q.get(Duration.ofSeconds(60));
                assertNotNull(r, "result " + k + " did not come");
                assertTrue(r.ok(), r.toString());
                assertEquals(null, out[(int) r.index()], "item " + r.index() + " twice");
                out[(int) r.index()] = r.value();
                if (done.incrementAndGet() == 20) { // items in flight on every worker: kill -9 node3's agent
                    t0 = System.nanoTime();
                    cluster.agents.get(2).process().destroyForcibly();
                }
            }
            assertEquals(in.stream().map(x -> x + 1).toList(), List.of(out), "every item once");
            MessageObject exited = recv(victim, 10);
            assertEquals(MainContext.EXITED, exited.command());
            assertTrue(String.valueOf(exited.get("reason")).contains("node node3"), exited.toString());
            System.out.println("exited event " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                    + " ms after the kill: " + exited);
            for (long pid : onNode3) {
                TestCluster.assertGone(pid, Duration.ofSeconds(10));
            }
        } finally {
            victim.stop();
        }
    }
}
