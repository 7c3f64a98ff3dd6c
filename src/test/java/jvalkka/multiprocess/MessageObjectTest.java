package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MessageObjectTest {
    public record Point(int x, double y) {
    }

    public enum Color { RED, GREEN }

    public static class Pojo {
        public String a;
        public List<Integer> b;

        @Override
        public boolean equals(Object o) {
            return o instanceof Pojo p && p.a.equals(a) && p.b.equals(b);
        }

        @Override
        public int hashCode() {
            return a.hashCode();
        }
    }

    static MessageObject roundTrip(MessageObject m) throws IOException {
        byte[] b = Codec.encode(m);
        return Codec.decode(b, 0, b.length);
    }

    @Test
    void toStringReadsLikeValkka() {
        assertEquals("<MessageObject: ping: {parameter=gotcha!}>",
                new MessageObject("ping", "parameter", "gotcha!").toString());
        assertEquals("<MessageObject: pong: {}>", new MessageObject("pong").toString());
        assertEquals("<MessageObject: a: {x=[1, 2], y=null}>",
                new MessageObject("a", "x", new int[] {1, 2}, "y", null).toString());
    }

    @Test
    void commandAndParameters() {
        MessageObject m = new MessageObject("pong", "result", "pudding", "n", 5L);
        assertEquals("pong", m.command());
        assertEquals("pudding", m.get("result"));
        assertNull(m.get("absent"));
        assertTrue(m.has("n"));
        assertEquals(5, m.get("n", Integer.class));
        assertEquals(5L, m.get("n", long.class));
        assertThrows(IllegalArgumentException.class, () -> m.get("result", Integer.class));
        assertThrows(UnsupportedOperationException.class, () -> m.parameters().put("x", 1));
    }

    @Test
    void badConstructionIsRefusedClearly() {
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> new MessageObject("ping", "a"));
        assertTrue(odd.getMessage().contains("name/value pairs"), odd.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MessageObject("ping", 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new MessageObject("ping", "a", 1, "a", 2));
        assertThrows(IllegalArgumentException.class, () -> new MessageObject(""));
        assertThrows(IllegalArgumentException.class, () -> new MessageObject((String) null));
    }

    @Test
    void everyKindOfValueRoundTripsWithItsType() throws IOException {
        // in a process these are handler parameter types, which are allowed by themselves
        MessageObject.allowValueTypes(Point.class, Color.class, Pojo.class);
        Pojo pojo = new Pojo();
        pojo.a = "x";
        pojo.b = List.of(1, 2);
        MessageObject m = new MessageObject("all", "null", null, "int", 5, "long", 5L, "double", 1.5, "float", 2.5f,
                "short", (short) 3, "byte", (byte) 4, "char", 'c', "bool", true, "string", "héllo \"q\"",
                "ints", new int[] {1, 2}, "doubles", new double[] {1.5, -0.0}, "bytes", new byte[] {1, -1, 0},
                "longs", new long[] {Long.MAX_VALUE}, "list", List.of(1, "a", new Point(1, 2)),
                "map", Map.of("k", Color.RED), "enum", Color.GREEN, "record", new Point(3, 4.5), "pojo", pojo,
                "nested", List.of(List.of(new int[] {7})));
        MessageObject back = roundTrip(m);
        assertEquals(m.parameters().keySet(), back.parameters().keySet());
        for (String k : m.parameters().keySet()) {
            Object want = m.get(k);
            Object got = back.get(k);
            if (want == null) {
                assertNull(got, k);
                continue;
            }
            if (!(want instanceof List<?>) && !(want instanceof Map<?, ?>)) {
                assertEquals(want.getClass(), got.getClass(), k);
            }
        }
        assertArrayEquals(new int[] {1, 2}, (int[]) back.get("ints"));
        assertArrayEquals(new double[] {1.5, -0.0}, (double[]) back.get("doubles"));
        assertArrayEquals(new byte[] {1, -1, 0}, (byte[]) back.get("bytes"));
        assertEquals(List.of(1, "a", new Point(1, 2)), back.get("list"));
        assertEquals(Map.of("k", Color.RED), back.get("map"));
        assertEquals(pojo, back.get("pojo"));
        assertEquals(new Point(3, 4.5), back.get("record"));
        assertEquals(Long.valueOf(5), back.get("long"));
        assertArrayEquals(new int[] {7}, (int[]) ((List<?>) ((List<?>) back.get("nested")).get(0)).get(0));
    }

    @Test
    void malformedBytesAreRefused() {
        for (String bad : new String[] {"", "[", "[\"\",{}]", "{\"c\":1}", "[\"a\",{\"x\":}]", "[\"a\",{}] x"}) {
            byte[] b = bad.getBytes();
            assertThrows(IOException.class, () -> Codec.decode(b, 0, b.length), bad);
        }
    }
}
