package jvalkka.sgn;

/**
 * The pad inside every element, named {@code "<element>:inl:inl"}, that runs
 * {@link Element#internal()} after all of the element's sink pads and before all of its source
 * pads. It is never linked; it appears in {@link Pipeline#nodes(boolean, boolean)} with
 * {@code intra} set and in error messages about {@code internal()}.
 */
public final class InternalPad extends Pad {
    InternalPad(Element element) {
        super(element, "inl", "inl", 0);
        linked = true; // nothing to link: never reported as unlinked
    }
}
