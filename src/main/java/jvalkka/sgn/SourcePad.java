package jvalkka.sgn;

/**
 * An output of a {@link SourceElement} or {@link TransformElement}. Each loop the pipeline asks
 * the element for a frame ({@code newFrame(pad)}) and keeps it as this pad's {@link #output()}
 * for every linked sink pad to read. A source pad may feed any number of sink pads.
 */
public final class SourcePad extends Pad {
    Frame output;
    /** Set by its composed element's {@code pull}, never produced: a pipeline schedules it but does not call it. */
    final boolean virtual;

    SourcePad(Element element, String padName, int index) {
        this(element, padName, index, false);
    }

    SourcePad(Element element, String padName, int index, boolean virtual) {
        super(element, padName, "src", index);
        this.virtual = virtual;
    }

    /**
     * The frame produced in the current (or last) loop; {@code null} before the first.
     *
     * @return the frame produced in the current (or last) loop; {@code null} before the first
     */
    public Frame output() {
        return output;
    }
}
