package jvalkka.sgn;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directed acyclic graph of elements that process frames, and the loop that runs it.
 *
 * <p>Build it with {@link #insert(Element...)} and {@link #link(Map)}, or with
 * {@link #connect(PadProvider, PadProvider)}, which inserts what is missing and links pads by
 * SGN's implicit rules. {@link #run()} then executes every pad in topological order (for each
 * element: its sink pads, {@link Element#internal()}, its source pads), loop after loop, until
 * every {@link SinkElement} is {@link SinkElement#atEos() at EOS}. Every frame a pad receives in
 * a loop was produced in that same loop.
 *
 * <p>The execution order and the pad arrays are computed once per graph change, so a loop does
 * no look-ups and allocates nothing itself: the frames the elements make are the only
 * allocation.
 *
 * <p>Threading: build and run a pipeline from one thread at a time. Subclasses may wrap
 * {@link #run()} (for example to manage worker processes around it).
 */
public class Pipeline {
    /** SGN's {@code sgn.pipeline}: {@code SGNLOGLEVEL="pipeline:MEMPROF"} profiles each loop ({@link MemProfile}). */
    private static final Logger LOG = LoggerFactory.getLogger("sgn.pipeline");

    static final byte SOURCE_PAD = 0;
    static final byte SINK_PAD = 1;
    static final byte INTERNAL_PAD = 2;

    private final Map<String, Element> elements = new LinkedHashMap<>();
    private final Map<String, Pad> pads = new LinkedHashMap<>();
    private Plan plan; // null when the graph changed since the last compile
    private long loops;

    /**
     * An empty pipeline.
     *
     * @throws IllegalArgumentException when {@code SGNLOGLEVEL} or {@code JVALKKALOGLEVEL} holds
     *     an invalid level (see {@link jvalkka.log.LogConfig})
     */
    public Pipeline() {
        jvalkka.log.LogConfig.checkEnvironment();
    }

    // ------------------------------------------------------------------ building

    /**
     * Adds elements to the graph, in order.
     *
     * @throws IllegalArgumentException when an element or pad name is already in use here
     * @param elements the elements to add, in order
     * @return this
     */
    public Pipeline insert(Element... elements) {
        for (Element element : elements) {
            insertOne(element);
        }
        return this;
    }

    /**
     * Adds elements, then {@link #link(Map) links} {@code linkMap} (sink pad → source pad).
     *
     * @param linkMap the links: each sink pad to the source pad that feeds it
     * @param elements the elements to add, in order
     * @return this
     */
    public Pipeline insert(Map<?, ?> linkMap, Element... elements) {
        insert(elements);
        return link(linkMap);
    }

    private void insertOne(Element element) {
        if (element == null) {
            throw new IllegalArgumentException("cannot insert null into a pipeline");
        }
        if (elements.containsKey(element.name())) {
            throw new IllegalArgumentException("element name '" + element.name() + "' is already in use in this"
                    + " pipeline" + (elements.get(element.name()) == element ? " (this element was inserted before)"
                    : " by another element; give each element a unique name"));
        }
        List<Pad> elementPads = element.allPads(); // a composed element's inner pads too
        for (Pad pad : elementPads) {
            if (pads.containsKey(pad.name())) {
                throw new IllegalArgumentException("pad name '" + pad.name() + "' is already in use in this pipeline");
            }
        }
        elements.put(element.name(), element);
        for (Pad pad : elementPads) {
            pads.put(pad.name(), pad);
        }
        plan = null;
    }

    /**
     * Links pads: each key is a sink pad, each value the source pad that feeds it (data flows
     * value → key, as in SGN). Keys and values are {@link SinkPad}/{@link SourcePad} objects or
     * full pad names ({@code "<element>:snk:<pad>"}, {@code "<element>:src:<pad>"}); their
     * elements must be inserted already.
     *
     * @throws IllegalArgumentException for an unknown pad name, a pad of an element not in this
     *     pipeline, a key that is not a sink pad (e.g. two source pads), a value that is not a
     *     source pad, or a sink pad already linked to another source pad
     * @param linkMap the links: each sink pad to the source pad that feeds it
     * @return this
     */
    public Pipeline link(Map<?, ?> linkMap) {
        List<SinkPad> sinks = new ArrayList<>();
        List<SourcePad> sources = new ArrayList<>();
        for (Map.Entry<?, ?> entry : linkMap.entrySet()) {
            Pad key = resolve(entry.getKey());
            Pad value = resolve(entry.getValue());
            if (!(key instanceof SinkPad sink)) {
                throw new IllegalArgumentException("cannot link " + key + " <- " + value + ": the key must be a sink pad"
                        + " but " + key + " is a " + kind(key)
                        + (value instanceof SourcePad ? " (two source pads cannot be linked)"
                        : value instanceof SinkPad ? " (the link map is sink pad -> source pad; data flows value -> key)"
                        : ""));
            }
            if (!(value instanceof SourcePad source)) {
                throw new IllegalArgumentException("cannot link " + key + " <- " + value + ": the value must be a source"
                        + " pad but " + value + " is a " + kind(value)
                        + (value instanceof SinkPad ? " (two sink pads cannot be linked)" : ""));
            }
            sinks.add(sink);
            sources.add(source);
        }
        for (int i = 0; i < sinks.size(); i++) {
            linkPads(sinks.get(i), sources.get(i));
        }
        return this;
    }

    private static String kind(Pad pad) {
        return pad instanceof SourcePad ? "source pad" : pad instanceof SinkPad ? "sink pad" : "internal pad";
    }

    private Pad resolve(Object key) {
        if (key instanceof String name) {
            Pad pad = pads.get(name);
            if (pad == null) {
                throw new IllegalArgumentException("no pad named '" + name + "' in this pipeline (full pad names look"
                        + " like '<element>:snk:<pad>' or '<element>:src:<pad>'); known pads: " + nodes());
            }
            return pad;
        }
        if (key instanceof Pad pad) {
            if (pads.get(pad.name()) != pad) {
                throw new IllegalArgumentException("pad " + pad + " belongs to element '" + pad.element().name()
                        + "', which is not inserted in this pipeline; insert it first (connect() does that)");
            }
            return pad;
        }
        throw new IllegalArgumentException("a link map holds pads or full pad names, not "
                + (key == null ? "null" : key.getClass().getName() + " " + key));
    }

    private void linkPads(SinkPad sink, SourcePad source) {
        if (sink.other != null && sink.other != source) {
            throw new IllegalArgumentException("sink pad " + sink + " is already linked to " + sink.other
                    + "; a sink pad links to exactly one source pad (cannot also link " + source + ")");
        }
        sink.other = source;
        sink.linked = true;
        source.linked = true;
        plan = null;
    }

    /**
     * Connects {@code source} to {@code sink} by SGN's implicit-linking rules, inserting any
     * element not in the pipeline yet. Each side is an {@link Element}, a {@link PadSelection}
     * or an {@link ElementGroup}; the source side offers its source pads, the sink side its sink
     * pads, by short name. The first rule that applies wins:
     * <ol>
     * <li>exact match: both sides have the same set of names: link each name to the same name;</li>
     * <li>partial match: some names are common: link those, ignore the rest;</li>
     * <li>N-to-1: the sink side has a single pad: link the source side's single pad to it (a sink
     *     pad takes exactly one source pad, so several source pads are an error here);</li>
     * <li>1-to-N: the source side has a single pad: link it to every sink pad;</li>
     * <li>otherwise: an error asking for an explicit map
     *     ({@link #connect(PadProvider, PadProvider, Map)}).</li>
     * </ol>
     *
     * @param source the element (or composition) whose source pads feed
     * @param sink the element (or composition) whose sink pads are fed
     * @return this
     */
    public Pipeline connect(PadProvider source, PadProvider sink) {
        return connect(source, sink, null);
    }

    /**
     * Connects with an explicit map of short names, sink pad name → source pad name, when
     * {@code linkMap} is non-empty; otherwise as {@link #connect(PadProvider, PadProvider)}.
     *
     * @throws IllegalArgumentException for a sink element on the source side, a source element
     *     on the sink side, a name in {@code linkMap} that is not on its side, or an ambiguous
     *     implicit link
     * @param source the element (or composition) whose source pads feed
     * @param sink the element (or composition) whose sink pads are fed
     * @param linkMap the links: each sink pad to the source pad that feeds it
     * @return this
     */
    public Pipeline connect(PadProvider source, PadProvider sink, Map<String, String> linkMap) {
        if (source instanceof SinkElement e) {
            throw new IllegalArgumentException("source '" + e.name() + "' is a SinkElement and has no source pads");
        }
        if (sink instanceof SourceElement e) {
            throw new IllegalArgumentException("sink '" + e.name() + "' is a SourceElement and has no sink pads");
        }
        Map<String, SourcePad> srcPads = source.srcs();
        Map<String, SinkPad> snkPads = sink.snks();
        if (srcPads.isEmpty()) {
            throw new IllegalArgumentException("no source pads in " + source);
        }
        if (snkPads.isEmpty()) {
            throw new IllegalArgumentException("no sink pads in " + sink);
        }
        Map<SinkPad, SourcePad> links = implicitLinks(srcPads, snkPads, linkMap);
        for (PadProvider side : List.of(source, sink)) {
            for (Element element : side.elements()) {
                if (elements.get(element.name()) != element) {
                    insertOne(element);
                }
            }
        }
        links.forEach(this::linkPads);
        return this;
    }

    private static Map<SinkPad, SourcePad> implicitLinks(Map<String, SourcePad> srcPads, Map<String, SinkPad> snkPads,
            Map<String, String> linkMap) {
        Map<SinkPad, SourcePad> links = new LinkedHashMap<>();
        if (linkMap != null && !linkMap.isEmpty()) {
            linkMap.forEach((sinkName, sourceName) -> {
                SinkPad sinkPad = snkPads.get(sinkName);
                if (sinkPad == null) {
                    throw new IllegalArgumentException("sink pad '" + sinkName + "' not found; sink pads: "
                            + snkPads.keySet());
                }
                SourcePad sourcePad = srcPads.get(sourceName);
                if (sourcePad == null) {
                    throw new IllegalArgumentException("source pad '" + sourceName + "' not found; source pads: "
                            + srcPads.keySet());
                }
                links.put(sinkPad, sourcePad);
            });
            return links;
        }
        Set<String> common = new LinkedHashSet<>(snkPads.keySet());
        common.retainAll(srcPads.keySet());
        if (!common.isEmpty()) { // exact match is the case where common is everything
            for (String name : common) {
                links.put(snkPads.get(name), srcPads.get(name));
            }
            return links;
        }
        if (snkPads.size() == 1) {
            SinkPad only = snkPads.values().iterator().next();
            if (srcPads.size() > 1) {
                throw new IllegalArgumentException("N-to-1 linking would link " + srcPads.size() + " source pads "
                        + names(srcPads.values()) + " to the single sink pad " + only + ", but a sink pad links to"
                        + " exactly one source pad; select one source pad or pass an explicit link map");
            }
            links.put(only, srcPads.values().iterator().next());
            return links;
        }
        if (srcPads.size() == 1) {
            SourcePad only = srcPads.values().iterator().next();
            for (SinkPad sinkPad : snkPads.values()) {
                links.put(sinkPad, only);
            }
            return links;
        }
        throw new IllegalArgumentException("unable to determine an unambiguous linking strategy from source pads "
                + srcPads.keySet() + " and sink pads " + snkPads.keySet()
                + ": no names in common and more than one pad on each side; an explicit link map is required,"
                + " e.g. connect(source, sink, Map.of(\"<sink pad>\", \"<source pad>\"))");
    }

    private static List<String> names(Collection<? extends Pad> pads) {
        List<String> out = new ArrayList<>();
        for (Pad pad : pads) {
            out.add(pad.name());
        }
        return out;
    }

    // ------------------------------------------------------------------ inspecting

    /**
     * The element named {@code name}; throws if there is none.
     *
     * @param name the name
     * @return the element named {@code name}; throws if there is none
     */
    public Element element(String name) {
        Element element = elements.get(name);
        if (element == null) {
            throw new IllegalArgumentException("no element named '" + name + "' in this pipeline; elements: "
                    + elements.keySet());
        }
        return element;
    }

    /**
     * The pad with full name {@code name}; throws if there is none.
     *
     * @param name the name
     * @return the pad with full name {@code name}; throws if there is none
     */
    public Pad pad(String name) {
        return resolve(name);
    }

    /**
     * The elements, in insertion order.
     *
     * @return the elements, in insertion order
     */
    public List<Element> elements() {
        return List.copyOf(elements.values());
    }

    /**
     * The sorted full names of all source and sink pads; see {@link #nodes(boolean, boolean)}.
     *
     * @return the sorted full names of all source and sink pads; see {@link #nodes(boolean, boolean)}
     */
    public List<String> nodes() {
        return nodes(true, false);
    }

    /**
     * The graph's nodes, sorted: full pad names when {@code pads} (internal pads too when
     * {@code intra}), element names otherwise.
     *
     * @param pads the pads
     * @param intra the links inside the group
     * @return the graph's nodes, sorted: full pad names when {@code pads} (internal pads too when {@code intra}), element names otherwise
     */
    public List<String> nodes(boolean pads, boolean intra) {
        TreeSet<String> out = new TreeSet<>();
        if (!pads) {
            out.addAll(elements.keySet());
        } else {
            for (Pad pad : this.pads.values()) {
                if (intra || !(pad instanceof InternalPad)) {
                    out.add(pad.name());
                }
            }
        }
        return List.copyOf(out);
    }

    /** A directed edge between two nodes, by name; data flows {@code from} → {@code to}. */
    public record Edge(String from, String to) implements Comparable<Edge> {
        @Override
        public int compareTo(Edge o) {
            int c = from.compareTo(o.from);
            return c != 0 ? c : to.compareTo(o.to);
        }

        @Override
        public String toString() {
            return from + " -> " + to;
        }
    }

    /**
     * The links between pads, sorted; see {@link #edges(boolean, boolean)}.
     *
     * @return the links between pads, sorted; see {@link #edges(boolean, boolean)}
     */
    public List<Edge> edges() {
        return edges(true, false);
    }

    /**
     * The graph's edges, sorted: source pad → sink pad links when {@code pads} (plus each
     * element's sink pads → internal pad → source pads when {@code intra}), element → element
     * otherwise. A composed element's inner graph is included: its links inside, and (for
     * elements) composed element → inner element behind each of its sink pads and inner element
     * → composed element behind each of its source pads.
     *
     * @param pads the pads
     * @param intra the links inside the group
     * @return the graph's edges, sorted: source pad → sink pad links when {@code pads} (plus each element's sink pads → internal pad → source pads when {@code intra}), element → element otherwise
     */
    public List<Edge> edges(boolean pads, boolean intra) {
        TreeSet<Edge> out = new TreeSet<>();
        for (Element element : elements.values()) {
            element.forEachEdge((from, to) -> { // a composed element's inner graph too
                if (from instanceof SourcePad && to instanceof SinkPad) {
                    out.add(pads ? new Edge(from.name(), to.name())
                            : new Edge(from.element().name(), to.element().name()));
                } else if (!pads && from instanceof SourcePad && to.element() != from.element()) {
                    out.add(new Edge(from.element().name(), to.element().name())); // inner pad -> its composed element
                } else if (pads && intra) {
                    out.add(new Edge(from.name(), to.name()));
                }
            });
        }
        return List.copyOf(out);
    }

    /**
     * How many loops {@link #run()} has executed in this pipeline so far.
     *
     * @return how many loops {@link #run()} has executed in this pipeline so far
     */
    public long loops() {
        return loops;
    }

    // ------------------------------------------------------------------ checking and running

    /**
     * Checks that the pipeline can run: it has a sink element, every pad is linked, and the
     * graph has no cycle.
     *
     * @throws IllegalStateException naming the first problem found (and the pad, if one)
     */
    public void check() {
        compile();
    }

    /**
     * Runs the pipeline until every sink element is at EOS (returns at once if they already
     * are), without a limit: a source that never sends EOS keeps it running (see
     * {@link #run(Duration)}). Calls {@link #check()} first. A pipeline with
     * {@code Parallelize*Element}s that no {@code jvalkka.sgn.subprocess.Parallelize} runs yet is
     * run inside a new one (through the {@link RunHook} that layer provides), which starts their workers first and stops them after (SGN's
     * {@code run(auto_parallelize=True)}).
     *
     * @throws IllegalStateException as {@link #check()}
     * @throws PipelineException when an element throws, or a source pad gets no frame; the run
     *     stops there
     */
    public void run() {
        run(null, Long.MAX_VALUE, true);
    }

    /**
     * {@link #run()}; with {@code autoParallelize} false (SGN's {@code run(auto_parallelize=False)})
     * the pipeline runs as it is, without starting workers for its {@code Parallelize*Element}s:
     * use it inside a {@code jvalkka.sgn.subprocess.Parallelize} that started them (or for a
     * pipeline that has none).
     *
     * @param autoParallelize whether to run Parallelize* elements in their workers automatically
     */
    public void run(boolean autoParallelize) {
        run(null, Long.MAX_VALUE, autoParallelize);
    }

    /**
     * {@link #run()}, giving up after {@code timeout}: checked between loops, so a loop that
     * blocks is not cut short.
     *
     * @throws RunLimitException when the time is up before every sink is at EOS
     * @throws IllegalArgumentException for a null, zero or negative timeout
     * @param timeout the longest wait
     */
    public void run(Duration timeout) {
        if (timeout == null) {
            throw new IllegalArgumentException("timeout is null; run() runs without one");
        }
        run(timeout, Long.MAX_VALUE, true);
    }

    /**
     * {@link #run()} with limits: at most {@code maxLoops} loops in this run, and no loop started
     * after {@code timeout} (null: no time limit).
     *
     * @param maxLoops at least 1; {@link Long#MAX_VALUE} for no cap
     * @throws RunLimitException when a limit is reached before every sink is at EOS
     * @throws IllegalArgumentException for a zero or negative timeout or loop cap
     * @param timeout the longest wait
     */
    public void run(Duration timeout, long maxLoops) {
        run(timeout, maxLoops, true);
    }

    /**
     * {@link #run(Duration, long)}, with or without automatic parallelisation (see {@link #run(boolean)}).
     *
     * @param timeout the longest wait
     * @param maxLoops the most loops to run
     * @param autoParallelize whether to run Parallelize* elements in their workers automatically
     */
    public void run(Duration timeout, long maxLoops, boolean autoParallelize) {
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout + " (null: no time limit)");
        }
        if (maxLoops < 1) {
            throw new IllegalArgumentException("maxLoops must be at least 1, not " + maxLoops
                    + " (Long.MAX_VALUE: no cap)");
        }
        // a pipeline with Parallelize*Elements runs inside a Parallelize, which starts and stops their workers
        if (autoParallelize && runByHook(timeout, maxLoops)) {
            return;
        }
        Plan p = compile();
        long start = System.nanoTime();
        long first = loops;
        SinkElement[] sinks = p.sinks;
        MemProfile profile = LOG.isTraceEnabled() ? MemProfile.start(LOG, p.kinds, p.sourcePads, p.sinkPads,
                p.internals) : null; // SGN's MEMPROF level; decided once per run, never per loop
        boolean limited = timeout != null || maxLoops != Long.MAX_VALUE;
        if (profile == null && !limited) {
            while (!allAtEos(sinks)) {
                executeLoop(p);
            }
        } else {
            long timeoutNanos = timeout == null ? Long.MAX_VALUE : timeout.toNanos();
            while (!allAtEos(sinks)) {
                if (loops - first >= maxLoops) {
                    throw runLimit(maxLoops + " loops", first, sinks);
                }
                if (System.nanoTime() - start >= timeoutNanos) {
                    throw runLimit(timeout.toMillis() + " ms", first, sinks);
                }
                if (profile == null) {
                    executeLoop(p);
                } else {
                    profile.executeLoop(++loops);
                }
            }
            if (profile != null) {
                profile.finish();
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("pipeline ran {} loops in {} ms", loops - first, (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** Whether a {@link RunHook} (the subprocess layer's, when on the class path) ran this pipeline. */
    private boolean runByHook(Duration timeout, long maxLoops) {
        for (RunHook hook : Hooks.ALL) {
            if (hook.runIfNeeded(this, timeout, maxLoops)) {
                return true;
            }
        }
        return false;
    }

    /** The {@link RunHook}s on the class or module path, looked up once, on the first run. */
    private static final class Hooks {
        static final List<RunHook> ALL = load();

        private static List<RunHook> load() {
            List<RunHook> out = new ArrayList<>();
            for (RunHook hook : java.util.ServiceLoader.load(RunHook.class, Pipeline.class.getClassLoader())) {
                out.add(hook);
            }
            return List.copyOf(out);
        }
    }

    private RunLimitException runLimit(String limit, long first, SinkElement[] sinks) {
        List<String> open = new ArrayList<>();
        for (SinkElement sink : sinks) {
            if (!sink.atEos()) {
                open.add(sink.name());
            }
        }
        return new RunLimitException(limit, loops, loops - first, open);
    }

    private static boolean allAtEos(SinkElement[] sinks) {
        for (SinkElement sink : sinks) {
            if (!sink.atEos()) {
                return false;
            }
        }
        return true;
    }

    /** One loop: every node once, in topological order. */
    private void executeLoop(Plan p) {
        final byte[] kinds = p.kinds;
        final SourcePad[] srcAt = p.sourcePads;
        final SinkPad[] snkAt = p.sinkPads;
        final Element[] inlAt = p.internals;
        final long loop = ++loops;
        int i = 0;
        try {
            for (; i < kinds.length; i++) {
                runNode(kinds, srcAt, snkAt, inlAt, i);
            }
        } catch (Exception | AssertionError e) {
            throw nodeFailed(kinds, srcAt, snkAt, inlAt, i, loop, e);
        }
    }

    /**
     * Runs node {@code i} of a plan once: a source pad makes its frame, a sink pad takes the
     * frame of the pad it is linked to, an internal pad runs its element's {@code internal()}.
     * The one place these rules are written: {@link #executeLoop} and {@link MemProfile} call it.
     */
    static void runNode(byte[] kinds, SourcePad[] srcAt, SinkPad[] snkAt, Element[] inlAt, int i) throws Exception {
        switch (kinds[i]) {
            case SOURCE_PAD: {
                SourcePad pad = srcAt[i];
                Frame frame = pad.element().produce(pad);
                if (frame == null) {
                    throw new IllegalStateException("newFrame returned no frame (null); a source pad must"
                            + " produce a Frame every loop (Frame.gap() when there is nothing to send)");
                }
                pad.output = frame;
                break;
            }
            case SINK_PAD: {
                SinkPad pad = snkAt[i];
                Frame frame = pad.other.output;
                pad.input = frame;
                pad.checkSpec(frame);
                pad.element().consume(pad, frame);
                break;
            }
            default:
                inlAt[i].internal();
        }
    }

    /** The failure of node {@code i} in loop {@code loop}, named by its pad. */
    static PipelineException nodeFailed(byte[] kinds, SourcePad[] srcAt, SinkPad[] snkAt, Element[] inlAt, int i,
            long loop, Throwable e) {
        Pad failed = kinds[i] == SOURCE_PAD ? srcAt[i] : kinds[i] == SINK_PAD ? snkAt[i] : inlAt[i].internalPad();
        return new PipelineException(failed.name(), loop, e);
    }

    /** The execution plan: node kinds and pads in topological order, computed once per graph. */
    private static final class Plan {
        final byte[] kinds;
        final SourcePad[] sourcePads;
        final SinkPad[] sinkPads;
        final Element[] internals;
        final SinkElement[] sinks;

        Plan(byte[] kinds, SourcePad[] sourcePads, SinkPad[] sinkPads, Element[] internals, SinkElement[] sinks) {
            this.kinds = kinds;
            this.sourcePads = sourcePads;
            this.sinkPads = sinkPads;
            this.internals = internals;
            this.sinks = sinks;
        }
    }

    private Plan compile() {
        if (plan != null) {
            return plan;
        }
        List<SinkElement> sinkElements = sinkElements();
        checkPadsLinked();
        List<Pad> executed = executedPads(topologicalOrder());
        plan = planOf(executed, sinkElements);
        if (LOG.isDebugEnabled()) {
            LOG.debug("execution order: {}", names(executed));
        }
        return plan;
    }

    /** The sink elements, in insertion order; throws if there are none. */
    private List<SinkElement> sinkElements() {
        List<SinkElement> sinkElements = new ArrayList<>();
        for (Element element : elements.values()) {
            if (element instanceof SinkElement sink) {
                sinkElements.add(sink);
            }
        }
        if (sinkElements.isEmpty()) {
            throw new IllegalStateException("Pipeline contains no sink elements");
        }
        return sinkElements;
    }

    /** Throws naming the first pad that is not linked. */
    private void checkPadsLinked() {
        for (Element element : elements.values()) {
            for (SourcePad pad : element.sourcePadArray()) {
                if (!pad.linked) {
                    throw new IllegalStateException("Source pad not linked: " + pad.name());
                }
            }
            for (SinkPad pad : element.sinkPadArray()) {
                if (!pad.linked) {
                    throw new IllegalStateException("Sink pad not linked: " + pad.name());
                }
            }
        }
    }

    /**
     * Every pad in an order where each comes after its predecessors: element-internal order
     * (sinks -> internal -> sources) plus one edge per link (source pad -> sink pad), by Kahn's
     * algorithm, first-in first-out so that the order follows insertion order. Throws naming a
     * cycle if there is one.
     */
    private List<Pad> topologicalOrder() {
        List<Pad> nodes = new ArrayList<>(pads.values());
        Map<Pad, List<Pad>> successors = new HashMap<>();
        Map<Pad, Integer> indegree = new HashMap<>();
        for (Pad node : nodes) {
            successors.put(node, new ArrayList<>());
            indegree.put(node, 0);
        }
        for (Element element : elements.values()) {
            element.forEachEdge((from, to) -> addEdge(successors, indegree, from, to));
        }
        ArrayDeque<Pad> ready = new ArrayDeque<>();
        for (Pad node : nodes) {
            if (indegree.get(node) == 0) {
                ready.add(node);
            }
        }
        List<Pad> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            Pad node = ready.poll();
            order.add(node);
            for (Pad next : successors.get(node)) {
                if (indegree.merge(next, -1, Integer::sum) == 0) {
                    ready.add(next);
                }
            }
        }
        if (order.size() < nodes.size()) {
            throw new IllegalStateException("the pipeline graph has a cycle: " + describeCycle(nodes, order, successors)
                    + "; a pipeline must be a directed acyclic graph");
        }
        return order;
    }

    /** The pads of {@code order} that a loop executes: not virtual source pads, nor internal() that does nothing. */
    private static List<Pad> executedPads(List<Pad> order) {
        List<Pad> executed = new ArrayList<>();
        for (Pad node : order) {
            if (node instanceof InternalPad ? overridesInternal(node.element())
                    : !(node instanceof SourcePad s && s.virtual)) {
                executed.add(node); // an internal() that does nothing is not worth a call per loop
            }
        }
        return executed;
    }

    /** The plan that executes {@code executed} in order: per step its kind and its pad or element. */
    private static Plan planOf(List<Pad> executed, List<SinkElement> sinkElements) {
        int n = executed.size();
        byte[] kinds = new byte[n];
        SourcePad[] srcAt = new SourcePad[n];
        SinkPad[] snkAt = new SinkPad[n];
        Element[] inlAt = new Element[n];
        for (int i = 0; i < n; i++) {
            Pad node = executed.get(i);
            if (node instanceof SourcePad s) {
                kinds[i] = SOURCE_PAD;
                srcAt[i] = s;
            } else if (node instanceof SinkPad s) {
                kinds[i] = SINK_PAD;
                snkAt[i] = s;
            } else {
                kinds[i] = INTERNAL_PAD;
                inlAt[i] = node.element();
            }
        }
        return new Plan(kinds, srcAt, snkAt, inlAt, sinkElements.toArray(new SinkElement[0]));
    }

    private static void addEdge(Map<Pad, List<Pad>> successors, Map<Pad, Integer> indegree, Pad from, Pad to) {
        successors.get(from).add(to);
        indegree.merge(to, 1, Integer::sum);
    }

    /**
     * Names one cycle among the nodes Kahn's algorithm left over. Every such node still has a
     * left-over predecessor, so walking predecessors must come back to a node already seen.
     */
    private static String describeCycle(List<Pad> nodes, List<Pad> order, Map<Pad, List<Pad>> successors) {
        Set<Pad> left = new LinkedHashSet<>(nodes);
        order.forEach(left::remove);
        Map<Pad, Pad> previous = new HashMap<>();
        for (Pad from : left) {
            for (Pad to : successors.get(from)) {
                if (left.contains(to)) {
                    previous.putIfAbsent(to, from);
                }
            }
        }
        List<Pad> walk = new ArrayList<>();
        Set<Pad> seen = new HashSet<>();
        Pad at = left.iterator().next();
        while (seen.add(at)) {
            walk.add(at);
            at = previous.get(at);
        }
        List<String> cycle = new ArrayList<>();
        for (int i = walk.size() - 1; i >= walk.indexOf(at); i--) { // reversed: in the direction data flows
            cycle.add(walk.get(i).name());
        }
        cycle.add(walk.get(walk.size() - 1).name());
        return String.join(" -> ", cycle);
    }

    private static boolean overridesInternal(Element element) {
        try {
            return element.getClass().getMethod("internal").getDeclaringClass() != Element.class;
        } catch (NoSuchMethodException e) {
            return true; // cannot tell: call it
        }
    }

    // ------------------------------------------------------------------ drawing

    /**
     * The graph in Graphviz DOT: one box per element holding its pads, one arrow per link.
     *
     * @return the graph in Graphviz DOT: one box per element holding its pads, one arrow per link
     */
    public String toDot() {
        return toDot(null);
    }

    /**
     * As {@link #toDot()}, with {@code label} as the graph's title when non-null.
     *
     * @param label the title
     * @return the DOT text
     */
    public String toDot(String label) {
        StringBuilder dot = new StringBuilder("digraph pipeline {\n  rankdir=LR;\n");
        if (label != null) {
            dot.append("  label=").append(quote(label)).append(";\n  labelloc=t;\n");
        }
        dot.append("  node [shape=box, style=filled, fontname=\"Helvetica\"];\n");
        TreeSet<String> links = new TreeSet<>();
        for (Element element : elements.values()) {
            appendCluster(dot, links, element, "  ");
        }
        for (String link : links) {
            dot.append("  ").append(link).append(";\n");
        }
        return dot.append("}\n").toString();
    }

    /**
     * One cluster per element holding its pads (a composed element's holds its inner elements'
     * clusters too), and its links into {@code links}: a composed element's sink pad is drawn
     * linked to the inner sink pad behind it, and each inner pad behind one of its source pads to
     * that pad (dashed).
     */
    private static void appendCluster(StringBuilder dot, Set<String> links, Element element, String indent) {
        dot.append(indent).append("subgraph ").append(quote("cluster_" + element.name())).append(" {\n");
        dot.append(indent).append("  label=").append(quote(element.name() + "\n" + element.getClass().getSimpleName()))
                .append(";\n").append(indent).append("  style=rounded;\n");
        Composition inside = element.composition();
        for (Pad pad : element.sinkPadArray()) {
            appendPad(dot, indent, pad, "lightblue", pad.isLinked());
        }
        for (SourcePad pad : element.sourcePadArray()) {
            boolean exposed = element.composedIn != null && element.composedIn.composition().boundarySources
                    .containsValue(pad);
            appendPad(dot, indent, pad, "mediumaquamarine", pad.isLinked() || exposed);
        }
        if (inside != null) {
            for (Element inner : inside.inner) {
                appendCluster(dot, links, inner, indent + "  ");
            }
            if (!(element instanceof SinkElement)) {
                for (SourcePad own : element.sourcePadArray()) {
                    links.add(quote(inside.boundarySources.get(own.padName()).name()) + " -> " + quote(own.name())
                            + " [style=dashed]");
                }
            }
        }
        dot.append(indent).append("}\n");
        for (SinkPad sink : element.sinkPadArray()) {
            SourcePad from = sink.other;
            if (from != null) {
                Pad shown = from.virtual // the composed element's own sink pad, not its virtual source pad
                        ? from.element().snkPad(from.padName().substring(Composition.VIRTUAL_PREFIX.length())) : from;
                links.add(quote(shown.name()) + " -> " + quote(sink.name()));
            }
        }
    }

    private static void appendPad(StringBuilder dot, String indent, Pad pad, String color, boolean linked) {
        dot.append(indent).append("  ").append(quote(pad.name())).append(" [label=").append(quote(pad.padName()))
                .append(", fillcolor=").append(linked ? color : "tomato").append("];\n");
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /**
     * The graph as an SVG picture drawn without Graphviz (a small layered layout, left to right):
     * one box per element with its sink pads on the left and source pads on the right, unlinked
     * pads in tomato, one curve per link. A composed element is one box naming its inner elements.
     *
     * @return the graph as an SVG picture drawn without Graphviz (a small layered layout, left to right): one box per element with its sink pads on the left and source pads on the right, unlinked pads in tomato, one curve per link
     */
    public String toSvg() {
        return toSvg(null);
    }

    /**
     * As {@link #toSvg()}, with {@code label} as the picture's title when non-null.
     *
     * @param label the title
     * @return the SVG text
     */
    public String toSvg(String label) {
        return SvgPicture.render(List.copyOf(elements.values()), label);
    }

    /**
     * Renders the graph into {@code path}, the format taken from the file extension
     * ({@code .svg}, {@code .png}, {@code .pdf}, ...; {@code svg} if none). With the Graphviz
     * {@code dot} program on {@code PATH}, {@code dot} renders {@link #toDot()}; without it an
     * SVG is drawn in Java ({@link #toSvg()}) and other formats fail, saying what to install.
     *
     * @throws IllegalStateException when {@code dot} is not installed and the format is not SVG
     * @throws IOException when {@code dot} fails or {@code path} cannot be written
     * @param path the file to write
     * @throws InterruptedException when interrupted
     */
    public void visualize(Path path) throws IOException, InterruptedException {
        visualize(path, "dot");
    }

    /** {@link #visualize(Path)} with the name of the program to run (for tests). */
    void visualize(Path path, String dotProgram) throws IOException, InterruptedException {
        String format = formatOf(path);
        Path program = findOnPath(dotProgram);
        if (program == null && format.equals("svg")) {
            LOG.debug("the Graphviz '{}' program is not installed: drawing {} in Java", dotProgram, path);
            Files.writeString(path, toSvg(), StandardCharsets.UTF_8);
            return;
        }
        if (program == null) {
            throw new IllegalStateException("cannot render " + path + ": the Graphviz '" + dotProgram + "' program is not"
                    + " installed (not found on PATH); install graphviz (Debian/Ubuntu: apt-get install graphviz;"
                    + " Fedora: dnf install graphviz; macOS: brew install graphviz), or write a .svg file, which is"
                    + " drawn without it, or save toDot() to a .dot file and render it elsewhere");
        }
        Process process = new ProcessBuilder(program.toString(), "-T" + format, "-o", path.toString())
                .redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(toDot().getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (InputStream out = process.getInputStream()) {
            out.transferTo(output);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(dotProgram + " did not finish within 60 s rendering " + path);
        }
        if (process.exitValue() != 0) {
            throw new IOException(dotProgram + " -T" + format + " failed (exit " + process.exitValue() + "): "
                    + output.toString(StandardCharsets.UTF_8).trim());
        }
    }

    private static String formatOf(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && dot < name.length() - 1 ? name.substring(dot + 1).toLowerCase(java.util.Locale.ROOT) : "svg";
    }

    private static Path findOnPath(String program) {
        if (program.contains(File.separator)) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, program);
                if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "Pipeline" + elements.keySet();
    }
}
