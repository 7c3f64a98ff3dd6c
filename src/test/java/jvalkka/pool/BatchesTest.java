package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The compact form of batches and answers, in this JVM. */
@Timeout(10)
class BatchesTest {
    @Test
    void simpleValuesComeBackEqualAndOfTheSameClass() {
        List<Object> in = new ArrayList<>(Arrays.asList(1, 2L, 3.5, 4.5f, (short) 5, (byte) 6, 'x', true, null, "été",
                new int[] {1, 2}, new long[] {3}, new double[] {Double.NaN}, new byte[] {7}));
        long[] ids = new long[in.size()];
        Arrays.setAll(ids, i -> 100 + i);
        assertTrue(Batches.simple(in));
        Batches.Decoded d = Batches.decode(Batches.encode(42, ids, 1234, in));
        assertEquals(42, d.seq());
        assertEquals(1234, d.ns());
        assertArrayEquals(ids, d.ids());
        assertEquals(in.size(), d.values().size());
        for (int i = 0; i < in.size(); i++) {
            Object a = in.get(i);
            Object b = d.values().get(i);
            if (a == null) {
                assertEquals(null, b);
            } else {
                assertEquals(a.getClass(), b.getClass(), "value " + i);
                assertTrue(Arrays.deepEquals(new Object[] {a}, new Object[] {b}), "value " + i + ": " + a + " " + b);
            }
        }
        assertEquals(-1, Batches.decode(Batches.encode(1, new long[] {5}, List.of("a"))).ns(), "a batch has no time");
    }

    @Test
    void listsMapsAndRecordsKeepTheGeneralForm() {
        record Point(int x, int y) {
        }
        assertFalse(Batches.simple(List.of(1, List.of(2))));
        assertFalse(Batches.simple(List.of(Map.of("a", 1))));
        assertFalse(Batches.simple(List.of(new Point(1, 2))));
        assertFalse(Batches.simple(List.of((Object) new Object[] {1})));
    }

    @Test
    void aMalformedBatchIsRefusedWithAClearError() {
        String good = Batches.encode(1, new long[] {1, 2}, List.of(1, 2));
        assertThrows(IllegalArgumentException.class, () -> Batches.decode("not base64!"));
        assertThrows(IllegalArgumentException.class, () -> Batches.decode(good.substring(0, good.length() - 8)));
        assertThrows(IllegalArgumentException.class, () -> Batches.decode(Batches.encode(1, new long[] {1}, 0,
                List.of(1)) + "AAAA"));
    }
}
