package jvalkka.sgn.sinks;

import java.util.ArrayList;
import java.util.List;

/**
 * A sink that collects, per sink pad, the data of every non-gap frame into a list:
 * <pre>{@code
 * CollectSink snk = new CollectSink("snk1", "H1");
 * ... pipeline.run();
 * snk.collects().get("H1"); // [10, 20, 30]
 * }</pre>
 * See {@link AbstractCollectSink} for the rules. The lists are {@link ArrayList}s read by the
 * pipeline's thread; read them after {@code run()} returns.
 */
public class CollectSink extends AbstractCollectSink<List<Object>> {
    /**
     * Collects data, skipping gap frames.
     *
     * @param name the name
     * @param sinkPadNames the names of its sink pads
     */
    public CollectSink(String name, String... sinkPadNames) {
        this(name, List.of(sinkPadNames), true, true);
    }

    /**
     * @param extractData collect {@code frame.data()} (true) or the frame itself (false)
     * @param skipEmpty   skip gap frames
     * @param name the name
     * @param sinkPadNames the names of its sink pads
     */
    public CollectSink(String name, List<String> sinkPadNames, boolean extractData, boolean skipEmpty) {
        super(name, sinkPadNames, ArrayList::new, extractData, skipEmpty);
    }
}
