package jvalkka.shm;

/**
 * IEEE 754 binary16 ("half", numpy's {@code float16}) conversions, written out
 * because Java 17 has no {@code Float.float16ToFloat}.
 *
 * <p>Conversions to half round to nearest, ties to even, directly from the
 * {@code double} (rounding through {@code float} first would round twice and
 * get some values wrong). Subnormals, signed zeros, infinities and NaN are
 * handled; a NaN keeps its top payload bits and is made quiet, as numpy does.
 * Stateless and thread-safe.
 */
public final class Float16 {
    /** The largest finite half, 65504. */
    public static final float MAX_VALUE = 65504f;
    /** The smallest positive normal half, 2^-14. */
    public static final float MIN_NORMAL = 0x1p-14f;
    /** The smallest positive subnormal half, 2^-24. */
    public static final float MIN_VALUE = 0x1p-24f;

    private Float16() {
    }

    /**
     * The value of the half whose bits are {@code h} (exact: every half is a float).
     *
     * @param h the half-precision bits
     * @return the float it stands for
     */
    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exact in float
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /**
     * The half nearest to {@code f} (ties to even).
     *
     * @param f the value
     * @return the nearest half, as its bits
     */
    public static short fromFloat(float f) {
        return fromDouble(f); // float to double is exact, so this rounds once
    }

    /**
     * The half nearest to {@code d} (ties to even), rounded once from the double.
     *
     * @param d the duration
     * @return the half nearest to {@code d} (ties to even), rounded once from the double
     */
    public static short fromDouble(double d) {
        long bits = Double.doubleToRawLongBits(d);
        int sign = (int) (bits >>> 48) & 0x8000;
        int exp = (int) (bits >>> 52) & 0x7ff;
        long mant = bits & 0xF_FFFF_FFFF_FFFFL;
        if (exp == 0x7ff) {
            if (mant == 0) {
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | 0x7e00 | (int) (mant >>> 42)); // quiet NaN with the top payload bits
        }
        if (exp == 0) {
            return (short) sign; // zero or a double subnormal: far below half's smallest subnormal
        }
        int e = exp - 1023; // unbiased
        if (e > 15) {
            return (short) (sign | 0x7c00);
        }
        long m = mant | (1L << 52); // 53 significant bits
        // bits to drop: 42 keeps 11 (hidden + 10) for a normal; more for a subnormal,
        // whose quantum is fixed at 2^-24
        int shift = e >= -14 ? 42 : 42 + (-14 - e);
        if (shift > 53) {
            return (short) sign; // below half of the smallest subnormal
        }
        long q = m >>> shift;
        long rem = m & ((1L << shift) - 1);
        long half = 1L << (shift - 1);
        if (rem > half || (rem == half && (q & 1) != 0)) {
            q++;
        }
        if (e < -14) {
            // subnormal; a carry to 0x400 is exactly the smallest normal's encoding
            return (short) (sign | (int) q);
        }
        // normal: q in [0x400, 0x800]; a carry out of the mantissa bumps the exponent,
        // and a carry out of exponent 30 lands on 0x7c00, which is infinity
        int r = ((e + 15) << 10) + (int) q - 0x400;
        return (short) (sign | r);
    }
}
