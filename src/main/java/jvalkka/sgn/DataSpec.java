package jvalkka.sgn;

/**
 * A description of the data carried by frames (for example a sample rate and a shape) that
 * must stay the same on a pad for the whole stream. A sink pad remembers the spec of the first
 * frame it receives and fails the run, naming the pad, when a later frame carries a spec that
 * is not {@link Object#equals equal}.
 *
 * <p>Implement it with a record so that equality is by value:
 * <pre>{@code record AudioSpec(int rate, int channels) implements DataSpec {}}</pre>
 * A frame without a spec has {@code null}, which only matches {@code null}.
 */
public interface DataSpec {
}
