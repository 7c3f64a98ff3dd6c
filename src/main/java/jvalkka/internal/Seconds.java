package jvalkka.internal;

import java.time.Duration;

/**
 * The one conversion from {@link Duration} to valkka's seconds as a {@code double},
 * behind every {@code Duration} overload of a method that takes seconds. Not part of
 * the API.
 */
public final class Seconds {
    private Seconds() {
    }

    /**
     * {@code timeout} in seconds, to the nanosecond, without overflow for any duration
     * (a negative one gives negative seconds, which the double forms read as theirs).
     *
     * @param timeout the duration
     * @return its length in seconds
     * @throws NullPointerException when {@code timeout} is null, naming it
     */
    public static double of(Duration timeout) {
        if (timeout == null) {
            throw new NullPointerException("timeout is null");
        }
        return timeout.getSeconds() + timeout.getNano() / 1e9;
    }
}
