package jvalkka.sgn;

import java.util.List;
import java.util.Map;

/**
 * Builds one element out of a subgraph (SGN's {@code Compose}): insert, link and connect
 * elements as in a {@link Pipeline}, then turn the result into a source, transform or sink:
 * <pre>{@code
 * ComposedSourceElement doubled = new Compose()
 *         .connect(source, doubler)     // SGN's implicit linking rules, as Pipeline.connect
 *         .connect(doubler, offset)
 *         .asSource("doubled");
 * pipeline.connect(doubled, sink);      // used like any other source
 * }</pre>
 * The inner pads left unlinked become the composed element's pads, under their short names.
 * The composed element runs nothing itself: the pipeline it is inserted in schedules the inner
 * elements with all others, in one topological order per loop. A composed sink is at EOS when
 * every inner sink is.
 *
 * <ul>
 * <li>{@link #asSource}: at least one {@link SourceElement}, no {@link SinkElement};</li>
 * <li>{@link #asTransform}: only {@link TransformElement}s;</li>
 * <li>{@link #asSink}: at least one {@link SinkElement}, no {@link SourceElement}.</li>
 * </ul>
 * Composed elements may be composed again. A {@code Compose} makes one composed element; an
 * element belongs to at most one composition. Not thread-safe.
 */
public final class Compose {
    private final Pipeline graph = new Pipeline();
    private Element made;

    /** An empty composition. */
    public Compose() {
    }

    /**
     * A composition holding {@code first} (SGN's {@code Compose(element)}).
     *
     * @param first the first element of the composition
     */
    public Compose(Element first) {
        insert(first);
    }

    /**
     * Adds elements, as {@link Pipeline#insert(Element...)}.
     *
     * @param elements the elements to add, in order
     * @return this
     */
    public Compose insert(Element... elements) {
        open().insert(elements);
        return this;
    }

    /**
     * Adds elements, then links {@code linkMap}, as {@link Pipeline#insert(Map, Element...)}.
     *
     * @param linkMap the links: each sink pad to the source pad that feeds it
     * @param elements the elements to add, in order
     * @return this
     */
    public Compose insert(Map<?, ?> linkMap, Element... elements) {
        open().insert(linkMap, elements);
        return this;
    }

    /**
     * Links pads (sink pad → source pad), as {@link Pipeline#link(Map)}.
     *
     * @param linkMap the links: each sink pad to the source pad that feeds it
     * @return this
     */
    public Compose link(Map<?, ?> linkMap) {
        open().link(linkMap);
        return this;
    }

    /**
     * Connects by SGN's implicit rules, inserting what is missing, as {@link Pipeline#connect(PadProvider, PadProvider)}.
     *
     * @param source the element (or composition) whose source pads feed
     * @param sink the element (or composition) whose sink pads are fed
     * @return this
     */
    public Compose connect(PadProvider source, PadProvider sink) {
        open().connect(source, sink);
        return this;
    }

    /**
     * Connects with an explicit map of short names (sink → source), as {@link Pipeline#connect(PadProvider, PadProvider, Map)}.
     *
     * @param source the element (or composition) whose source pads feed
     * @param sink the element (or composition) whose sink pads are fed
     * @param linkMap the links: each sink pad to the source pad that feeds it
     * @return this
     */
    public Compose connect(PadProvider source, PadProvider sink, Map<String, String> linkMap) {
        open().connect(source, sink, linkMap);
        return this;
    }

    /**
     * The elements inserted so far, in order.
     *
     * @return the elements inserted so far, in order
     */
    public List<Element> elements() {
        return graph.elements();
    }

    /**
     * {@link #asSource(String)} with a generated name.
     *
     * @return the composed source element
     */
    public ComposedSourceElement asSource() {
        return asSource(null);
    }

    /**
     * The composition as a source element.
     *
     * @throws IllegalArgumentException for an empty composition, one without a source element or
     *     with a sink element; see {@link ComposedSourceElement}
     * @param name the name
     * @return the composition as a source element
     */
    public ComposedSourceElement asSource(String name) {
        return asSource(name, List.of());
    }

    /**
     * As {@link #asSource(String)}, also exposing the inner source pads named (in full,
     * {@code "<element>:src:<pad>"}) in {@code alsoExposeSourcePads} although they are linked
     * inside: one inner source then feeds both an inner element and the outside.
     *
     * @param name the name
     * @param alsoExposeSourcePads source pads of inner elements to expose besides the unconnected ones
     * @return the composition as a source element
     */
    public ComposedSourceElement asSource(String name, List<String> alsoExposeSourcePads) {
        return made(new ComposedSourceElement(name, open().elements(), alsoExposeSourcePads));
    }

    /**
     * {@link #asTransform(String)} with a generated name.
     *
     * @return the composed transform element
     */
    public ComposedTransformElement asTransform() {
        return asTransform(null);
    }

    /**
     * The composition as a transform element.
     *
     * @throws IllegalArgumentException for an empty composition or one holding anything but
     *     transforms; see {@link ComposedTransformElement}
     * @param name the name
     * @return the composition as a transform element
     */
    public ComposedTransformElement asTransform(String name) {
        return made(new ComposedTransformElement(name, open().elements()));
    }

    /**
     * {@link #asSink(String)} with a generated name.
     *
     * @return the composed sink element
     */
    public ComposedSinkElement asSink() {
        return asSink(null);
    }

    /**
     * The composition as a sink element.
     *
     * @throws IllegalArgumentException for an empty composition, one without a sink element or
     *     with a source element; see {@link ComposedSinkElement}
     * @param name the name
     * @return the composition as a sink element
     */
    public ComposedSinkElement asSink(String name) {
        return made(new ComposedSinkElement(name, open().elements()));
    }

    private Pipeline open() {
        if (made != null) {
            throw new IllegalStateException("this Compose already made composed element '" + made.name()
                    + "'; start a new Compose for another");
        }
        return graph;
    }

    private <E extends Element> E made(E element) {
        made = element;
        return element;
    }

    @Override
    public String toString() {
        return "Compose" + graph.elements();
    }
}
