package jvalkka.shm;

import jvalkka.shm.internal.Crossing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import jvalkka.testing.Handles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SharedArrayTest {
    private final TestSegments segments = new TestSegments();

    private String name() {
        return segments.name();
    }

    private <T extends AutoCloseable> T keep(T t) {
        return segments.keep(t);
    }

    @AfterEach
    void cleanUp() throws Exception {
        segments.cleanUp();
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void indexingFillAndBulkCopyForEachDtype(DType t) throws IOException {
        String n = name();
        SharedArray a = keep(SharedArray.create(n, t, 3, 4));
        SharedArray b = keep(SharedArray.open(n, t, 3, 4));
        assertEquals(12, a.size());
        assertEquals(12L * t.itemSize(), a.nbytes());
        assertArrayEquals(new int[] {3, 4}, a.shape());
        assertEquals(t, a.dtype());

        a.set(5.0, 1, 2);
        assertEquals(5.0, b.getDouble(1, 2));
        assertEquals(5.0, b.getDouble(new int[] {1, 2}));
        assertEquals(5.0, b.getDouble(1L * 4 + 2), "flat index");
        assertEquals(5L, b.getLong(1, 2));
        assertEquals(5.0, b.getDouble(-2, -2), "negative indices count from the end");
        a.setLong(11, 7);
        assertEquals(7.0, b.getDouble(2, 3));

        a.fill(2.0);
        for (long k = 0; k < a.size(); k++) {
            assertEquals(2.0, b.getDouble(k));
        }
        a.fill(0.0);
        assertEquals(0.0, b.getDouble(2, 3));

        double[] d = new double[12];
        for (int k = 0; k < d.length; k++) {
            d[k] = k + 1;
        }
        a.copyFrom(d);
        double[] dOut = new double[12];
        b.copyTo(dOut);
        assertArrayEquals(d, dOut);
        assertEquals(7.0, b.getDouble(1, 2)); // row-major: 1 * 4 + 2 = 6, value 7

        float[] f = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        a.copyFrom(f);
        float[] fOut = new float[12];
        b.copyTo(fOut);
        assertArrayEquals(f, fOut);

        int[] i = {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
        a.copyFrom(i);
        int[] iOut = new int[12];
        b.copyTo(iOut);
        assertArrayEquals(i, iOut);

        long[] l = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 120};
        a.copyFrom(l);
        long[] lOut = new long[12];
        b.copyTo(lOut);
        assertArrayEquals(l, lOut);

        byte[] by = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100};
        a.copyFrom(by);
        byte[] byOut = new byte[12];
        b.copyTo(byOut);
        assertArrayEquals(by, byOut);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.copyFrom(new double[5]));
        assertTrue(e.getMessage().contains("needs exactly that many, got 5"), e.getMessage());
        assertTrue(a.unlink());
    }

    @Test
    void conversionsLikeNumpy() throws IOException {
        try (SharedArray u8 = SharedArray.create(name(), DType.UINT8, 4);
             SharedArray i16 = SharedArray.create(name(), DType.INT16, 2);
             SharedArray h = SharedArray.create(name(), DType.FLOAT16, 3);
             SharedArray i64 = SharedArray.create(name(), DType.INT64, 1)) {
            u8.copyFrom(new byte[] {-1, 0, 127, -128});
            assertEquals(255.0, u8.getDouble(0L));
            assertEquals(128, u8.getLong(3L));
            u8.setDouble(1, 3.9);
            assertEquals(3, u8.getLong(1L), "truncates toward zero");
            u8.setLong(2, 256 + 7);
            assertEquals(7, u8.getLong(2L), "wraps to the width");
            i16.setLong(0, 40000);
            assertEquals(40000 - 65536, i16.getLong(0L));
            h.setDouble(0, 0.1);
            assertEquals(0.0999755859375, h.getDouble(0L));
            h.setDouble(1, 1e6);
            assertEquals(Double.POSITIVE_INFINITY, h.getDouble(1L));
            assertEquals(0x2e66, h.segment().buffer().getShort(0) & 0xffff, "stored as IEEE half bits");
            i64.setLong(0, Long.MAX_VALUE);
            assertEquals(Long.MAX_VALUE, i64.getLong(0L), "exact through the long path");
            u8.unlink();
            i16.unlink();
            h.unlink();
            i64.unlink();
        }
    }

    @Test
    void boundsAreCheckedWithClearMessages() throws IOException {
        SharedArray a = keep(SharedArray.create(name(), DType.FLOAT64, 100, 100));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> a.getDouble(100, 0));
        assertEquals("index 100 is out of bounds for axis 0 with size 100", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> a.set(1.0, 0, -101));
        assertEquals("index -101 is out of bounds for axis 1 with size 100", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> a.getDouble(new int[] {1}));
        assertTrue(e.getMessage().contains("takes 2 indices, got 1"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> a.getDouble(10_000L));
        assertEquals("flat index 10000 is out of bounds for size 10000", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SharedArray.create(name(), DType.INT8, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> SharedArray.create(name(), DType.INT8, -1));
        try (SharedMemory small = SharedMemory.create(name(), 16)) {
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                    () -> SharedArray.wrap(small, DType.FLOAT64, 3));
            assertTrue(big.getMessage().contains("needs 24 bytes"), big.getMessage());
            small.unlink();
        }
        a.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> a.getDouble(0, 0));
        assertTrue(closed.getMessage().contains("closed"));
        a.unlink();
    }

    @Test
    void aShapeWhoseBytesExceedOneSegmentIsRefusedNamingTheShape() {
        // 2^29 elements fit the element count, but 2^29 float64s are 4 GiB: more than one segment holds
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedArray.create(name(), DType.FLOAT64, 1 << 29));
        assertTrue(e.getMessage().contains("(536870912,)") && e.getMessage().contains("4294967296 bytes"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SharedArray.create(name(), DType.INT16, 1 << 16, 1 << 15));
        assertTrue(e.getMessage().contains("(65536, 32768)"), e.getMessage());
        assertFalse(SharedMemory.exists(name()), "no segment is left behind");
    }

    @Test
    void tinyNumpyRepr() throws IOException {
        SharedArray a = keep(SharedArray.create(name(), DType.FLOAT64, 2, 3));
        a.copyFrom(new double[] {1, 2, 3, 4, 5.5, 6});
        assertEquals("array([[1., 2., 3.],\n       [4., 5.5, 6.]], dtype=float64, shm='" + a.segment().name() + "')",
                a.toString());
        SharedArray big = keep(SharedArray.create(name(), DType.INT32, 100, 100));
        String s = big.toString();
        assertTrue(s.startsWith("array([[0, 0, 0, ..., 0, 0, 0],"), s);
        assertTrue(s.contains("...,\n"), s);
        assertTrue(s.length() < 400, "summarised");
        a.unlink();
        big.unlink();
    }

    @Test
    void serializesAsAHandle() throws Exception {
        String n = name();
        SharedMemory shm = keep(SharedMemory.create(n, 800));
        SharedArray a = keep(SharedArray.wrap(shm, DType.FLOAT64, 10, 10));
        a.fill(1.0);
        Crossing.begin();
        Object[] back = Handles.roundTrip(new Object[] {shm, a});
        List<Object> crossed = Crossing.end();
        assertTrue(crossed.contains(a) && crossed.contains(shm), crossed.toString());
        SharedMemory shm2 = keep((SharedMemory) back[0]);
        SharedArray b = keep((SharedArray) back[1]);
        assertSame(shm2, b.segment(), "the array and the segment stay one view after crossing");
        assertFalse(shm2.isOwner());
        assertArrayEquals(new int[] {10, 10}, b.shape());
        b.set(3.0, 9, 9);
        assertEquals(3.0, a.getDouble(9, 9));
        assertEquals(1.0, b.getDouble(0, 0));
        a.close();
        assertFalse(shm.isClosed(), "a wrapped array leaves its segment to the holder");
        shm.unlink();
    }

    /**
     * Every bulk copy (five Java array types, in and out) against every dtype agrees with the
     * element accessors, value for value: the raw copies and the converting ones alike.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void everyBulkCopyAgreesWithTheElementAccessors(DType t) throws IOException {
        SharedArray a = keep(SharedArray.create(name(), t, 2, 3));
        double[] doubles = {-3.75, -1, 0, 1.5, 100.25, 70000};
        long[] longs = {-300, -1, 0, 1, 255, 70000};
        a.copyFrom(doubles);
        double[] d = new double[6];
        float[] f = new float[6];
        a.copyTo(d);
        a.copyTo(f);
        for (int k = 0; k < 6; k++) {
            a.setDouble(k, doubles[k]); // what copyFrom(double[]) must have stored
            assertEquals(a.getDouble(k), d[k], "copyTo(double[]) " + k);
            assertEquals((float) a.getDouble(k), f[k], "copyTo(float[]) " + k);
        }
        float[] fs = new float[6];
        for (int k = 0; k < 6; k++) {
            fs[k] = (float) doubles[k];
        }
        a.copyFrom(fs);
        for (int k = 0; k < 6; k++) {
            double got = a.getDouble(k);
            a.setDouble(k, fs[k]);
            assertEquals(a.getDouble(k), got, "copyFrom(float[]) " + k);
        }
        int[] ints = new int[6];
        byte[] bytes = new byte[6];
        for (int k = 0; k < 6; k++) {
            ints[k] = (int) longs[k];
            bytes[k] = (byte) longs[k];
        }
        for (Object src : List.of(longs, ints, bytes)) {
            if (src instanceof long[] l) {
                a.copyFrom(l);
            } else if (src instanceof int[] in) {
                a.copyFrom(in);
            } else {
                a.copyFrom((byte[]) src);
            }
            long[] lo = new long[6];
            int[] io = new int[6];
            byte[] bo = new byte[6];
            a.copyTo(lo);
            a.copyTo(io);
            a.copyTo(bo);
            for (int k = 0; k < 6; k++) {
                long v = src instanceof long[] l ? l[k] : src instanceof int[] in ? in[k] : ((byte[]) src)[k];
                long got = a.getLong(k);
                if (src instanceof byte[] && t == DType.UINT8) {
                    assertEquals(v & 0xff, got, "a byte[] is uint8's raw bytes " + k);
                } else {
                    a.setLong(k, v);
                    assertEquals(a.getLong(k), got, "copyFrom(" + src.getClass().getSimpleName() + ") " + k);
                }
                assertEquals(a.getLong(k), lo[k], "copyTo(long[]) " + k);
                assertEquals((int) a.getLong(k), io[k], "copyTo(int[]) " + k);
                assertEquals((byte) a.getLong(k), bo[k], "copyTo(byte[]) " + k);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> a.copyFrom(new double[5]), "a wrong length is refused");
        assertThrows(IllegalArgumentException.class, () -> a.copyTo(new byte[7]), "a wrong length is refused");
    }
}
