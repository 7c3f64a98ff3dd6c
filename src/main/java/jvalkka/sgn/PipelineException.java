package jvalkka.sgn;

/**
 * An element failed while the pipeline ran. The message names the pad whose call failed
 * ({@code "<element>:src:<pad>"} for {@code newFrame}, {@code ":snk:"} for {@code pull},
 * {@code ":inl:inl"} for {@code internal()}) and the loop number; {@link #getCause()} is the
 * original exception.
 */
public final class PipelineException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The pad being served when it failed. */
    private final String padName;
    /** The loop in which it failed. */
    private final long loop;

    PipelineException(String padName, long loop, Throwable cause) {
        super("(from pad '" + padName + "', loop " + loop + "): " + cause, cause);
        this.padName = padName;
        this.loop = loop;
    }

    /**
     * The full name of the pad whose element call failed.
     *
     * @return the full name of the pad whose element call failed
     */
    public String padName() {
        return padName;
    }

    /**
     * The loop (1, 2, ...) in which it failed.
     *
     * @return the loop (1, 2, ...) in which it failed
     */
    public long loop() {
        return loop;
    }
}
