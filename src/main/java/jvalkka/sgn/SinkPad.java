package jvalkka.sgn;

import java.util.Objects;

/**
 * An input of a {@link TransformElement} or {@link SinkElement}. It links to exactly one
 * {@link SourcePad} ({@link #other()}); each loop it takes that pad's frame and hands it to the
 * element's {@code pull(pad, frame)}. It also holds the stream's {@link DataSpec}: the spec of the
 * first frame received, which every later frame must match.
 */
public final class SinkPad extends Pad {
    SourcePad other;
    Frame input;
    private boolean specKnown;
    private DataSpec dataSpec;

    SinkPad(Element element, String padName, int index) {
        super(element, padName, "snk", index);
    }

    /**
     * The source pad this pad is linked to, or {@code null} before linking.
     *
     * @return the source pad this pad is linked to, or {@code null} before linking
     */
    public SourcePad other() {
        return other;
    }

    /**
     * The frame received in the current (or last) loop; {@code null} before the first.
     *
     * @return the frame received in the current (or last) loop; {@code null} before the first
     */
    public Frame input() {
        return input;
    }

    /**
     * The data spec of the first frame received, {@code null} if none (yet).
     *
     * @return the data spec of the first frame received, {@code null} if none (yet)
     */
    public DataSpec dataSpec() {
        return dataSpec;
    }

    /** Records the first spec; throws if a later frame's spec differs. */
    void checkSpec(Frame frame) {
        DataSpec spec = frame.spec();
        if (!specKnown) {
            dataSpec = spec;
            specKnown = true;
        } else if (spec != dataSpec && !Objects.equals(spec, dataSpec)) {
            throw new IllegalStateException("frame received by " + name()
                    + " is inconsistent with previously received frames: previous data spec "
                    + dataSpec + ", current data spec " + spec);
        }
    }
}
