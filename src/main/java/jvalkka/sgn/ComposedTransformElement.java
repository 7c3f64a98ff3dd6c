package jvalkka.sgn;

import java.util.List;

/**
 * A transform made of a subgraph of transforms (SGN's {@code ComposedTransformElement}). Its
 * sink pads are the inner sink pads not linked inside, its source pads the inner source pads
 * not linked inside, under their short names. Made with {@link Compose#asTransform(String)}.
 *
 * <p>It runs nothing itself: each frame it receives goes to the inner sink pad behind the
 * receiving pad, a pipeline schedules the inner elements' pads in its own topological order,
 * and each source pad hands on the frame its inner pad made in the same loop.
 */
public final class ComposedTransformElement extends TransformElement {
    private final Composition composition;

    /**
     * A composed transform of {@code internalElements}, already linked to each other.
     *
     * @param name             unique element name, or null/empty for a generated one
     * @param internalElements the inner elements, all transforms
     * @throws IllegalArgumentException for no elements, a source or sink among them, an element
     *     already composed elsewhere, or two unlinked inner pads of a kind with the same short name
     */
    public ComposedTransformElement(String name, List<? extends Element> internalElements) {
        this(name, Composition.of(Composition.Kind.TRANSFORM, List.copyOf(internalElements), List.of()));
    }

    private ComposedTransformElement(String name, Composition composition) {
        super(name, composition.sinkPadNames(), composition.sourcePadNames());
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

    /** Hands {@code frame} to the inner sink pad behind {@code pad}. */
    @Override
    public void pull(SinkPad pad, Frame frame) {
        composition.inject(pad, frame);
    }

    /** The frame the inner pad behind {@code pad} made in this loop. */
    @Override
    public Frame newFrame(SourcePad pad) {
        return composition.output(pad);
    }

    @Override
    Composition composition() {
        return composition;
    }
}
