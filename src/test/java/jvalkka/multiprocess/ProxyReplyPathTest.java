package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The path of a proxy call's reply in the backend ({@link Backend#dispatch}), in this JVM: a backend's
 * main and internal pipes connected to frontend ends over Unix sockets, no child JVM. A call arrives on
 * the main pipe and its reply leaves on the internal one, so the internal pipe never reads the bytes it
 * answers: its coalescing rule ({@link PipeSender}: a send within {@link PipeSender#COALESCE_NANOS} of
 * the last write waits, unless the pipe just read what it answers) would leave a reply for the flusher
 * thread, a wake-up and a timed park (tens of microseconds, Linux's timer slack) after the caller began
 * to wait for it.
 */
@Timeout(60)
class ProxyReplyPathTest {
    static final class Adder extends MessageProcess {
        Adder() {
            super("adder");
        }

        int c__add(int a, int b) {
            return a + b;
        }

        void c__note(int i) {
            // nothing: a message that is not a call
        }
    }

    private Path dir;
    private MessagePipe frontMain;
    private MessagePipe backMain;
    private MessagePipe frontInternal;
    private MessagePipe backInternal;
    private Backend backend;

    @BeforeEach
    void connect() throws Exception {
        dir = Files.createTempDirectory("jvalkka-reply-path");
        MessagePipe[] m = pair("main");
        MessagePipe[] i = pair("internal");
        frontMain = m[0];
        backMain = m[1];
        frontInternal = i[0];
        backInternal = i[1];
        backend = new Backend(new Adder(), LoggerFactory.getLogger(ProxyReplyPathTest.class), backMain, backInternal);
    }

    private MessagePipe[] pair(String name) throws Exception {
        UnixDomainSocketAddress addr = UnixDomainSocketAddress.of(dir.resolve(name));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(addr);
            MessagePipe a = new MessagePipe("front-" + name);
            MessagePipe b = new MessagePipe("back-" + name);
            a.connect(SocketChannel.open(addr));
            b.connect(server.accept());
            return new MessagePipe[] {a, b};
        } finally {
            Files.deleteIfExists(dir.resolve(name));
        }
    }

    @AfterEach
    void close() throws Exception {
        for (MessagePipe p : new MessagePipe[] {frontMain, backMain, frontInternal, backInternal}) {
            if (p != null) {
                p.close();
            }
        }
        Files.deleteIfExists(dir);
        Leftovers.assertNone();
    }

    /** The backend takes the next message off its main pipe and dispatches it, as its loop does. */
    private void handleNext() {
        backend.dispatch(backMain.recv(10_000));
    }

    @Test
    void aCallsReplyIsWrittenAtOnceEvenWithinTheInternalPipesCoalescingWindow() throws Exception {
        int deferredReplies = 0;
        boolean windowMet = false;
        // a cold dispatch (interpreted) takes longer than the window: enough rounds for it to be compiled
        for (int i = 0; i < 3000; i++) {
            frontMain.sendCall(i + 1, new MessageObject("add", "a", i, "b", 1), true);
            MessageObject call = backMain.recv(10_000); // received: what follows takes microseconds
            // a write on the internal pipe (a return_out__, an earlier reply): its coalescing window starts
            backInternal.send(new MessageObject("returned", "i", i));
            backInternal.flush();
            backInternal.send(new MessageObject("returned", "i", i)); // within the window, mostly: deferred
            windowMet |= backInternal.deferredBytes() > 0;
            backInternal.flush(); // the window starts again
            backend.dispatch(call); // the reply, within the window once the dispatch is compiled (microseconds)
            if (backInternal.deferredBytes() > 0) {
                deferredReplies++;
            }
            backInternal.flush();
            for (int k = 0; k < 2; k++) {
                assertEquals("returned", frontInternal.recv(10_000).command());
            }
            MessageObject reply = frontInternal.recv(10_000);
            assertTrue(WireProtocol.isReply(reply), "a reply: " + reply);
            assertEquals(i + 1, WireProtocol.replyId(reply));
            assertEquals(i + 1, ((Number) WireProtocol.replyValue(reply)).intValue());
        }
        assertTrue(windowMet, "the coalescing window was never met: the test shows nothing");
        assertEquals(0, deferredReplies, "replies left for the flusher while their callers wait");
    }

    @Test
    void repliesToABatchOfCallsMayCoalesceButTheLastGoesOutWithThem() throws Exception {
        int n = 20;
        int leftBehind = 0;
        int id = 0;
        for (int round = 0; round < 300; round++) { // rounds enough for the dispatch to be compiled (microseconds)
            for (int i = 0; i < n; i++) {
                frontMain.sendCall(++id, new MessageObject("add", "a", i, "b", 1), false); // asynchronous calls: one batch
            }
            frontMain.flush(); // all in the backend's socket now: its first read takes the whole batch
            for (int i = 0; i < n; i++) {
                handleNext();
            }
            if (backInternal.deferredBytes() > 0) {
                leftBehind++;
            }
            backInternal.flush();
            for (int i = 0; i < n; i++) {
                MessageObject reply = frontInternal.recv(10_000);
                assertEquals(id - n + i + 1, WireProtocol.replyId(reply));
                assertEquals(i + 1, ((Number) WireProtocol.replyValue(reply)).intValue());
            }
        }
        assertEquals(0, leftBehind, "batches whose last reply was left for the flusher");
    }
}
