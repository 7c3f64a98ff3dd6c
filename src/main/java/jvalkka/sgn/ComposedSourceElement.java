package jvalkka.sgn;

import java.util.List;

/**
 * A source made of a subgraph (SGN's {@code ComposedSourceElement}): one or more source elements,
 * optionally with transforms, and no sink. Its source pads are the inner source pads not linked
 * inside the subgraph, under their short names. Made with {@link Compose#asSource(String)}.
 *
 * <p>It runs nothing itself: a pipeline schedules the inner elements' pads in its own
 * topological order, and each source pad of this element hands on the frame its inner pad made
 * in the same loop. The inner elements keep their names and pads ({@code "<inner>:src:<pad>"}),
 * which must not clash with other pads in the pipeline.
 */
public final class ComposedSourceElement extends SourceElement {
    private final Composition composition;

    /**
     * A composed source of {@code internalElements}, already linked to each other.
     *
     * @param name                 unique element name, or null/empty for a generated one
     * @param internalElements     the inner elements; at least one source, no sink
     * @param alsoExposeSourcePads full names of inner source pads to expose even though they are
     *                             linked inside (a source feeding an inner element and the outside)
     * @throws IllegalArgumentException for no elements, no source, a sink among them, an element
     *     already composed elsewhere, or two unlinked inner source pads with the same short name
     */
    public ComposedSourceElement(String name, List<? extends Element> internalElements,
            List<String> alsoExposeSourcePads) {
        this(name, Composition.of(Composition.Kind.SOURCE, List.copyOf(internalElements), List.copyOf(alsoExposeSourcePads)));
    }

    private ComposedSourceElement(String name, Composition composition) {
        super(name, composition.sourcePadNames());
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
