package jvalkka.sgn.sinks;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;

/**
 * The common part of {@link CollectSink} and {@link DequeSink} (SGN's {@code DequeSink} extends its
 * {@code CollectSink}; here both extend this base): one collection per sink pad,
 * each frame received appended to its pad's collection (its data when {@code extractData}, the
 * frame itself otherwise), gap frames skipped when {@code skipEmpty}. An EOS frame marks its pad
 * EOS (and is collected unless it is a skipped gap).
 *
 * @param <C> the collection type
 */
public abstract class AbstractCollectSink<C extends Collection<Object>> extends SinkElement {
    private final Collection<Object>[] collections;
    private final Map<String, C> byName;
    private final boolean extractData;
    private final boolean skipEmpty;

    /**
     * @param name         element name, or null for a generated one
     * @param sinkPadNames the pads, in order
     * @param factory      makes one empty collection per pad
     * @param extractData  collect {@code frame.data()} (true) or the frame itself (false)
     * @param skipEmpty    skip gap frames
     */
    @SuppressWarnings("unchecked")
    protected AbstractCollectSink(String name, List<String> sinkPadNames, Supplier<? extends C> factory,
            boolean extractData, boolean skipEmpty) {
        super(name, sinkPadNames);
        this.extractData = extractData;
        this.skipEmpty = skipEmpty;
        collections = (Collection<Object>[]) new Collection<?>[sinkPadNames.size()];
        Map<String, C> map = new LinkedHashMap<>();
        for (int i = 0; i < collections.length; i++) {
            C c = factory.get();
            collections[i] = c;
            map.put(sinkPadNames.get(i), c);
        }
        byName = Collections.unmodifiableMap(map);
    }

    /**
     * Pad name → what was collected on it (live collections, in pad order).
     *
     * @return the collections, by pad name
     */
    public Map<String, C> collects() {
        return byName;
    }

    @Override
    public void pull(SinkPad pad, Frame frame) {
        if (frame.isEOS()) {
            markEos(pad);
        }
        if (skipEmpty && frame.isGap()) {
            return;
        }
        collections[pad.index()].add(extractData ? frame.data() : frame);
    }
}
