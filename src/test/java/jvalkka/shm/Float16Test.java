package jvalkka.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class Float16Test {
    private static int h(double d) {
        return Float16.fromDouble(d) & 0xffff;
    }

    @Test
    void knownValues() {
        assertEquals(0x3c00, h(1.0));
        assertEquals(0xc000, h(-2.0));
        assertEquals(0x0000, h(0.0));
        assertEquals(0x8000, h(-0.0));
        assertEquals(0x7bff, h(65504));
        assertEquals(0x7bff, h(65519.99));
        assertEquals(0x7c00, h(65520)); // the tie above the largest half rounds to even: infinity
        assertEquals(0x7c00, h(1e10));
        assertEquals(0xfc00, h(Double.NEGATIVE_INFINITY));
        assertEquals(0x7c00, h(Double.POSITIVE_INFINITY));
        assertEquals(0x7e00, h(Double.NaN));
        assertEquals(0x2e66, h(0.1));
        assertEquals(0x3555, h(1.0 / 3));
        assertEquals(0x0400, h(0x1p-14)); // smallest normal
        assertEquals(0x03ff, h(0x1p-14 - 0x1p-24)); // largest subnormal
        assertEquals(0x0001, h(0x1p-24)); // smallest subnormal
        assertEquals(0x0000, h(0x1p-25)); // tie between 0 and the smallest subnormal: even is 0
        assertEquals(0x0001, h(0x1p-25 * 1.0000001));
        assertEquals(0x0002, h(0x1p-24 * 1.5)); // tie 1.5 quanta: to even (2)
        assertEquals(0x3c00, h(1 + 0x1p-11)); // tie: to even (1.0)
        assertEquals(0x3c02, h(1 + 3 * 0x1p-11)); // tie: to even (1 + 2^-9)
        // rounding through float would give the tie 1 + 2^-11 and then 1.0: one rounding gives 1 + 2^-10
        assertEquals(0x3c01, h(1 + 0x1p-11 + 0x1p-40));
        assertEquals(0x0000, h(Double.MIN_VALUE));

        assertEquals(1.0f, Float16.toFloat((short) 0x3c00));
        assertEquals(65504f, Float16.toFloat((short) 0x7bff));
        assertEquals(0x1p-24f, Float16.toFloat((short) 0x0001));
        assertEquals(-0x1p-14f, Float16.toFloat((short) 0x8400));
        assertEquals(Float.POSITIVE_INFINITY, Float16.toFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.toFloat((short) 0xfc00));
        assertTrue(Float.isNaN(Float16.toFloat((short) 0x7e00)));
        assertTrue(Float.isNaN(Float16.toFloat((short) 0x7c01)));
        assertEquals(0x80000000, Float.floatToRawIntBits(Float16.toFloat((short) 0x8000)));
        assertEquals(0.0999755859375f, Float16.toFloat((short) 0x2e66));
    }

    @Test
    void everyHalfRoundTrips() {
        for (int b = 0; b < 0x10000; b++) {
            float f = Float16.toFloat((short) b);
            int back = Float16.fromFloat(f) & 0xffff;
            if (Float.isNaN(f)) {
                assertTrue((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0, "NaN stays NaN: " + b);
            } else {
                assertEquals(b, back, "half 0x" + Integer.toHexString(b));
            }
        }
    }

    /** Against a reference that searches the sorted finite halves for the nearest (ties to even). */
    @Test
    void randomDoublesRoundToNearestEven() {
        double[] pos = new double[0x7c00];
        for (int b = 0; b < 0x7c00; b++) {
            pos[b] = Float16.toFloat((short) b); // increasing with b
        }
        SplittableRandom rnd = new SplittableRandom(42);
        for (int k = 0; k < 200_000; k++) {
            double d = switch (k % 3) {
                case 0 -> rnd.nextDouble(-70000, 70000);
                case 1 -> rnd.nextDouble(-1, 1) * Math.pow(2, -rnd.nextInt(30));
                // exact ties and near-ties between neighbouring halves
                default -> {
                    int b = rnd.nextInt(0x7bff);
                    double mid = (pos[b] + pos[b + 1]) / 2;
                    yield mid + (rnd.nextInt(3) - 1) * Math.ulp(mid);
                }
            };
            assertEquals(reference(pos, d), h(d), "value " + d);
        }
    }

    private static int reference(double[] pos, double d) {
        int sign = d < 0 || (d == 0 && 1 / d < 0) ? 0x8000 : 0;
        double a = Math.abs(d);
        if (a >= 65520) {
            return sign | 0x7c00;
        }
        if (a > 65504) {
            return sign | 0x7bff;
        }
        int i = Arrays.binarySearch(pos, a);
        if (i >= 0) {
            return sign | i;
        }
        int hi = -i - 1;
        int lo = hi - 1;
        double dl = a - pos[lo];
        double dh = pos[hi] - a;
        int pick = dl < dh ? lo : dh < dl ? hi : ((lo & 1) == 0 ? lo : hi);
        return sign | pick;
    }
}
