package jvalkka.sgn;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The inside of a composed element: its inner elements (already linked to each other), the
 * boundary pads (inner pads not linked inside, which become the composed element's pads) and,
 * for composed transforms and sinks, the virtual source pads through which the composed
 * element hands each frame it receives to the inner sink pad behind it.
 *
 * <p>The composed element does not run its inside itself: a pipeline registers the inner pads
 * ({@link Element#allPads()}) and schedules them with its own ({@link Element#forEachEdge}), so
 * the inner graph runs in the pipeline's one topological order, as in SGN.
 */
final class Composition {
    /** A virtual source pad's short name is this followed by the composed sink pad's (SGN's naming). */
    static final String VIRTUAL_PREFIX = "_vs_";

    enum Kind {
        SOURCE("ComposedSourceElement"), TRANSFORM("ComposedTransformElement"), SINK("ComposedSinkElement");

        final String className;

        Kind(String className) {
            this.className = className;
        }
    }

    final List<Element> inner;
    final Map<String, SourcePad> boundarySources;
    final Map<String, SinkPad> boundarySinks;
    final List<SinkElement> innerSinks;
    /** Composed sink pad name -> the virtual source pad feeding the inner boundary sink pad; set by {@link #attach}. */
    final Map<String, SourcePad> virtualSources = new LinkedHashMap<>();
    Element owner;
    /** By the composed element's pad index, for the per-frame hand-overs: no look-up by name. */
    private SourcePad[] boundaryByIndex;
    private SourcePad[] virtualByIndex;

    private Composition(List<Element> inner, Map<String, SourcePad> boundarySources, Map<String, SinkPad> boundarySinks,
            List<SinkElement> innerSinks) {
        this.inner = inner;
        this.boundarySources = boundarySources;
        this.boundarySinks = boundarySinks;
        this.innerSinks = innerSinks;
    }

    /**
     * Checks that {@code elements} may form a composed element of {@code kind} and finds the
     * boundary pads. {@code alsoExpose} names inner source pads (full names) to expose even though
     * they are linked inside (composed sources only).
     *
     * @throws IllegalArgumentException naming the problem
     */
    static Composition of(Kind kind, List<Element> elements, List<String> alsoExpose) {
        if (elements == null || elements.isEmpty()) {
            throw new IllegalArgumentException(kind.className + " requires at least one element; insert or connect"
                    + " elements in the Compose first");
        }
        List<Element> inner = List.copyOf(elements);
        Set<Element> members = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<SinkElement> sinks = checkMembers(kind, inner, members);
        Set<SourcePad> linkedInside = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, SinkPad> boundarySinks = boundarySinks(kind, inner, members, linkedInside);
        Map<String, SourcePad> boundarySources = boundarySources(kind, inner, linkedInside, alsoExpose);
        checkBoundaryFits(kind, boundarySources, boundarySinks);
        return new Composition(inner, boundarySources, boundarySinks, List.copyOf(sinks));
    }

    /**
     * Checks each inner element (given once, in no other composition, of a class that {@code kind}
     * may contain) and that {@code kind}'s required elements are there; adds them to {@code members}.
     *
     * @return the inner sink elements, in order
     */
    private static List<SinkElement> checkMembers(Kind kind, List<Element> inner, Set<Element> members) {
        List<SinkElement> sinks = new ArrayList<>();
        boolean hasSource = false;
        for (Element e : inner) {
            if (!members.add(e)) {
                throw new IllegalArgumentException(kind.className + ": element '" + e.name() + "' is given twice");
            }
            if (e.composedIn != null) {
                throw new IllegalArgumentException(kind.className + ": element '" + e.name() + "' is already inside"
                        + " composed element '" + e.composedIn.name() + "'; an element belongs to one composition");
            }
            checkKindMayContain(kind, e);
            hasSource |= e instanceof SourceElement;
            if (e instanceof SinkElement s) {
                sinks.add(s);
            }
        }
        if (kind == Kind.SOURCE && !hasSource) {
            throw new IllegalArgumentException("ComposedSourceElement requires at least one SourceElement, got "
                    + names(inner));
        }
        if (kind == Kind.SINK && sinks.isEmpty()) {
            throw new IllegalArgumentException("ComposedSinkElement requires at least one SinkElement, got "
                    + names(inner));
        }
        return sinks;
    }

    /** Throws unless a composed element of {@code kind} may contain {@code e}. */
    private static void checkKindMayContain(Kind kind, Element e) {
        switch (kind) {
            case SOURCE -> {
                if (e instanceof SinkElement) {
                    throw new IllegalArgumentException("ComposedSourceElement cannot contain SinkElement, got '"
                            + e.name() + "' (" + e.getClass().getSimpleName() + ")");
                }
            }
            case TRANSFORM -> {
                if (!(e instanceof TransformElement)) {
                    throw new IllegalArgumentException("Transform composition can only contain TransformElements,"
                            + " got '" + e.name() + "' (" + e.getClass().getSimpleName() + ")");
                }
            }
            case SINK -> {
                if (e instanceof SourceElement) {
                    throw new IllegalArgumentException("ComposedSinkElement cannot contain SourceElement, got '"
                            + e.name() + "' (" + e.getClass().getSimpleName() + ")");
                }
            }
        }
    }

    /**
     * The inner sink pads not linked (the composed element's sink pads), by short name; the inner
     * source pads that linked ones are linked to go into {@code linkedInside}. Throws for a sink
     * pad linked outside the composition.
     */
    private static Map<String, SinkPad> boundarySinks(Kind kind, List<Element> inner, Set<Element> members,
            Set<SourcePad> linkedInside) {
        Map<String, SinkPad> boundarySinks = new LinkedHashMap<>();
        for (Element e : inner) {
            for (SinkPad pad : e.sinkPadArray()) {
                if (pad.other == null) {
                    putUnique(boundarySinks, pad.padName(), pad, kind, "sink");
                } else if (!members.contains(pad.other.element())) {
                    throw new IllegalArgumentException(kind.className + ": sink pad " + pad + " is linked to " + pad.other
                            + ", which is not inside this composition; compose elements that are not linked elsewhere");
                } else {
                    linkedInside.add(pad.other);
                }
            }
        }
        return boundarySinks;
    }

    /**
     * The inner source pads not in {@code linkedInside}, then those {@code alsoExpose} names (full
     * names), by short name: the composed element's source pads.
     */
    private static Map<String, SourcePad> boundarySources(Kind kind, List<Element> inner, Set<SourcePad> linkedInside,
            List<String> alsoExpose) {
        Map<String, SourcePad> boundarySources = new LinkedHashMap<>();
        for (Element e : inner) {
            for (SourcePad pad : e.sourcePadArray()) {
                if (!linkedInside.contains(pad)) {
                    putUnique(boundarySources, pad.padName(), pad, kind, "source");
                }
            }
        }
        for (String full : alsoExpose) {
            SourcePad pad = innerSourcePad(kind, inner, full);
            if (boundarySources.get(pad.padName()) != pad) {
                putUnique(boundarySources, pad.padName(), pad, kind, "source");
            }
        }
        return boundarySources;
    }

    /** The inner source pad whose full name is {@code full} (the last if several); throws if none. */
    private static SourcePad innerSourcePad(Kind kind, List<Element> inner, String full) {
        SourcePad pad = null;
        for (Element e : inner) {
            for (SourcePad p : e.sourcePadArray()) {
                if (p.name().equals(full)) {
                    pad = p;
                }
            }
        }
        if (pad == null) {
            throw new IllegalArgumentException(kind.className + ": no inner source pad named '" + full
                    + "' to expose (full names look like '<element>:src:<pad>')");
        }
        return pad;
    }

    /** Throws when {@code kind} has no pads of its own for a boundary pad: a source's sink pads, a sink's source pads. */
    private static void checkBoundaryFits(Kind kind, Map<String, SourcePad> boundarySources,
            Map<String, SinkPad> boundarySinks) {
        if (kind == Kind.SOURCE && !boundarySinks.isEmpty()) {
            throw new IllegalArgumentException("ComposedSourceElement: inner sink pads " + boundarySinks.values()
                    + " are not linked inside the composition, and a composed source has no sink pads to feed them;"
                    + " link them inside");
        }
        if (kind == Kind.SINK) {
            for (SourcePad pad : boundarySources.values()) {
                throw new IllegalArgumentException("ComposedSinkElement: inner source pad " + pad + " is not linked inside"
                        + " the composition, and a composed sink has no source pads to take its frames; link it inside"
                        + " (to a NullSink, say)");
            }
        }
    }

    private static <P extends Pad> void putUnique(Map<String, P> map, String name, P pad, Kind kind, String type) {
        P before = map.putIfAbsent(name, pad);
        if (before != null) {
            throw new IllegalArgumentException(kind.className + ": the unlinked inner " + type + " pads " + before
                    + " and " + pad + " would both become the composed element's " + type + " pad '" + name
                    + "'; link one of them inside the composition, or give them distinct names");
        }
    }

    private static List<String> names(List<Element> elements) {
        List<String> out = new ArrayList<>();
        for (Element e : elements) {
            out.add(e.name() + " (" + e.getClass().getSimpleName() + ")");
        }
        return out;
    }

    /** The composed element's source pad names: the boundary source pads', in order. */
    List<String> sourcePadNames() {
        return List.copyOf(boundarySources.keySet());
    }

    /** The composed element's sink pad names: the boundary sink pads', in order. */
    List<String> sinkPadNames() {
        return List.copyOf(boundarySinks.keySet());
    }

    /**
     * Binds this composition to its composed element: marks the inner elements as taken and
     * links each boundary sink pad to a new virtual source pad of {@code composed}.
     */
    void attach(Element composed) {
        owner = composed;
        for (Element e : inner) {
            e.composedIn = composed;
        }
        int i = 0;
        for (Map.Entry<String, SinkPad> entry : boundarySinks.entrySet()) {
            SourcePad virtual = new SourcePad(composed, VIRTUAL_PREFIX + entry.getKey(), i++, true);
            SinkPad innerSink = entry.getValue();
            innerSink.other = virtual;
            innerSink.linked = true;
            virtual.linked = true;
            virtualSources.put(entry.getKey(), virtual);
        }
        // The composed element's pads were made from these maps' keys, in order: index i is entry i.
        virtualByIndex = virtualSources.values().toArray(new SourcePad[0]);
        boundaryByIndex = composed instanceof SinkElement ? new SourcePad[0]
                : boundarySources.values().toArray(new SourcePad[0]);
    }

    /** The composed element's own pads, then the virtual source pads, then every inner element's pads. */
    List<Pad> allPads(List<Pad> own) {
        List<Pad> all = new ArrayList<>(own);
        all.addAll(virtualSources.values());
        for (Element e : inner) {
            all.addAll(e.allPads());
        }
        return all;
    }

    /**
     * The inner graph and its ties to the composed element: composed sink pad before its virtual
     * source pad (whose link to the inner sink pad the inner edges report); for sources and
     * transforms, each boundary source pad before the composed internal pad; for sinks, each inner
     * sink's internal pad before the composed internal pad.
     */
    void forEachEdge(BiConsumer<Pad, Pad> edge) {
        for (Element e : inner) {
            e.forEachEdge(edge);
        }
        for (SinkPad own : owner.sinkPadArray()) {
            edge.accept(own, virtualSources.get(own.padName()));
        }
        if (owner instanceof SinkElement) {
            for (SinkElement sink : innerSinks) {
                edge.accept(sink.internalPad(), owner.internalPad());
            }
        } else {
            for (SourcePad boundary : boundarySources.values()) {
                edge.accept(boundary, owner.internalPad());
            }
        }
    }

    /** The frame the inner boundary pad behind {@code pad} made this loop. */
    Frame output(SourcePad pad) {
        SourcePad boundary = boundaryByIndex[pad.index()];
        Frame frame = boundary.output;
        if (frame == null) {
            throw new IllegalStateException("inner pad " + boundary + " has no output");
        }
        return frame;
    }

    /** Hands {@code frame}, received on the composed sink pad {@code pad}, to the inner sink pad behind it. */
    void inject(SinkPad pad, Frame frame) {
        virtualByIndex[pad.index()].output = frame;
    }
}
