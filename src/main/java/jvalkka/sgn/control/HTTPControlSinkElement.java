package jvalkka.sgn.control;

import java.util.List;
import java.util.Map;
import jvalkka.sgn.SinkElement;

/**
 * A {@link SinkElement} whose state {@link HTTPControl} serves and changes (SGN's
 * {@code HTTPControlSinkElement}): routes {@code /get/<name>[/<key>]} and {@code /post/<name>}. Keep
 * the state in a map and call {@link #exchangeState(Map)} where the element should see changes,
 * usually once per loop:
 * <pre>{@code
 * final Map<String, Object> state = new LinkedHashMap<>(Map.of("gain", 1.0));
 * ... exchangeState(state); double gain = (Double) state.get("gain"); ...
 * }</pre>
 */
public abstract class HTTPControlSinkElement extends SinkElement implements Controlled {
    private final ControlState control;

    /**
     * See {@link SinkElement#SinkElement(String, String...)}.
     *
     * @param name the name
     * @param sinkPadNames the names of its sink pads
     */
    protected HTTPControlSinkElement(String name, String... sinkPadNames) {
        this(name, List.of(sinkPadNames));
    }

    /**
     * See {@link SinkElement#SinkElement(String, List)}.
     *
     * @param name the name
     * @param sinkPadNames the names of its sink pads
     */
    protected HTTPControlSinkElement(String name, List<String> sinkPadNames) {
        super(name, sinkPadNames);
        control = new ControlState(name());
    }

    /**
     * SGN's {@code exchange_state}: takes the values posted since the last call into
     * {@code state} (converted to the types of the values they replace), then publishes a copy
     * of {@code state} for {@code GET}. Call it from the pipeline's thread. Returns {@code state}.
     *
     * @param state the state to exchange
     * @return the state to send back
     */
    protected final Map<String, Object> exchangeState(Map<String, Object> state) {
        return control.exchange(state);
    }

    @Override
    public final ControlState controlState() {
        return control;
    }
}
