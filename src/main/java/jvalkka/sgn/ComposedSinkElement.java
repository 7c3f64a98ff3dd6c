package jvalkka.sgn;

import java.util.List;

/**
 * A sink made of a subgraph (SGN's {@code ComposedSinkElement}): one or more sink elements,
 * optionally with transforms, and no source. Its sink pads are the inner sink pads not linked
 * inside, under their short names. Made with {@link Compose#asSink(String)}.
 *
 * <p>It runs nothing itself: each frame it receives goes to the inner sink pad behind the
 * receiving pad, and a pipeline schedules the inner elements' pads in its own topological
 * order. It is {@link #atEos() at EOS} when every inner sink element is.
 */
public final class ComposedSinkElement extends SinkElement {
    private final Composition composition;

    /**
     * A composed sink of {@code internalElements}, already linked to each other.
     *
     * @param name             unique element name, or null/empty for a generated one
     * @param internalElements the inner elements; at least one sink, no source
     * @throws IllegalArgumentException for no elements, no sink, a source among them, an element
     *     already composed elsewhere, or two unlinked inner sink pads with the same short name
     */
    public ComposedSinkElement(String name, List<? extends Element> internalElements) {
        this(name, Composition.of(Composition.Kind.SINK, List.copyOf(internalElements), List.of()));
    }

    private ComposedSinkElement(String name, Composition composition) {
        super(name, composition.sinkPadNames());
        this.composition = composition;
        composition.attach(this);
    }

    /**
     * The inner elements, in the order they were inserted (SGN's {@code internal_elements}).
     *
     * @return the inner elements, in the order they were inserted (SGN's {@code internal_elements})
     */
    public List<Element> internalElements() {
        return composition.inner;
    }

    /** Hands {@code frame} to the inner sink pad behind {@code pad}; marks {@code pad} EOS on an EOS frame. */
    @Override
    public void pull(SinkPad pad, Frame frame) {
        composition.inject(pad, frame);
        if (frame.isEOS()) {
            markEos(pad);
        }
    }

    /** Whether every inner sink element is at EOS. */
    @Override
    public boolean atEos() {
        for (SinkElement sink : composition.innerSinks) {
            if (!sink.atEos()) {
                return false;
            }
        }
        return true;
    }

    @Override
    Composition composition() {
        return composition;
    }
}
