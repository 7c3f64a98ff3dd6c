package jvalkka.sgn;

import java.util.List;

/**
 * A run with a limit ({@link Pipeline#run(java.time.Duration)}, {@link Pipeline#run(java.time.Duration, long)})
 * reached it before every sink element was at EOS: typically a source that never sends EOS. The
 * pipeline stopped between two loops; it can be run again.
 */
public final class RunLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The loops run when the limit was reached. */
    private final long loops;
    /** The sinks not at end of stream when the limit was reached. */
    private final List<String> sinksNotAtEos;

    RunLimitException(String limit, long loops, long loopsThisRun, List<String> sinksNotAtEos) {
        super("the pipeline did not reach EOS within " + limit + " (" + loopsThisRun + " loops this run); sinks not at"
                + " EOS: " + sinksNotAtEos + ". A source that never sends EOS needs a condition that ends it (a count,"
                + " SignalEOS.signaledEos() for Ctrl+C); or raise the limit");
        this.loops = loops;
        this.sinksNotAtEos = List.copyOf(sinksNotAtEos);
    }

    /**
     * {@link Pipeline#loops()} when the limit was reached.
     *
     * @return the loops the pipeline had run when the limit was reached
     */
    public long loops() {
        return loops;
    }

    /**
     * The names of the sink elements that were not at EOS.
     *
     * @return the names of the sink elements that were not at EOS
     */
    public List<String> sinksNotAtEos() {
        return sinksNotAtEos;
    }
}
