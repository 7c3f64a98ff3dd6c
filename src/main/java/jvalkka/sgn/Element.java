package jvalkka.sgn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the three element kinds share (SGN's {@code ElementLike}): a name, source and sink pads
 * looked up by short name through {@link #srcs()} and {@link #snks()}, and {@link #internal()}.
 * Do not extend this class directly: extend {@link SourceElement}, {@link TransformElement} or
 * {@link SinkElement}.
 *
 * <p>Names: an element's name must be unique within a pipeline; when none is given (null or
 * empty) a unique one is generated from the class name, e.g. {@code "CollectSink-3"}. Names and
 * pad names must not contain {@code ':'}, which separates the parts of full pad names.
 *
 * <p>Threading: an element is driven by the one thread that runs its pipeline.
 */
public abstract class Element implements PadProvider {
    private static final AtomicLong GENERATED_NAMES = new AtomicLong();

    private final String name;
    private final SourcePad[] sourcePads;
    private final SinkPad[] sinkPads;
    private final InternalPad internalPad;
    private final Map<String, SourcePad> srcs;
    private final Map<String, SinkPad> snks;
    private transient Logger logger; // made on first use: a worker JVM restores elements without a constructor
    /** The composed element this one is inside, or null; set once by {@link Composition#attach}. */
    Element composedIn;

    Element(String name, List<String> sinkPadNames, List<String> sourcePadNames) {
        this(name, sinkPadNames, sourcePadNames, StaticPads.none());
    }

    /**
     * Makes the pads: the user's names first, then the class's static ones; see
     * {@link StaticPads} for the rules checked here.
     */
    Element(String name, List<String> sinkPadNames, List<String> sourcePadNames, StaticPads staticPads) {
        this.name = checkName(name == null || name.isEmpty() ? generatedName(getClass()) : name, "element name");
        if (staticPads == null) {
            throw new IllegalArgumentException("element '" + this.name + "': staticPads is null; pass StaticPads.none()"
                    + " for none");
        }
        List<String> sinkNames = withStaticPads(sinkPadNames, staticPads.sinkPads(),
                staticPads.allowDynamicSinkPads(), !(this instanceof SourceElement), "sink");
        List<String> sourceNames = withStaticPads(sourcePadNames, staticPads.sourcePads(),
                staticPads.allowDynamicSourcePads(), !(this instanceof SinkElement), "source");
        this.sinkPads = new SinkPad[sinkNames.size()];
        LinkedHashMap<String, SinkPad> snkMap = new LinkedHashMap<>();
        for (int i = 0; i < sinkPads.length; i++) {
            String padName = checkName(sinkNames.get(i), "sink pad name");
            SinkPad pad = new SinkPad(this, padName, i);
            if (snkMap.put(padName, pad) != null) {
                throw new IllegalArgumentException("duplicate sink pad name '" + padName + "' on element '"
                        + this.name + "': pad names must be unique per element");
            }
            sinkPads[i] = pad;
        }
        this.sourcePads = new SourcePad[sourceNames.size()];
        LinkedHashMap<String, SourcePad> srcMap = new LinkedHashMap<>();
        for (int i = 0; i < sourcePads.length; i++) {
            String padName = checkName(sourceNames.get(i), "source pad name");
            SourcePad pad = new SourcePad(this, padName, i);
            if (srcMap.put(padName, pad) != null) {
                throw new IllegalArgumentException("duplicate source pad name '" + padName + "' on element '"
                        + this.name + "': pad names must be unique per element");
            }
            sourcePads[i] = pad;
        }
        this.srcs = Collections.unmodifiableMap(srcMap);
        this.snks = Collections.unmodifiableMap(snkMap);
        this.internalPad = new InternalPad(this);
    }

    /** The user's pad names of one kind followed by the static ones, after checking the rules. */
    private List<String> withStaticPads(List<String> userNames, List<String> staticNames, boolean allowDynamic,
            boolean kindAllowed, String kind) {
        String flag = "allowDynamic" + (kind.equals("sink") ? "Sink" : "Source") + "Pads";
        if (!kindAllowed) {
            if (!staticNames.isEmpty()) {
                throw new IllegalArgumentException("element '" + name + "' (" + getClass().getName() + ") declares static "
                        + kind + " pads " + staticNames + ", but a " + (kind.equals("sink") ? "SourceElement" : "SinkElement")
                        + " has no " + kind + " pads");
            }
            return userNames;
        }
        if (!allowDynamic && staticNames.isEmpty()) {
            throw new IllegalArgumentException("element '" + name + "' (" + getClass().getName() + ") has " + flag
                    + "=false but does not define static " + kind + " pads; elements must have at least one way to"
                    + " provide pads");
        }
        if (!allowDynamic && !userNames.isEmpty()) {
            throw new IllegalArgumentException("element '" + name + "' has " + flag + "=false: cannot specify " + kind
                    + " pad names (got " + userNames + "); its " + kind + " pads are always " + staticNames);
        }
        if (staticNames.isEmpty()) {
            return userNames;
        }
        List<String> all = new ArrayList<>(userNames);
        all.addAll(staticNames);
        return all;
    }

    private static String generatedName(Class<?> type) {
        String simple = type.getSimpleName();
        return (simple.isEmpty() ? "element" : simple) + "-" + GENERATED_NAMES.incrementAndGet();
    }

    private String checkName(String value, String what) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("empty " + what + (name == null ? "" : " on element '" + name + "'"));
        }
        if (value.indexOf(':') >= 0) {
            throw new IllegalArgumentException(what + " '" + value + "' contains ':', which separates the parts"
                    + " of full pad names");
        }
        return value;
    }

    /**
     * This element's name, unique within a pipeline.
     *
     * @return this element's name, unique within a pipeline
     */
    public final String name() {
        return name;
    }

    /** Source pads by short name, in the order given; empty for a sink element. Unmodifiable. */
    @Override
    public final Map<String, SourcePad> srcs() {
        return srcs;
    }

    /** Sink pads by short name, in the order given; empty for a source element. Unmodifiable. */
    @Override
    public final Map<String, SinkPad> snks() {
        return snks;
    }

    /** This element alone. */
    @Override
    public final List<Element> elements() {
        return List.of(this);
    }

    /**
     * The source pad with short name {@code padName}; throws naming the known pads if none.
     *
     * @param padName the pad's name
     * @return the source pad with short name {@code padName}; throws naming the known pads if none
     */
    public final SourcePad srcPad(String padName) {
        SourcePad pad = srcs.get(padName);
        if (pad == null) {
            throw new IllegalArgumentException("element '" + name + "' has no source pad '" + padName
                    + "'; its source pads are " + srcs.keySet());
        }
        return pad;
    }

    /**
     * The sink pad with short name {@code padName}; throws naming the known pads if none.
     *
     * @param padName the pad's name
     * @return the sink pad with short name {@code padName}; throws naming the known pads if none
     */
    public final SinkPad snkPad(String padName) {
        SinkPad pad = snks.get(padName);
        if (pad == null) {
            throw new IllegalArgumentException("element '" + name + "' has no sink pad '" + padName
                    + "'; its sink pads are " + snks.keySet());
        }
        return pad;
    }

    /**
     * This element's logger, {@code "sgn.<element name>"} as in SGN: its level follows the
     * {@code "sgn"} logger unless set for the element, e.g. {@code SGNLOGLEVEL="myelement:DEBUG"}
     * (see {@link jvalkka.log.LogConfig}). Works in a worker JVM too.
     *
     * @return this element's logger, {@code "sgn.<element name>"} as in SGN: its level follows the {@code "sgn"} logger unless set for the element, e.g
     */
    public final Logger logger() {
        Logger l = logger;
        if (l == null) {
            l = LoggerFactory.getLogger("sgn." + name);
            logger = l;
        }
        return l;
    }

    /**
     * The source pads in order, as a new list.
     *
     * @return the source pads in order, as a new list
     */
    public final List<SourcePad> sourcePads() {
        return List.of(sourcePads);
    }

    /**
     * The sink pads in order, as a new list.
     *
     * @return the sink pads in order, as a new list
     */
    public final List<SinkPad> sinkPads() {
        return List.of(sinkPads);
    }

    /**
     * The source pad names in order: the user's, then the class's static ones ({@link StaticPads}).
     *
     * @return the source pad names in order: the user's, then the class's static ones ({@link StaticPads})
     */
    public final List<String> sourcePadNames() {
        return List.copyOf(srcs.keySet());
    }

    /**
     * The sink pad names in order: the user's, then the class's static ones ({@link StaticPads}).
     *
     * @return the sink pad names in order: the user's, then the class's static ones ({@link StaticPads})
     */
    public final List<String> sinkPadNames() {
        return List.copyOf(snks.keySet());
    }

    /**
     * The pad that runs {@link #internal()}.
     *
     * @return the pad that runs {@link #internal()}
     */
    public final InternalPad internalPad() {
        return internalPad;
    }

    final SourcePad[] sourcePadArray() {
        return sourcePads;
    }

    final SinkPad[] sinkPadArray() {
        return sinkPads;
    }

    /**
     * Every pad a pipeline must register for this element (SGN's {@code pad_list}): its sink,
     * source and internal pads; a composed element adds its inner elements' pads.
     */
    List<Pad> allPads() {
        List<Pad> all = new ArrayList<>(sinkPads.length + sourcePads.length + 1);
        all.addAll(List.of(sinkPads));
        all.addAll(List.of(sourcePads));
        all.add(internalPad);
        Composition c = composition();
        return c == null ? all : c.allPads(all);
    }

    /** The inside of a composed element; null for any other element. */
    Composition composition() {
        return null;
    }

    /**
     * Reports this element's part of the execution graph (SGN's {@code element.graph}), each
     * edge as {@code (before, after)}: each link (linked source pad, sink pad), each sink pad
     * before the internal pad, the internal pad before each source pad. A composed element adds
     * its inner graph.
     */
    void forEachEdge(BiConsumer<Pad, Pad> edge) {
        for (SinkPad sink : sinkPads) {
            if (sink.other != null) {
                edge.accept(sink.other, sink);
            }
            edge.accept(sink, internalPad);
        }
        for (SourcePad src : sourcePads) {
            edge.accept(internalPad, src);
        }
        Composition c = composition();
        if (c != null) {
            c.forEachEdge(edge);
        }
    }

    /**
     * Called once per loop after every sink pad of this element has been pulled and before any of
     * its source pads makes a new frame. Does nothing unless overridden.
     *
     * @throws Exception stops the run; the pipeline reports it against {@code <element>:inl:inl}
     */
    public void internal() throws Exception {
    }

    /** Runs {@code newFrame(pad)}: only source and transform elements have source pads. */
    abstract Frame produce(SourcePad pad) throws Exception;

    /** Runs {@code pull(pad, frame)}: only transform and sink elements have sink pads. */
    abstract void consume(SinkPad pad, Frame frame) throws Exception;

    /** {@code "<ClassName>(<name>)"}. */
    @Override
    public String toString() {
        String simple = getClass().getSimpleName();
        return (simple.isEmpty() ? "Element" : simple) + "(" + name + ")";
    }
}
