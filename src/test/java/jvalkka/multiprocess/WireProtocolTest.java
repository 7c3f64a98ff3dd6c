package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The wire protocol on byte arrays, in one JVM: no socket, no process. */
@Timeout(30)
class WireProtocolTest {
    private final List<String> faults = new ArrayList<>();
    private final WireCodec.Decoder decoder = new WireCodec.Decoder("test");

    WireProtocolTest() {
        decoder.onFault(faults::add);
    }

    private static byte[] frames(MessageObject... ms) {
        WireCodec.Encoder e = new WireCodec.Encoder(16);
        for (MessageObject m : ms) {
            e.append(WireProtocol.MESSAGE, 0, m, WireProtocol.DEFAULT_MAX_MESSAGE_BYTES);
        }
        return Arrays.copyOf(e.buf(), e.size());
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private List<WireCodec.Frame> decodeAll(byte[] bytes) {
        decoder.feed(bytes, 0, bytes.length);
        List<WireCodec.Frame> got = new ArrayList<>();
        for (WireCodec.Frame f; (f = decoder.next()) != null;) {
            got.add(f);
        }
        return got;
    }

    private MessageObject roundTrip(MessageObject m) {
        List<WireCodec.Frame> got = decodeAll(frames(m));
        assertEquals(1, got.size(), "frames decoded from " + m);
        assertEquals(WireProtocol.MESSAGE, got.get(0).kind());
        return got.get(0).message();
    }

    @Test
    void everyAllowedValueTypeRoundTripsWithItsOwnType() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("list", new ArrayList<>(List.of(1, "two", 3.5)));
        nested.put("none", null);
        Object[][] values = {
            {"null", null}, {"string", "héllo \"wörld\" \u0001 日本"}, {"int", Integer.MIN_VALUE},
            {"long", Long.MAX_VALUE}, {"double", 1.5e-300}, {"nan", Double.NaN}, {"inf", Double.NEGATIVE_INFINITY},
            {"float", 2.5f}, {"short", (short) -7}, {"byte", (byte) 0xFF}, {"char", 'λ'}, {"bool", true},
            {"bigint", new BigInteger("123456789012345678901234567890")}, {"bigdec", new BigDecimal("1.000")},
            {"uuid", UUID.fromString("00000000-0000-0001-0000-000000000002")},
            {"ints", new int[] {1, -2, 3}}, {"longs", new long[] {Long.MIN_VALUE}}, {"doubles", new double[] {0.5}},
            {"bytes", new byte[] {(byte) 0xFF, (byte) 0xFE, 'J', 'V', 0}}, {"strings", new String[] {"a", null}},
            {"booleans", new boolean[] {true, false}}, {"list", new ArrayList<>(List.of(1, 2L, "x"))},
            {"map", nested},
        };
        for (Object[] kv : values) {
            MessageObject m = new MessageObject("cmd", kv[0], kv[1]);
            MessageObject back = roundTrip(m);
            assertEquals(m, back, "round trip of " + kv[0]);
            Object v = back.get((String) kv[0]);
            assertEquals(kv[1] == null ? null : kv[1].getClass(), v == null ? null : v.getClass(),
                    "the type of " + kv[0]);
        }
        assertTrue(faults.isEmpty(), faults.toString());
    }

    @Test
    void theStopMarkerIsAFrameOfItsOwnWithoutPayload() {
        WireCodec.Encoder e = new WireCodec.Encoder();
        e.append(WireProtocol.MESSAGE, 0, null, 100);
        assertEquals(WireProtocol.HEADER_LENGTH, e.size());
        List<WireCodec.Frame> got = decodeAll(Arrays.copyOf(e.buf(), e.size()));
        assertEquals(1, got.size());
        assertEquals(WireProtocol.STOP, got.get(0).kind());
        assertTrue(WireProtocol.isStop(got.get(0).message()));
    }

    @Test
    void callsAndRepliesCarryTheirIdInTheFrameNotInTheMessage() {
        long[] ids = {1, 0xFFFE4A56FFFE4A56L, Long.MAX_VALUE};
        for (long id : ids) {
            WireCodec.Encoder e = new WireCodec.Encoder();
            e.append(WireProtocol.CALL, id, new MessageObject("add", "a", 1), 1000);
            e.append(WireProtocol.REPLY, id, WireProtocol.replyValue(42), 1000);
            e.append(WireProtocol.REPLY, id, WireProtocol.replyError(new byte[] {1, 2}), 1000);
            List<WireCodec.Frame> got = decodeAll(Arrays.copyOf(e.buf(), e.size()));
            assertEquals(3, got.size(), "frames of call " + Long.toHexString(id) + "; faults " + faults);
            MessageObject call = got.get(0).message();
            assertEquals(WireProtocol.CALL, got.get(0).kind());
            assertEquals(new MessageObject("add", "a", 1), call, "the call's parameters hold no id");
            assertEquals(id, WireProtocol.replyId(call));
            MessageObject ok = got.get(1).message();
            assertTrue(WireProtocol.isReply(ok));
            assertEquals(id, WireProtocol.replyId(ok));
            assertNull(WireProtocol.replyFailure(ok));
            assertEquals(42, WireProtocol.replyValue(ok));
            assertArrayEquals(new byte[] {1, 2}, WireProtocol.replyFailure(got.get(2).message()));
        }
        assertEquals(0, WireProtocol.replyId(new MessageObject("plain")));
        assertFalse(WireProtocol.isReply(new MessageObject(WireProtocol.REPLY_COMMAND, "value", 1)),
                "a message that names the reply command is no reply: only a reply frame makes one");
        assertTrue(faults.isEmpty(), faults.toString());
    }

    /** A call id is binary and may hold the magic: a partly received call is not taken for a cut-short frame. */
    @Test
    void aCallIdThatHoldsTheMagicIsNoTruncationWhileTheCallArrives() {
        WireCodec.Encoder e = new WireCodec.Encoder();
        long id = ((long) WireProtocol.MAGIC << 32) | (WireProtocol.MAGIC & 0xFFFFFFFFL);
        e.append(WireProtocol.CALL, id, new MessageObject("add", "a", 1), 1000);
        for (int cut = 1; cut < e.size(); cut++) { // the call arrives in two reads, split anywhere
            WireCodec.Decoder d = new WireCodec.Decoder("test");
            d.onFault(faults::add);
            List<WireCodec.Frame> got = new ArrayList<>();
            d.feed(e.buf(), 0, cut);
            for (WireCodec.Frame f; (f = d.next()) != null;) {
                got.add(f);
            }
            d.feed(e.buf(), cut, e.size() - cut);
            for (WireCodec.Frame f; (f = d.next()) != null;) {
                got.add(f);
            }
            assertEquals(List.of(), faults, "split at " + cut);
            assertEquals(1, got.size(), "split at " + cut);
            assertEquals(id, WireProtocol.replyId(got.get(0).message()));
        }
    }

    @Test
    void garbageBeforeAFrameIsReportedOnceAndSkipped() {
        byte[] garbage = "not a frame at all".getBytes(StandardCharsets.US_ASCII);
        List<WireCodec.Frame> got = decodeAll(concat(garbage, frames(new MessageObject("ping", "i", 1))));
        assertEquals(1, got.size());
        assertEquals(1, got.get(0).message().get("i"));
        assertEquals(List.of(garbage.length + " bytes of garbage on test: skipped"), faults);
    }

    @Test
    void bytesThatHoldTheMagicWithoutASoundHeaderAreGarbage() {
        byte[] fake = WireProtocol.header(5, WireProtocol.MESSAGE);
        fake[WireProtocol.CHECK_OFFSET] ^= 0x5A;
        List<WireCodec.Frame> got = decodeAll(concat(fake, frames(new MessageObject("ping"))));
        assertEquals(1, got.size());
        assertEquals(1, faults.size(), faults.toString());
        assertTrue(faults.get(0).contains("garbage"), faults.toString());
    }

    @Test
    void aTruncatedFrameLosesOnlyItself() {
        byte[] whole = frames(new MessageObject("cut", "s", "x".repeat(100)));
        byte[] cut = Arrays.copyOf(whole, 40);
        List<WireCodec.Frame> got = decodeAll(concat(cut, frames(new MessageObject("a"), new MessageObject("b"))));
        assertEquals(List.of("a", "b"), got.stream().map(f -> f.message().command()).toList());
        assertEquals(1, faults.size(), faults.toString());
        assertTrue(faults.get(0).startsWith("a truncated frame on test (30 of"), faults.toString());
    }

    @Test
    void anUndecodableMessageIsReportedAndTheNextOneArrives() {
        byte[] body = "[\"ping\",{\"i\":[\"no.such.Type\",1]}]".getBytes(StandardCharsets.US_ASCII);
        byte[] bad = concat(WireProtocol.header(body.length, WireProtocol.MESSAGE), body);
        List<WireCodec.Frame> got = decodeAll(concat(bad, frames(new MessageObject("after"))));
        assertEquals(1, got.size());
        assertEquals("after", got.get(0).message().command());
        assertEquals(1, faults.size(), faults.toString());
        assertTrue(faults.get(0).contains("undecodable"), faults.toString());
    }

    @Test
    void framesSplitAtEveryByteDecodeAsWhole() {
        byte[] all = concat("junk".getBytes(StandardCharsets.US_ASCII),
                frames(new MessageObject("a", "v", 1), null, new MessageObject("b", "v", new int[] {1, 2})));
        List<WireCodec.Frame> got = new ArrayList<>();
        for (int i = 0; i < all.length; i++) {
            decoder.feed(all, i, 1);
            for (WireCodec.Frame f; (f = decoder.next()) != null;) {
                got.add(f);
            }
        }
        assertEquals(3, got.size(), "frames; faults " + faults);
        assertEquals("a", got.get(0).message().command());
        assertEquals(WireProtocol.STOP, got.get(1).kind());
        assertEquals(new MessageObject("b", "v", new int[] {1, 2}), got.get(2).message());
        assertEquals(List.of("4 bytes of garbage on test: skipped"), faults);
    }

    @Test
    void aMessageOverTheLimitIsRefusedBeforeItIsSentAndNothingIsWritten() {
        WireCodec.Encoder e = new WireCodec.Encoder();
        e.append(WireProtocol.MESSAGE, 0, new MessageObject("before"), WireProtocol.DEFAULT_MAX_MESSAGE_BYTES);
        int size = e.size();
        byte[] big = new byte[WireProtocol.DEFAULT_MAX_MESSAGE_BYTES];
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.append(WireProtocol.MESSAGE,
                0, new MessageObject("big", "b", big), WireProtocol.DEFAULT_MAX_MESSAGE_BYTES));
        assertTrue(x.getMessage().contains("over this pipe's limit of 16777216 bytes"), x.getMessage());
        assertEquals(size, e.size(), "a refused message leaves nothing behind");
        // a message just under the limit goes through
        byte[] fits = new byte[WireProtocol.DEFAULT_MAX_MESSAGE_BYTES / 2 - 100];
        e.append(WireProtocol.MESSAGE, 0, new MessageObject("fits", "b", fits), WireProtocol.DEFAULT_MAX_MESSAGE_BYTES);
        List<WireCodec.Frame> got = decodeAll(Arrays.copyOf(e.buf(), e.size()));
        assertEquals(2, got.size(), faults.toString());
        assertArrayEquals(fits, (byte[]) got.get(1).message().get("b"));
    }

    @Test
    void aHeaderThatClaimsMoreThanTheLimitIsRefusedWithoutWaitingForItsBytes() {
        byte[] huge = WireProtocol.header(WireProtocol.DEFAULT_MAX_MESSAGE_BYTES + 1, WireProtocol.MESSAGE);
        List<WireCodec.Frame> got = decodeAll(concat(huge, frames(new MessageObject("next"))));
        assertEquals(1, got.size(), "the message after it is not swallowed");
        assertEquals("next", got.get(0).message().command());
        assertEquals(1, faults.size(), faults.toString());
        assertTrue(faults.get(0).contains("over the limit of 16777216"), faults.toString());
    }

    @Test
    void handshakeAndUnknownKindsAreRefusedAfterTheHandshake() {
        for (byte kind : new byte[] {WireProtocol.BOOT, WireProtocol.READY, WireProtocol.FAIL, 42}) {
            faults.clear();
            List<WireCodec.Frame> got = decodeAll(concat(WireProtocol.header(0, kind), frames(new MessageObject("n"))));
            assertEquals(1, got.size());
            assertEquals(1, faults.size(), faults.toString());
        }
        WireCodec.Encoder e = new WireCodec.Encoder();
        e.appendRaw(WireProtocol.READY, new byte[0]);
        decoder.feed(e.buf(), 0, e.size());
        WireCodec.Frame raw = decoder.nextRaw();
        assertNotNull(raw);
        assertEquals(WireProtocol.Kind.READY, WireProtocol.Kind.of(raw.kind()));
        assertTrue(WireProtocol.Kind.READY.handshakeOnly);
    }

    @Test
    void lastWordsAreAFrameOfTheirOwn() {
        WireCodec.Encoder e = new WireCodec.Encoder();
        e.appendRaw(WireProtocol.EXIT, "bye".getBytes(StandardCharsets.UTF_8));
        List<WireCodec.Frame> got = decodeAll(Arrays.copyOf(e.buf(), e.size()));
        assertEquals(WireProtocol.EXIT, got.get(0).kind());
        assertEquals("bye", new String(got.get(0).payload(), StandardCharsets.UTF_8));
    }

    @Test
    void reservedEventsAreRecognisedByTheirAccessors() {
        assertTrue(WireProtocol.isError(WireProtocol.faultEvent("x")));
        assertTrue(WireProtocol.isExited(WireProtocol.exitedEvent("p", 1, 0, "r")));
        assertTrue(WireProtocol.isStarted(WireProtocol.startedEvent(null)));
        assertNull(WireProtocol.startFailure(WireProtocol.startedEvent(null)));
        assertArrayEquals(new byte[] {3}, WireProtocol.startFailure(WireProtocol.startedEvent(new byte[] {3})));
        assertFalse(WireProtocol.isError(new MessageObject("ping")));
        assertEquals(MainContext.EXITED, WireProtocol.EXITED);
    }
}
