package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The objects a backend sends with {@code return_out__} wait in the frontend
 * up to a bound; beyond it the backend blocks (backpressure), and nothing is
 * lost or reordered. The bound never makes a proxy call, a stop or a burst of
 * sends hang.
 */
@Timeout(90)
class ReturnBoundTest {
    static final int CAPACITY = 8;
    /** Bytes of each returned object: a few of them fill the socket between the two JVMs. */
    static final int PAD = 64 * 1024;
    /** What can be in transit beyond the bound: socket buffers and the pipes' own, in PAD-sized objects. */
    static final int SLACK = 40;
    static final int ITEMS = 300;
    static final int REPORTED = CAPACITY + SLACK;

    public interface Api {
        int add(int a, int b);
    }

    static class Returner extends MessageProcess {
        Returner() {
            super("returner");
        }

        /**
         * Returns n objects in order, reporting each of the first {@code REPORTED} on the main pipe once it
         * was sent (no more: nobody reads the main pipe while the test takes the returns), then "done".
         */
        void c__emit(int n, int size) {
            for (int i = 0; i < n; i++) {
                return_out__(new MessageObject("item", "i", i, "pad", new byte[size]));
                if (i < REPORTED) {
                    send_out__(new MessageObject("sent", "i", i));
                }
            }
            send_out__(new MessageObject("done", "n", n));
        }

        void c__one(int i, int size) {
            return_out__(new MessageObject("item", "i", i, "pad", new byte[size]));
        }

        int c__add(int a, int b) {
            return a + b;
        }
    }

    static Returner started(int capacity) {
        Returner p = new Returner();
        p.setOptions(BackendOptions.defaults().withReturnCapacity(capacity).withStopTimeout(Duration.ofSeconds(20)));
        p.start();
        return p;
    }

    /** A first round trip through return_out__ and returnFromBack: the frontend reads returns from then on. */
    static Returner takingReturns(Returner p) {
        p.sendMessageToBack(new MessageObject("one", "i", -1, "size", 1));
        assertEquals(-1, p.returnFromBack().get("i", Integer.class));
        return p;
    }

    /** Reads the main pipe until "sent" reports index {@code atLeast}, within 30 s; returns the highest seen. */
    static int awaitSent(MessageProcess p, int atLeast) {
        int highest = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (highest < atLeast) {
            assertTrue(System.nanoTime() < deadline, "the backend sent only " + (highest + 1) + " objects in 30 s");
            if (p.getPipe().poll(1)) {
                MessageObject m = p.getPipe().recv();
                assertEquals("sent", m.command(), "" + m);
                highest = m.get("i", Integer.class);
            }
        }
        return highest;
    }

    static void takeInOrder(MessageProcess p, int n) {
        takeInOrder(p, 0, n);
    }

    static void takeInOrder(MessageProcess p, int from, int n) {
        for (int k = from; k < n; k++) {
            MessageObject m = p.returnFromBack();
            assertEquals("item", m.command());
            assertEquals(k, m.get("i", Integer.class), "returnFromBack out of order");
        }
    }

    static void kill(MessageProcess p) {
        ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void returnOutBlocksOnceTheBoundIsFullAndGoesOnInOrderWhenTaken() {
        Returner p = takingReturns(started(CAPACITY));
        try {
            p.sendMessageToBack(new MessageObject("emit", "n", ITEMS, "size", PAD));
            int sent = awaitSent(p, CAPACITY - 1);
            // nobody takes them: the backend must stop within the bound plus what the sockets hold
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < deadline) {
                if (p.getPipe().poll(0.1)) {
                    MessageObject m = p.getPipe().recv();
                    assertEquals("sent", m.command(), "the backend ran through all " + ITEMS
                            + " return_out__ calls with nobody taking them: " + m);
                    sent = m.get("i", Integer.class);
                }
            }
            assertTrue(sent < REPORTED - 1, "the backend sent " + (sent + 1) + " objects past a bound of "
                    + CAPACITY + " with nobody taking them");
            // taking them lets it go on: every object, in order
            takeInOrder(p, ITEMS);
            awaitSent(p, REPORTED - 1);
            assertTrue(p.getPipe().poll(30), "no 'done' after every object was taken");
            assertEquals("done", p.getPipe().recv().command());
        } finally {
            p.stop();
        }
    }

    @Test
    void aProxyCallIsAnsweredWhileReturnsWaitUntaken() throws Exception {
        Returner p = takingReturns(started(CAPACITY));
        boolean ok = false;
        try {
            Api api = p.proxy(Api.class);
            p.sendMessageToBack(new MessageObject("emit", "n", ITEMS, "size", PAD));
            awaitSent(p, CAPACITY - 1); // the bound is full, the backend blocks in return_out__
            int sum = CompletableFuture.supplyAsync(() -> api.add(2, 3)).get(30, TimeUnit.SECONDS);
            assertEquals(5, sum);
            takeInOrder(p, ITEMS);
            ok = true;
        } finally {
            if (!ok) {
                kill(p); // a hung call may hold the main pipe: stop() could not send
            }
            p.stop();
        }
    }

    @Test
    void aBurstOfSendsThenTakingTheReturnsCannotDeadlock() throws Exception {
        Returner p = started(CAPACITY); // no returnFromBack before the burst
        boolean ok = false;
        try {
            // each command returns 4 kB: the returns fill the bound and the socket long before the
            // commands are all sent, so the backend blocks in return_out__ and stops reading commands
            int n = 20_000;
            CompletableFuture<Void> burst = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < n; i++) {
                    p.sendMessageToBack(new MessageObject("one", "i", i, "size", 4096));
                }
            });
            burst.get(30, TimeUnit.SECONDS);
            takeInOrder(p, n);
            ok = true;
        } finally {
            if (!ok) {
                kill(p); // a stuck send holds the main pipe: stop() could not send
            }
            p.stop();
        }
    }

    @Test
    void stopEndsABackendBlockedInReturnOutAndKeepsWhatItReturned() {
        Returner p = takingReturns(started(CAPACITY));
        try {
            p.sendMessageToBack(new MessageObject("emit", "n", ITEMS, "size", PAD));
            awaitSent(p, CAPACITY - 1);
        } finally {
            p.stop(); // stopTimeout 20 s: a backend that cannot finish its handler is killed, status 137
        }
        assertEquals(0, p.exitCode(), "the backend blocked in return_out__ did not finish after stop()");
        takeInOrder(p, ITEMS);
        assertThrows(PipeClosedException.class, p::returnFromBack);
    }

    @Test
    void theBoundIsTenThousandByDefaultAndAtLeastOne() {
        assertEquals(10_000, BackendOptions.defaults().returnCapacity());
        assertEquals(3, BackendOptions.defaults().withReturnCapacity(3).returnCapacity());
        assertThrows(IllegalArgumentException.class, () -> BackendOptions.defaults().withReturnCapacity(0));
    }
}
