package jvalkka.sgn;

/**
 * A named connection point of an element. Its full {@link #name()} is
 * {@code "<element>:<type>:<pad>"} where type is {@code src}, {@code snk} or {@code inl}
 * (the internal pad that runs {@link Element#internal()}), and {@link #padName()} is the short
 * {@code <pad>} part used in {@code srcs}/{@code snks} look-ups and implicit linking.
 *
 * <p>Pads are created by their element and never outlive it; identity is equality. Not
 * thread-safe: a pipeline's pads are read and written by the thread that runs it.
 */
public abstract sealed class Pad permits SourcePad, SinkPad, InternalPad {
    private final Element element;
    private final String padName;
    private final String name;
    private final int index;
    boolean linked;

    Pad(Element element, String padName, String type, int index) {
        this.element = element;
        this.padName = padName;
        this.name = element.name() + ":" + type + ":" + padName;
        this.index = index;
    }

    /**
     * The full, pipeline-unique name {@code "<element>:<type>:<pad>"}.
     *
     * @return the full, pipeline-unique name {@code "<element>:<type>:<pad>"}
     */
    public final String name() {
        return name;
    }

    /**
     * The short name, unique among this element's pads of the same type.
     *
     * @return the short name, unique among this element's pads of the same type
     */
    public final String padName() {
        return padName;
    }

    /**
     * The element that owns this pad.
     *
     * @return the element that owns this pad
     */
    public final Element element() {
        return element;
    }

    /**
     * This pad's position among its element's pads of the same type (0, 1, ...), in the order the
     * pad names were given: handy for per-pad state in arrays instead of maps.
     *
     * @return this pad's position among its element's pads of the same type (0, 1, ...), in the order the pad names were given: handy for per-pad state in arrays instead of maps
     */
    public final int index() {
        return index;
    }

    /**
     * Whether a link has been made to or from this pad.
     *
     * @return whether a link has been made to or from this pad
     */
    public final boolean isLinked() {
        return linked;
    }

    /** The full name. */
    @Override
    public final String toString() {
        return name;
    }
}
