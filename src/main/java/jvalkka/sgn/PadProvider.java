package jvalkka.sgn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Anything that can stand on either side of {@link Pipeline#connect}: an {@link Element}, a
 * {@link PadSelection} (some pads of one element) or an {@link ElementGroup} (several of those).
 */
public interface PadProvider {
    /**
     * Source pads by short name, in a stable order.
     *
     * @return the source pads, by short name
     */
    Map<String, SourcePad> srcs();

    /**
     * Sink pads by short name, in a stable order.
     *
     * @return the sink pads, by short name
     */
    Map<String, SinkPad> snks();

    /**
     * The elements involved, each once, in a stable order.
     *
     * @return the elements involved, each once, in a stable order
     */
    List<Element> elements();

    /**
     * Each source pad on its own (SGN's {@code select_by_source}): pad name → a selection of just
     * that pad of its element, in {@link #srcs()} order. For connecting pad by pad:
     * <pre>{@code group(src1, src2).selectBySource().forEach((name, pad) -> pipeline.connect(pad, sinks.get(name)));}</pre>
     *
     * @throws IllegalArgumentException when there are no source pads (or as {@link #srcs()})
     * @return each source pad on its own (SGN's {@code select_by_source}): pad name → a selection of just that pad of its element, in {@link #srcs()} order
     */
    default Map<String, PadSelection> selectBySource() {
        Map<String, SourcePad> pads = srcs();
        if (pads.isEmpty()) {
            throw new IllegalArgumentException("No source pads available in this selection: " + this);
        }
        Map<String, PadSelection> out = new LinkedHashMap<>();
        pads.forEach((name, pad) -> out.put(name, new PadSelection(pad.element(), Set.of(name))));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Each sink pad on its own (SGN's {@code select_by_sink}): pad name → a selection of just that
     * pad of its element, in {@link #snks()} order.
     *
     * @throws IllegalArgumentException when there are no sink pads (or as {@link #snks()})
     * @return each sink pad on its own (SGN's {@code select_by_sink}): pad name → a selection of just that pad of its element, in {@link #snks()} order
     */
    default Map<String, PadSelection> selectBySink() {
        Map<String, SinkPad> pads = snks();
        if (pads.isEmpty()) {
            throw new IllegalArgumentException("No sink pads available in this selection: " + this);
        }
        Map<String, PadSelection> out = new LinkedHashMap<>();
        pads.forEach((name, pad) -> out.put(name, new PadSelection(pad.element(), Set.of(name))));
        return Collections.unmodifiableMap(out);
    }
}
