package jvalkka.tutorial;

import java.math.BigInteger;
import java.util.SplittableRandom;

/**
 * The article's {@code cal_pow(base, exponent)}: {@code base ** exponent} after
 * a busy loop that runs either a few times or millions of times, so that item
 * costs vary by a factor of a million. The choice is random but seeded by the
 * arguments, so a run is repeatable and 1-worker and 2-worker runs do the same
 * work. Used by the ProcessQueue tutorial steps and by {@code scripts/bench processqueue}.
 */
public final class CalPow {
    private CalPow() {
    }

    /**
     * {@code base ** exponent}: exact ({@link BigInteger}) for {@code exponent >= 0},
     * a {@code double} otherwise, as Python's {@code **} gives an int or a float.
     */
    public static Number calPow(long base, int exponent) {
        busy(loops(base, exponent));
        return exponent >= 0 ? BigInteger.valueOf(base).pow(exponent) : Math.pow(base, exponent);
    }

    /** How many times {@code calPow(base, exponent)} loops: 1..10 or 1e6..1e7, half and half. */
    public static long loops(long base, int exponent) {
        SplittableRandom random = new SplittableRandom(base * 0x9E3779B97F4A7C15L + exponent);
        return random.nextBoolean() ? random.nextLong(1_000_000, 10_000_001) : random.nextLong(1, 11);
    }

    /** Loops {@code n} times in a way the JIT cannot skip (each turn depends on the last; the result is used). */
    public static long busy(long n) {
        long x = 0x2545F4914F6CDD1DL ^ n;
        for (long i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        if (x == 42) {
            System.out.print(""); // practically never; it makes x observable
        }
        return x;
    }
}
