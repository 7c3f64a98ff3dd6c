package jvalkka.sgn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
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

    Element(String name, List<String> sinkPadNames, List<String> sourcePadNames) {
        this.name = checkName(name == null || name.isEmpty() ? generatedName(getClass()) : name, "element name");
        this.sinkPads = new SinkPad[sinkPadNames.size()];
        LinkedHashMap<String, SinkPad> snkMap = new LinkedHashMap<>();
        for (int i = 0; i < sinkPads.length; i++) {
            String padName = checkName(sinkPadNames.get(i), "sink pad name");
            SinkPad pad = new SinkPad(this, padName, i);
            if (snkMap.put(padName, pad) != null) {
                throw new IllegalArgumentException("duplicate sink pad name '" + padName + "' on element '"
                        + this.name + "': pad names must be unique per element");
            }
            sinkPads[i] = pad;
        }
        this.sourcePads = new SourcePad[sourcePadNames.size()];
        LinkedHashMap<String, SourcePad> srcMap = new LinkedHashMap<>();
        for (int i = 0; i < sourcePads.length; i++) {
            String padName = checkName(sourcePadNames.get(i), "source pad name");
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

    /** This element's name, unique within a pipeline. */
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

    /** The source pad with short name {@code padName}; throws naming the known pads if none. */
    public final SourcePad srcPad(String padName) {
        SourcePad pad = srcs.get(padName);
        if (pad == null) {
            throw new IllegalArgumentException("element '" + name + "' has no source pad '" + padName
                    + "'; its source pads are " + srcs.keySet());
        }
        return pad;
    }

    /** The sink pad with short name {@code padName}; throws naming the known pads if none. */
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
     */
    public final Logger logger() {
        Logger l = logger;
        if (l == null) {
            l = LoggerFactory.getLogger("sgn." + name);
            logger = l;
        }
        return l;
    }

    /** The source pads in order, as a new list. */
    public final List<SourcePad> sourcePads() {
        return List.of(sourcePads);
    }

    /** The sink pads in order, as a new list. */
    public final List<SinkPad> sinkPads() {
        return List.of(sinkPads);
    }

    /** The pad that runs {@link #internal()}. */
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
