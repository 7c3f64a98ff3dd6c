package jvalkka.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The one tagged value codec, in one JVM: every kind round trips; malformed bytes are a clear error. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ValueCodecTest {
    /** One value of every kind the codec has a tag for (and a few edges of each). */
    static List<Object> everyKind() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("a", 1);
        map.put("é", List.of("x", 2L));
        map.put("null", null);
        return Arrays.asList(null, true, false, 0, Integer.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, 5L,
                1.5, -0.0, Double.NaN, Double.NEGATIVE_INFINITY, 2.5f, Float.NaN, (short) -7, (byte) -128, 'x', '\u00e9',
                "", "ascii", "quote \" \\ \u0000\n", "héllo wörld", "日本語", "emoji \uD83D\uDE00",
                new byte[] {1, -1, 0}, new short[] {-1, 300}, new int[] {1, 2, 3}, new long[] {Long.MAX_VALUE},
                new float[] {1.5f, Float.NaN}, new double[] {-0.0, 1e300}, new char[] {'a', '\u20ac'},
                new boolean[] {true, false, true}, new int[0], new double[0],
                new ArrayList<>(List.of(1, "two", 3.0)), List.of(), List.of(List.of(List.of(new int[] {7}))),
                map, new LinkedHashMap<>(), new Object[] {1, "a", null, new long[] {2}}, new Object[0]);
    }

    /** Encodes with both writers, which must agree byte for byte; returns the bytes. */
    private static byte[] encode(Object v, ValueCodec.Extension ext) {
        ValueWriter.OnBuffer w = ValueWriter.on(new ExpandableArrayBuffer(8), ext);
        w.value(v);
        byte[] b = new byte[w.position()];
        w.buffer().getBytes(0, b);
        ValueWriter.OnArray a = ValueWriter.onArray(8, ext);
        a.value(v);
        assertArrayEquals(b, a.toByteArray(), "the Agrona-buffer and the byte-array writer agree on " + v);
        return b;
    }

    /** Decodes with both readers, which must agree; returns the value. */
    private static Object decode(byte[] b, ValueCodec.Extension ext) {
        ValueReader r = ValueReader.on(ext).wrap(new UnsafeBuffer(b), 0, b.length);
        Object v = r.value();
        assertEquals(0, r.remaining(), "the value ends where its bytes do");
        ValueReader a = ValueReader.onArray(b, 0, b.length, ext);
        assertSameValue(v, a.value());
        assertEquals(0, a.remaining(), "the value ends where its bytes do");
        return v;
    }

    /** Both readers refuse {@code b} with a {@link ValueCodec.MalformedValueException}; returns the buffer reader's. */
    private static ValueCodec.MalformedValueException assertMalformed(byte[] b, String what) {
        ValueCodec.MalformedValueException e = assertThrows(ValueCodec.MalformedValueException.class,
                () -> ValueReader.on(null).wrap(new UnsafeBuffer(b), 0, b.length).value(), what);
        ValueCodec.MalformedValueException a = assertThrows(ValueCodec.MalformedValueException.class,
                () -> ValueReader.onArray(b, 0, b.length, null).value(), what);
        assertEquals(e.getMessage(), a.getMessage(), what);
        assertTrue(e.getMessage().startsWith("malformed value"), e.getMessage());
        return e;
    }

    /** Equal, with the same classes all the way down (a long stays a long, an int[] an int[]). */
    static void assertSameValue(Object want, Object got) {
        if (want == null) {
            assertEquals(null, got);
            return;
        }
        assertEquals(want.getClass().isArray() || want instanceof List || want instanceof Map ? got.getClass() : want.getClass(),
                got.getClass(), "class of " + want);
        if (want.getClass().isArray()) {
            assertEquals(Array.getLength(want), Array.getLength(got));
            for (int i = 0; i < Array.getLength(want); i++) {
                assertSameValue(Array.get(want, i), Array.get(got, i));
            }
            assertEquals(want.getClass(), got.getClass());
        } else if (want instanceof List<?> wl) {
            List<?> gl = (List<?>) got;
            assertEquals(wl.size(), gl.size());
            for (int i = 0; i < wl.size(); i++) {
                assertSameValue(wl.get(i), gl.get(i));
            }
        } else if (want instanceof Map<?, ?> wm) {
            Map<?, ?> gm = (Map<?, ?>) got;
            assertEquals(new ArrayList<>(wm.keySet()), new ArrayList<>(gm.keySet()), "keys, in order");
            for (Object k : wm.keySet()) {
                assertSameValue(wm.get(k), gm.get(k));
            }
        } else if (want instanceof StringBuilder) { // the extension's kind: equal by content
            assertEquals(want.toString(), got.toString());
        } else {
            assertEquals(want, got);
        }
    }

    @Test
    void everyKindRoundTripsWithItsOwnClass() {
        for (Object v : everyKind()) {
            assertSameValue(v, decode(encode(v, null), null));
        }
        assertSameValue(everyKind(), decode(encode(everyKind(), null), null));
    }

    @Test
    void everyKindHasItsOwnTagAndScalarsAreTheBoxedPrimitivesAndStrings() {
        for (Object v : everyKind()) {
            byte t = ValueCodec.tag(v);
            assertTrue(t >= 0 && t < ValueCodec.FIRST_EXTENSION_TAG, "a tag for " + v);
            assertEquals(t, encode(v, null)[0], "the tag written first for " + v);
            boolean scalar = v == null || !(v.getClass().isArray() || v instanceof List || v instanceof Map);
            assertEquals(scalar, ValueCodec.isScalar(v), String.valueOf(v));
        }
        assertEquals(ValueCodec.OTHER, ValueCodec.tag(new StringBuilder("x")));
    }

    @Test
    void aReusedWriterStartsAfreshAtItsPosition() {
        ValueWriter.OnBuffer w = ValueWriter.on(new ExpandableArrayBuffer(4), null);
        for (Object v : everyKind()) {
            w.position(0);
            w.value(v);
            byte[] b = new byte[w.position()];
            w.buffer().getBytes(0, b);
            assertArrayEquals(encode(v, null), b);
        }
    }

    @Test
    void anExtensionCarriesItsOwnKindsInsideTheCodecsContainers() {
        ValueCodec.Extension sb = new ValueCodec.Extension() {
            @Override
            public boolean write(ValueWriter w, Object value) {
                if (!(value instanceof StringBuilder s)) {
                    return false;
                }
                w.putByte(ValueCodec.FIRST_EXTENSION_TAG);
                w.putString(s.toString());
                return true;
            }

            @Override
            public Object read(ValueReader r, byte tag) {
                if (tag != ValueCodec.FIRST_EXTENSION_TAG) {
                    throw new ValueCodec.MalformedValueException("not mine: " + tag);
                }
                return new StringBuilder(r.getString());
            }
        };
        Object back = decode(encode(List.of(1, new StringBuilder("sb"), Map.of("k", new StringBuilder("v"))), sb), sb);
        assertEquals("[1, sb, {k=v}]", back.toString());
        assertEquals(StringBuilder.class, ((List<?>) back).get(1).getClass());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> encode(List.of(new StringBuilder("x")), null));
        assertTrue(none.getMessage().contains("java.lang.StringBuilder"), none.getMessage());
    }

    @Test
    void aMapWithOtherKeysOrAContainerThatHoldsItselfIsRefusedByName() {
        IllegalArgumentException keys = assertThrows(IllegalArgumentException.class, () -> encode(Map.of(1, "a"), null));
        assertTrue(keys.getMessage().contains("keys"), keys.getMessage());
        List<Object> self = new ArrayList<>();
        self.add(self);
        IllegalArgumentException cycle = assertThrows(IllegalArgumentException.class, () -> encode(self, null));
        assertTrue(cycle.getMessage().contains("nested"), cycle.getMessage());
    }

    @Test
    void everyTruncationOfEveryKindIsAMalformedValueNotAnOutOfBoundsRead() {
        for (Object v : everyKind()) {
            byte[] whole = encode(v, null);
            for (int n = 0; n < whole.length; n++) {
                assertMalformed(Arrays.copyOf(whole, n), "the first " + n + " bytes of " + v);
            }
        }
    }

    @Test
    void unknownTagsNegativeOrHugeCountsAndDeepNestingAreClearErrors() {
        ValueCodec.MalformedValueException tag = assertMalformed(new byte[] {99}, "tag 99");
        assertTrue(tag.getMessage().contains("unknown tag 99"), tag.getMessage());
        assertMalformed(new byte[] {ValueCodec.FIRST_EXTENSION_TAG}, "an extension's tag, without the extension");

        UnsafeBuffer b = new UnsafeBuffer(new byte[5]);
        for (byte t : new byte[] {ValueCodec.STRING, ValueCodec.LIST, ValueCodec.MAP, ValueCodec.OBJECTS, ValueCodec.LONGS}) {
            for (int count : new int[] {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, 1 << 28}) {
                b.putByte(0, t);
                b.putInt(1, count);
                byte[] bytes = b.byteArray().clone();
                ValueCodec.MalformedValueException e = assertMalformed(bytes, "tag " + t + " count " + count);
                assertTrue(e.getMessage().contains(count < 0 ? "negative" : "needs"), e.getMessage());
            }
        }

        ExpandableArrayBuffer deep = new ExpandableArrayBuffer();
        int depth = ValueCodec.MAX_DEPTH + 1;
        for (int i = 0; i < depth; i++) {
            deep.putByte(i * 5, ValueCodec.LIST);
            deep.putInt(i * 5 + 1, 1);
        }
        deep.putByte(depth * 5, ValueCodec.NULL);
        byte[] nested = new byte[depth * 5 + 1];
        deep.getBytes(0, nested);
        ValueCodec.MalformedValueException e = assertMalformed(nested, "lists nested too deep");
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
    }
}
