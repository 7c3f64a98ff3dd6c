package jvalkka.sgn.sinks;

import java.util.Deque;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A sink that appends, per sink pad, the data of every non-gap frame to the tail of a deque, so
 * {@link Deque#pollFirst()} reads them in arrival order. See {@link AbstractCollectSink} for the
 * rules. The default deques are {@link LinkedList}s (they accept {@code null} data) and belong to
 * the pipeline's thread; pass a concurrent deque factory to drain them from another thread
 * (a concurrent deque cannot hold {@code null}, so frames with null data must then be gaps).
 */
public class DequeSink extends AbstractCollectSink<Deque<Object>> {
    /**
     * Collects data into {@link LinkedList}s, skipping gap frames.
     *
     * @param name the name
     * @param sinkPadNames the names of its sink pads
     */
    public DequeSink(String name, String... sinkPadNames) {
        this(name, List.of(sinkPadNames), LinkedList::new, true, true);
    }

    /**
     * Full control: see {@link AbstractCollectSink#AbstractCollectSink}.
     *
     * @param name element name, or null for a generated one
     * @param sinkPadNames the pads, in order
     * @param factory makes one empty deque per pad
     * @param extractData collect {@code frame.data()} (true) or the frame itself (false)
     * @param skipEmpty skip gap frames
     */
    public DequeSink(String name, List<String> sinkPadNames, Supplier<? extends Deque<Object>> factory,
            boolean extractData, boolean skipEmpty) {
        super(name, sinkPadNames, factory, extractData, skipEmpty);
    }

    /**
     * Alias of {@link #collects()}, as in SGN.
     *
     * @return the deques, by pad name
     */
    public Map<String, Deque<Object>> deques() {
        return collects();
    }
}
