package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input of every kind: each is reported (logged in the backend, and an
 * "error" message on the pipe) and the one backend survives all of them.
 */
@Timeout(120)
class BadInputTest {
    public record Point(int x, double y) {
    }

    static class Target extends MessageProcess {
        Target() {
            super("target");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__sum(List<Integer> values, Point p) {
            send_out__(new MessageObject("sum", "value", values.stream().mapToInt(Integer::intValue).sum() + p.x()));
        }

        void c__whole(MessageObject m) {
            send_out__(new MessageObject("whole", "got", m.toString()));
        }

        void c__boom(String why) {
            throw new IllegalStateException(why);
        }
    }

    static Target p;

    @BeforeAll
    static void start() {
        p = new Target();
        p.setOptions(BackendOptions.defaults().withMaxMessageBytes(64 * 1024));
        p.start();
    }

    @AfterAll
    static void stop() throws Exception {
        p.stop();
        Leftovers.assertNone();
    }

    static MessageObject next() {
        assertTrue(p.getPipe().poll(30), "no message from the backend within 30 s");
        return p.getPipe().recv();
    }

    /** The backend still works: a ping is answered. */
    static void assertAlive(int i) {
        p.sendMessageToBack(new MessageObject("ping", "i", i));
        MessageObject m = next();
        assertEquals("pong", m.command(), m.toString());
        assertEquals(i, m.get("i"));
        assertTrue(p.isAlive());
    }

    static MessageObject expectError(String... fragments) {
        MessageObject e = next();
        assertEquals("error", e.command(), e.toString());
        String reason = (String) e.get("reason");
        for (String f : fragments) {
            assertTrue(reason.contains(f), "reason '" + reason + "' lacks '" + f + "'");
        }
        return e;
    }

    @Test
    void parametersAreBoundByNameAndConverted() {
        p.sendMessageToBack(new MessageObject("sum", "p", Map.of("x", 10, "y", 1.0), "values", new long[] {1, 2}));
        MessageObject m = next();
        assertEquals(13, m.get("value"), m.toString());
        p.sendMessageToBack(new MessageObject("ping", "i", 7L)); // a long that fits an int
        assertEquals(7, next().get("i"));
        p.sendMessageToBack(new MessageObject("whole", "a", 1));
        assertEquals("<MessageObject: whole: {a=1}>", next().get("got"));
    }

    @Test
    void unknownCommand() {
        p.sendMessageToBack(new MessageObject("nosuch", "x", 1));
        MessageObject e = expectError("no such method c__nosuch");
        assertEquals("nosuch", e.get("command"));
        assertTrue(((String) e.get("parameters")).contains("x=1"));
        assertAlive(1);
    }

    @Test
    void missingParameter() {
        p.sendMessageToBack(new MessageObject("ping"));
        expectError("missing parameter i", "c__ping(int i)");
        assertAlive(2);
    }

    @Test
    void extraParameter() {
        p.sendMessageToBack(new MessageObject("ping", "i", 1, "j", 2));
        expectError("unexpected parameter j");
        assertAlive(3);
    }

    @Test
    void mistypedParameter() {
        p.sendMessageToBack(new MessageObject("ping", "i", "seven"));
        MessageObject e = expectError("parameter 'i'", "must be a int", "seven");
        assertEquals("ping", e.get("command"));
        p.sendMessageToBack(new MessageObject("ping", "i", 1.5));
        expectError("parameter 'i'");
        assertAlive(4);
    }

    @Test
    void exceptionInHandler() {
        p.sendMessageToBack(new MessageObject("boom", "why", "on purpose"));
        MessageObject e = expectError("c__boom raised java.lang.IllegalStateException: on purpose");
        assertEquals("java.lang.IllegalStateException", e.get("exception"));
        assertTrue(((String) e.get("trace")).contains("c__boom"));
        assertAlive(5);
    }

    /**
     * A message is a call only when it comes in a call frame: a parameter that
     * happens to carry the name of an old reply id is no call, and a failure of its
     * handler reaches the frontend as an error event instead of a reply nobody reads.
     */
    @Test
    void aParameterNamedLikeAReplyIdDoesNotMakeAMessageACall() {
        p.sendMessageToBack(new MessageObject("boom", "why", "not a call", "__reply", 77L));
        MessageObject e = expectError("c__boom raised java.lang.IllegalStateException: not a call");
        assertTrue(((String) e.get("parameters")).contains("__reply=77"), "the report shows what was sent: " + e);
        assertAlive(11);
    }

    @Test
    void garbageBytesOnTheChannel() {
        p.getPipe().writeRawBytes("this is not a frame at all".getBytes());
        p.sendMessageToBack(new MessageObject("ping", "i", 6));
        expectError("bytes of garbage");
        MessageObject m = next();
        assertEquals(6, m.get("i"), "the message after the garbage was lost: " + m);
    }

    @Test
    void truncatedFrame() {
        byte[] body = "[\"ping\",{\"i\":".getBytes();
        p.getPipe().writeRawBytes(frame(WireProtocol.MESSAGE, 100, body));
        p.sendMessageToBack(new MessageObject("ping", "i", 7));
        expectError("truncated");
        assertEquals(7, next().get("i"));
    }

    @Test
    void undecodableFrame() {
        byte[] body = "[\"ping\",{\"i\":[\"no.such.Type\",1]}]".getBytes();
        p.getPipe().writeRawBytes(frame(WireProtocol.MESSAGE, body.length, body));
        expectError("undecodable");
        assertAlive(8);
    }

    @Test
    void oversizedMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.sendMessageToBack(new MessageObject("ping", "i", new byte[100_000])));
        assertTrue(e.getMessage().contains("over this pipe's limit of 65536 bytes"), e.getMessage());
        // a frame header claiming a huge size (garbage or another sender) is refused by the backend too
        p.getPipe().writeRawBytes(WireProtocol.header(1 << 30, WireProtocol.MESSAGE));
        MessageObject err = expectError("over the limit");
        assertNotNull(err);
        assertAlive(9);
    }

    /**
     * A frame whose header is well formed but whose declared length runs over the
     * frames that follow: the reader notices within one frame, reports it once and
     * loses none of the messages after it. Kinds whose payload is never scanned for
     * an embedded frame (the backend's last words, the handshake's frames, unknown
     * kinds) included.
     */
    @ParameterizedTest
    @ValueSource(bytes = {WireProtocol.EXIT, WireProtocol.BOOT, WireProtocol.READY, WireProtocol.FAIL,
            WireProtocol.STOP, WireProtocol.MESSAGE, WireProtocol.CALL, WireProtocol.REPLY, 42})
    void aFrameThatClaimsMoreThanItCarriesSwallowsNothing(byte kind) {
        byte[] body = "only a few bytes".getBytes();
        byte[] frame = frame(kind, 60_000, body); // under the backend's limit of 64 KB
        p.getPipe().writeRawBytes(frame);
        for (int i = 0; i < 3; i++) {
            p.sendMessageToBack(new MessageObject("ping", "i", 100 + i));
        }
        MessageObject e = nextWithin(10);
        assertEquals("error", e.command(), "the fault is reported first: " + e);
        for (int i = 0; i < 3; i++) {
            MessageObject m = nextWithin(10);
            assertEquals("pong", m.command(), "reported once, then the messages that followed: " + m);
            assertEquals(100 + i, m.get("i"), "a message after the bad frame was lost");
        }
        assertAlive(10);
    }

    /** A frame with a sound header (it passes the header check) that declares {@code declaredLength}. */
    static byte[] frame(byte kind, int declaredLength, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(WireProtocol.HEADER_LENGTH + body.length);
        b.put(WireProtocol.header(declaredLength, kind)).put(body);
        return b.array();
    }

    static MessageObject nextWithin(int seconds) {
        assertTrue(p.getPipe().poll(seconds), "no message from the backend within " + seconds + " s");
        return p.getPipe().recv();
    }
}
