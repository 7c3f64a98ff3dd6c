package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of the transport seam ({@link FrameChannel}), run on every
 * implementation: a subclass says how to connect a pair of ends.
 */
abstract class FrameChannelContract {
    FrameChannel a;
    FrameChannel b;

    /** Two connected ends, a first, b second. */
    abstract FrameChannel[] connectPair() throws Exception;

    @BeforeEach
    void connect() throws Exception {
        FrameChannel[] pair = connectPair();
        a = pair[0];
        b = pair[1];
    }

    @AfterEach
    void closeBoth() throws Exception {
        a.close();
        b.close();
        Leftovers.assertNone();
    }

    static <T> T within(CompletableFuture<T> f, int seconds, String what) throws Exception {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not finish within " + seconds + " s", e);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    @Test
    void framesOfEveryKindArriveWholeAndInOrder() throws Exception {
        int n = 20_000;
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                MessageObject m = b.recv(10_000);
                switch (i % 4) {
                    case 0 -> assertEquals(i, m.get("i"), "message " + i + " lost or reordered: " + m);
                    case 1 -> assertEquals(i, WireProtocol.replyId(m), "call " + i + ": " + m);
                    case 2 -> {
                        assertTrue(WireProtocol.isReply(m), "reply " + i + ": " + m);
                        assertEquals(i, WireProtocol.replyValue(m));
                    }
                    default -> assertNull(m, "the stop marker " + i);
                }
            }
        });
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0 -> a.send(new MessageObject("m", "i", i));
                case 1 -> a.sendCall(i, new MessageObject("c", "i", i), false);
                case 2 -> a.sendReply(i, WireProtocol.replyValue(i), false);
                default -> a.send(null);
            }
        }
        a.flush();
        within(reader, 20, "reading what was sent");
        assertTrue(!b.hasBufferedMessage() && !b.poll(0), "nothing more than was sent");
    }

    @Test
    void twoEndsThatBothSendABurstBeforeReadingDoNotDeadlock() throws Exception {
        int n = 30_000; // ~2 MB each way: far more than the socket buffers hold
        String pad = "y".repeat(40);
        CompletableFuture<Void> endB = CompletableFuture.runAsync(() -> burstThenRead(b, n, pad));
        CompletableFuture<Void> endA = CompletableFuture.runAsync(() -> burstThenRead(a, n, pad));
        within(endA, 20, "a's burst, then reading b's");
        within(endB, 20, "b's burst, then reading a's");
    }

    private static void burstThenRead(FrameChannel end, int n, String pad) {
        for (int i = 0; i < n; i++) {
            end.send(new MessageObject("m", "i", i, "pad", pad));
        }
        end.flush();
        for (int i = 0; i < n; i++) {
            assertEquals(i, end.recv(10_000).get("i"), "a message was lost or reordered");
        }
    }

    /**
     * A request/response exchange is not a burst: a send right after a message came in from
     * the socket goes out at once, even within the coalescing window of the last write (a
     * write that took long, or a quick peer, made its reply arrive that soon after it). Before,
     * such an answer waited for the flusher thread: a thread hand-off (tens of microseconds on
     * a busy machine) in a round trip, and the flusher's CPU, in about one round trip in eight
     * of the cluster bench's ping-pong.
     */
    @Test
    void aSendThatAnswersAMessageJustReadIsNotDeferred() {
        MessagePipe sender = (MessagePipe) a;
        int deferred = 0;
        for (int i = 0; i < 200; i++) {
            b.send(new MessageObject("ask", "i", i)); // already in a's socket before a writes
            a.send(new MessageObject("tell", "i", i)); // a write: its coalescing window starts
            assertEquals(i, a.recv(10_000).get("i")); // read from the socket: the peer waits for an answer
            a.send(new MessageObject("answer", "i", i)); // within the window, mostly
            if (sender.deferredBytes() > 0) {
                deferred++;
            }
            assertEquals("tell", b.recv(10_000).command());
            assertEquals("answer", b.recv(10_000).command());
        }
        assertEquals(0, deferred, "answers left for the flusher");
    }

    /**
     * A synchronous proxy call is written at once even within the coalescing window of the
     * last write: its caller waits for the reply next, so deferring it would only wake the
     * flusher thread before the caller's own flush (seen in about one call in fifteen of a
     * loaded machine's sequential calls). An asynchronous call in the same place may coalesce.
     */
    @Test
    void aSynchronousCallIsWrittenAtOnceWhereAnAsynchronousOneMayWait() {
        MessagePipe sender = (MessagePipe) a;
        int deferredNow = 0;
        boolean deferredAsync = false;
        for (int i = 0; i < 200 && !(deferredAsync && i >= 50); i++) {
            a.send(new MessageObject("tell", "i", i)); // a write: its coalescing window starts
            sender.sendCall(2 * i + 1, new MessageObject("async", "i", i), false); // within the window, mostly
            deferredAsync |= sender.deferredBytes() > 0;
            sender.flush();
            a.send(new MessageObject("tell", "i", i));
            sender.sendCall(2 * i + 2, new MessageObject("sync", "i", i), true);
            if (sender.deferredBytes() > 0) {
                deferredNow++;
            }
            sender.flush();
            for (String c : new String[] {"tell", "async", "tell", "sync"}) {
                assertEquals(c, b.recv(10_000).command());
            }
        }
        assertTrue(deferredAsync, "the window was never met: the test shows nothing");
        assertEquals(0, deferredNow, "synchronous calls left for the flusher");
    }

    /** A burst (sends with nothing read between them) is still coalesced: fewer writes than messages. */
    @Test
    void aBurstIsStillCoalesced() {
        MessagePipe sender = (MessagePipe) a;
        boolean deferredOnce = false;
        // bursts of 50: on a loaded machine (and over TLS, whose cold writes are slow) a single pair of
        // sends often misses the window; some send of a longer burst falls within it
        for (int round = 0; round < 50 && !deferredOnce; round++) {
            for (int i = 0; i < 50; i++) {
                a.send(new MessageObject("burst", "i", i)); // within the window of the previous write, mostly
                deferredOnce |= sender.deferredBytes() > 0;
            }
            a.flush();
            for (int i = 0; i < 50; i++) {
                assertEquals(i, b.recv(10_000).get("i"));
            }
        }
        assertTrue(deferredOnce, "no send of a burst was deferred in 50 bursts of 50");
    }

    @Test
    void aMessageOverTheLimitIsRefusedAndNothingIsSent() throws Exception {
        byte[] big = new byte[MessagePipe.DEFAULT_MAX_MESSAGE_BYTES];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.send(new MessageObject("big", "b", big)));
        assertTrue(e.getMessage().contains("over this pipe's limit of 16777216 bytes"), e.getMessage());
        byte[] fits = new byte[MessagePipe.DEFAULT_MAX_MESSAGE_BYTES / 2];
        CompletableFuture<List<MessageObject>> reader = CompletableFuture.supplyAsync(
                () -> List.of(b.recv(20_000), b.recv(20_000)));
        a.send(new MessageObject("fits", "b", fits));
        a.send(new MessageObject("after"));
        a.flush();
        List<MessageObject> got = within(reader, 30, "reading the big message");
        assertEquals(fits.length, ((byte[]) got.get(0).get("b")).length);
        assertEquals("after", got.get(1).command(), "the refused message left nothing on the wire");
    }

    @Test
    void afterThePeerClosesRecvGivesWhatWasSentThenThrows() {
        a.send(new MessageObject("last", "i", 1));
        a.send(null);
        a.flush();
        a.close();
        assertTrue(b.poll(10), "the messages before the close are there to read");
        assertEquals("last", b.recv(10_000).command());
        assertNull(b.recv(10_000), "the stop marker");
        assertThrows(PipeClosedException.class, () -> b.recv(10_000));
        assertTrue(b.poll(0), "a reader polling a closed channel finds out at once");
        assertThrows(PipeClosedException.class, () -> b.send(new MessageObject("nobody")),
                "nobody reads on the other end");
    }

    @Test
    void closeFromAnotherThreadWakesABlockedRecv() throws Exception {
        CompletableFuture<Throwable> r = CompletableFuture.supplyAsync(() -> {
            try {
                b.recv(-1);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        b.close(); // whether the recv waits already or comes after: it ends, saying why

        assertTrue(within(r, 10, "the blocked recv") instanceof PipeClosedException);
    }

    @Test
    void theChannelIsSelectableBesideOthers() {
        Select.Result none = Select.safeSelect(List.of(b), List.of(), List.of(), 0.05);
        assertTrue(none.isEmpty(), "nothing was sent: " + none);
        a.send(new MessageObject("ping"));
        a.flush();
        Select.Result r = Select.safeSelect(List.of(b), List.of(), List.of(), 10);
        assertEquals(List.of(b), r.reads());
        a.send(new MessageObject("one"));
        a.send(new MessageObject("two"));
        a.flush();
        assertEquals("ping", b.recv(10_000).command());
        assertEquals("one", b.recv(10_000).command());
        assertTrue(b.hasBufferedMessage() || b.poll(10), "the second message was read with the first");
        assertEquals(List.of(b), Select.safeSelect(List.of(b), List.of(), List.of(), 10).reads(),
                "a message already buffered is ready, though the socket has nothing");
        assertEquals("two", b.recv(10_000).command());
    }
}
