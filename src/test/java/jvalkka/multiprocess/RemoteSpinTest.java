package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A wait on a pipe to a backend on another host spins (reads the socket in a loop)
 * for a bounded time before it parks, while an answer is likely
 * ({@code PipeReceiver.spinRead}): what the spin reads is delivered in order, nothing
 * lost or doubled, and a backend that dies during a spin is reported as a death.
 * The "remote" host is this one ({@link LoopbackLauncher}: TCP on 127.0.0.1).
 */
@Timeout(120)
class RemoteSpinTest {
    public interface Api {
        int add(int a, int b);

        long spins();
    }

    static class Spun extends MessageProcess {
        Spun() {
            super("spun");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__burst(int first, int n) {
            for (int i = 0; i < n; i++) {
                send_out__(new MessageObject("b", "i", first + i));
            }
        }

        void c__halt() {
            Runtime.getRuntime().halt(7);
        }

        int c__add(int a, int b) {
            return a + b;
        }

        /** The waits on the backend's main pipe that spun, found something or not. */
        long c__spins() {
            return backPipe__().spinHits() + backPipe__().spinMisses();
        }
    }

    @RegisterExtension
    final LoopbackLauncher launcher = LoopbackLauncher.perTest();

    @AfterEach
    void spinAsBefore() {
        PipeReceiver.spinNanos = PipeReceiver.SPIN_NANOS;
        TlsLink.spin = TlsLink.SPIN;
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    Spun started() {
        return started(BackendOptions.defaults());
    }

    Spun started(BackendOptions o) {
        Spun r = new Spun();
        r.setOptions(o.withPlacement(RemoteBackendTest.NODE));
        launcher.stopFirst(r);
        r.start();
        return r;
    }

    private static MessageObject next(MessageProcess p) {
        assertFalse(Select.safeSelect(List.of(p.getPipe()), List.of(), List.of(), 10.0).reads().isEmpty(),
                "no message within 10 s");
        return p.getPipe().recv();
    }

    @Test
    void repliesReadByASpinArriveInOrderWithNothingLostOrDoubled() {
        PipeReceiver.spinNanos = 2_000_000_000L; // every reply comes within the spin, even on a loaded machine
        Spun r = started();
        MessagePipe pipe = r.getPipe();
        long hits0 = pipe.spinHits();
        int expected = 0;
        for (int round = 0; round < 200; round++) {
            r.sendMessageToBack(new MessageObject("ping", "i", round));
            assertEquals(round, next(r).get("i", Integer.class));
            r.sendMessageToBack(new MessageObject("burst", "first", expected, "n", 20));
            for (int k = 0; k < 20; k++) {
                MessageObject m = next(r);
                assertEquals("b", m.command());
                assertEquals(expected++, m.get("i", Integer.class), "in order, none lost or doubled");
            }
        }
        assertFalse(pipe.hasBufferedMessage(), "nothing more than was sent");
        assertTrue(pipe.spinHits() - hits0 >= 200, "the waits spun and found the replies: " + (pipe.spinHits() - hits0));
    }

    @Test
    void aWaitThatSpinsNoLongerThanItsBoundParksAndStillGetsTheReply() {
        PipeReceiver.spinNanos = 1_000; // 1 us: far less than a round trip, so the spin finds nothing
        Spun r = started();
        MessagePipe pipe = r.getPipe();
        long misses0 = pipe.spinMisses();
        for (int i = 0; i < 100; i++) {
            r.sendMessageToBack(new MessageObject("ping", "i", i));
            assertEquals(i, next(r).get("i", Integer.class));
        }
        long misses = pipe.spinMisses() - misses0;
        assertTrue(misses > 0, "some waits spun in vain and parked");
        assertTrue(misses < 50, "after spins in vain, the next waits park at once (backing off): " + misses);
    }

    @Test
    void aBackendThatDiesDuringASpinIsReportedAsExited() {
        PipeReceiver.spinNanos = 30_000_000_000L; // the death comes during the spin, however slow the machine
        Spun r = started();
        MessagePipe pipe = r.getPipe();
        r.sendMessageToBack(new MessageObject("ping", "i", 1));
        assertEquals(1, next(r).get("i", Integer.class));
        long hits0 = pipe.spinHits();
        r.sendMessageToBack(new MessageObject("halt"));
        MessageObject exited = next(r);
        assertEquals("exited", exited.command(), exited.toString());
        assertEquals(hits0 + 1, pipe.spinHits(), "the spin saw the end of the stream itself");
    }

    @Test
    void aTlsPipeDoesNotSpinByDefault() throws Exception {
        launcher.keys = jvalkka.cluster.TestKeys.of("spin-tls");
        launcher.nodeKeys = launcher.keys;
        PipeReceiver.spinNanos = 2_000_000_000L;
        Spun r = started();
        for (int i = 0; i < 50; i++) {
            r.sendMessageToBack(new MessageObject("ping", "i", i));
            assertEquals(i, next(r).get("i", Integer.class));
        }
        assertEquals(0, r.getPipe().spinHits() + r.getPipe().spinMisses(), "a TLS pipe's waits spun");
    }

    @Test
    void aTlsPipeInSelectModeSpinsInAWaitInSafeSelectOnItAloneButNotInRecv() throws Exception {
        launcher.keys = jvalkka.cluster.TestKeys.of("spin-tls");
        launcher.nodeKeys = launcher.keys;
        PipeReceiver.spinNanos = 2_000_000_000L; // every reply comes within the spin, even on a loaded machine
        TlsLink.spin = "select";
        Spun r = started(SELECT);
        MessagePipe pipe = r.getPipe();
        long hits0 = pipe.spinHits();
        for (int i = 0; i < 50; i++) {
            r.sendMessageToBack(new MessageObject("ping", "i", i));
            assertEquals(i, next(r).get("i", Integer.class));
        }
        assertTrue(pipe.spinHits() - hits0 >= 25, "the waits in safeSelect spun and found the replies: "
                + (pipe.spinHits() - hits0));
        long spun = pipe.spinHits() + pipe.spinMisses();
        for (int i = 0; i < 50; i++) {
            r.sendMessageToBack(new MessageObject("ping", "i", i));
            assertEquals(i, pipe.recv().get("i", Integer.class));
        }
        assertEquals(spun, pipe.spinHits() + pipe.spinMisses(), "a wait in recv() on a TLS pipe spun");
    }

    /** The backend's TLS links in select mode. */
    private static final BackendOptions SELECT = BackendOptions.defaults()
            .withExtraJvmArgs("-Djvalkka.remoteSpinTls=select");

    @Test
    void aBackendAnsweringProxyCallsOverTlsInSelectModeDoesNotSpinForTheNextCall() throws Exception {
        launcher.keys = jvalkka.cluster.TestKeys.of("spin-tls-calls");
        launcher.nodeKeys = launcher.keys;
        TlsLink.spin = "select";
        Spun r = started(SELECT);
        r.sendMessageToBack(new MessageObject("ping", "i", 1));
        assertEquals(1, next(r).get("i", Integer.class)); // the backend's main pipe answered: its next wait spins
        Api api = r.proxy(Api.class);
        long before = api.spins();
        for (int i = 0; i < 500; i++) {
            assertEquals(2 * i + 1, api.add(i, i + 1));
        }
        assertEquals(before, api.spins(), "the backend's waits for the next call spun");
    }

    @Test
    void proxyCallsWhoseCallerSpinsForTheReplyGetTheirOwnReplies() {
        PipeReceiver.spinNanos = 2_000_000_000L;
        Spun r = started();
        Api api = r.proxy(Api.class);
        for (int i = 0; i < 500; i++) {
            assertEquals(2 * i + 1, api.add(i, i + 1));
        }
        r.sendMessageToBack(new MessageObject("ping", "i", 5));
        assertEquals(5, next(r).get("i", Integer.class));
    }
}
