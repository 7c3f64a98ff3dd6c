package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jvalkka.internal.ValueCodec;
import jvalkka.internal.ValueReader;
import jvalkka.internal.ValueWriter;
import jvalkka.sgn.DataSpec;
import jvalkka.sgn.Frame;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Process-mode items in one JVM: FrameCodec's own kinds on the shared tagged codec. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FrameCodecTest {
    record Audio(int rate, int channels) implements DataSpec {
    }

    record Point(int x, double y) {
    }

    /** A value only another JVM would send: allowed here by MessageObject.allowValueTypes, never written here. */
    record Allowed(String what) {
    }

    /** How many Tripwires were built: a class the ring names must not be built unless it is allowed. */
    static final java.util.concurrent.atomic.AtomicInteger TRIPWIRES = new java.util.concurrent.atomic.AtomicInteger();

    /** A class on the class path with a public constructor, as a gadget would be. */
    public static final class Tripwire {
        public Tripwire() {
            TRIPWIRES.incrementAndGet();
        }
    }

    /** The bytes a peer would write for a Jackson-encoded value of class {@code type}. */
    private static byte[] jacksonItem(String type, String json) {
        ExpandableArrayBuffer b = new ExpandableArrayBuffer();
        ValueWriter w = ValueWriter.on(b, null);
        w.putByte(50); // FrameCodec's JACKSON tag
        w.putString(type);
        byte[] j = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        w.putInt(j.length);
        w.putBytes(j);
        byte[] out = new byte[w.position()];
        b.getBytes(0, out);
        return out;
    }

    /** head + tail as one byte array, as the ring queue lays them out. */
    private static byte[] wire(FrameCodec.Encoder enc, Object item) {
        enc.encode(item);
        byte[] b = new byte[enc.headLength + enc.tailBytes];
        enc.head.getBytes(0, b, 0, enc.headLength);
        if (enc.tail != null) {
            ExpandableArrayBuffer t = new ExpandableArrayBuffer(enc.tailBytes);
            FrameCodec.copyFromArray(enc.tail, enc.tailBase, 0, t, 0, enc.tailBytes);
            t.getBytes(0, b, enc.headLength, enc.tailBytes);
        }
        return b;
    }

    private static Object roundTrip(Object item) {
        byte[] b = wire(new FrameCodec.Encoder(), item);
        return new FrameCodec.Decoder().decode(new UnsafeBuffer(b), 0, b.length);
    }

    @Test
    void framesArraysAndJacksonValuesRoundTrip() {
        Frame f = (Frame) roundTrip(new Frame(new float[] {1.5f, 2}, false, true, new Audio(48000, 2), Map.of("t", 7L)));
        assertArrayEquals(new float[] {1.5f, 2}, (float[]) f.data());
        assertTrue(f.isGap());
        assertEquals(new Audio(48000, 2), f.spec());
        assertEquals(Map.of("t", 7L), f.metadata());
        assertTrue(((Frame) roundTrip(Frame.eos())).isEOS());
        assertNull(((Frame) roundTrip(new Frame(null))).data());
        assertEquals(new Point(1, 2.5), roundTrip(new Point(1, 2.5)));
        assertArrayEquals(new int[] {1, 2}, (int[]) roundTrip(new int[] {1, 2}));
        List<?> nested = (List<?>) roundTrip(List.of(new Frame("in a list"), new Point(3, 4), "s"));
        assertEquals("in a list", ((Frame) nested.get(0)).data());
        assertEquals(new Point(3, 4), nested.get(1));
    }

    @Test
    void aClassNameFromTheRingThatIsNotAnAllowedValueTypeIsRefusedWithoutBuildingIt() {
        for (String forged : List.of(Tripwire.class.getName(), "java.lang.ProcessBuilder", "no.such.Gadget")) {
            byte[] b = jacksonItem(forged, "{}");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new FrameCodec.Decoder().decode(new UnsafeBuffer(b), 0, b.length), forged);
            assertTrue(e.getMessage().contains("named the class " + forged) && e.getMessage().contains("allowValueTypes"),
                    e.getMessage());
        }
        assertEquals(0, TRIPWIRES.get(), "a class the ring named was built");
    }

    @Test
    void aClassAllowedAsAMessageValueTypeArrivesThoughThisJvmNeverWroteOne() {
        jvalkka.multiprocess.MessageObject.allowValueTypes(Allowed.class);
        byte[] b = jacksonItem(Allowed.class.getName(), "{\"what\":\"from the worker\"}");
        assertEquals(new Allowed("from the worker"), new FrameCodec.Decoder().decode(new UnsafeBuffer(b), 0, b.length));
    }

    @Test
    void everyTruncationOfAnItemIsAMalformedValueNotAnOutOfBoundsRead() {
        FrameCodec.Encoder enc = new FrameCodec.Encoder();
        FrameCodec.Decoder dec = new FrameCodec.Decoder();
        for (Object item : List.of(new Frame(new double[] {1, 2}, false, false, new Audio(1, 1), Map.of("k", "v")),
                new Frame(List.of(1, "x")), new Point(1, 2), List.of(new Frame(3)))) {
            byte[] whole = wire(enc, item);
            for (int n = 0; n < whole.length; n++) {
                int len = n;
                assertThrows(ValueCodec.MalformedValueException.class,
                        () -> dec.decode(new UnsafeBuffer(whole), 0, len), "the first " + n + " bytes of " + item);
            }
        }
    }

    @Test
    void aFrameWhoseSpecIsNotADataSpecIsMalformed() {
        // FRAME, flags = spec, then a string where the spec belongs, then the data
        ExpandableArrayBuffer b = new ExpandableArrayBuffer();
        ValueWriter w = ValueWriter.on(b, null);
        w.putByte(40);
        w.putByte(4);
        w.value("not a spec");
        w.value(1);
        ValueCodec.MalformedValueException e = assertThrows(ValueCodec.MalformedValueException.class,
                () -> new FrameCodec.Decoder().decode(b, 0, w.position()));
        assertTrue(e.getMessage().contains("java.lang.String"), e.getMessage());
    }
}
