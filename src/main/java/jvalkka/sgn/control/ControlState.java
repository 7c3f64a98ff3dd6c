package jvalkka.sgn.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The mailbox between one element and {@link HTTPControl}: what the element last published
 * (served by {@code GET /get/<element>}) and the values posted since it last looked
 * ({@code POST /post/<element>}).
 *
 * <p>The element side is {@link #exchange(Map)} (SGN's {@code exchange_state}), called from the
 * pipeline's thread, typically once per loop: it first takes the posted values into the
 * element's state map, converted to the type of the value they replace, then publishes a copy
 * of the map. It allocates one small map per call and takes no lock.
 *
 * <p>The HTTP side checks a post before it is accepted, once the element has published: a key
 * the state does not have, or a value that cannot become the type of the value it replaces, is
 * refused with an {@link IllegalArgumentException} naming it, so that the pipeline never sees bad
 * input. Posts that arrive between two exchanges are merged (the later value of a key wins);
 * SGN keeps only the last post.
 *
 * <p>Values should be JSON-like and immutable (numbers, strings, booleans, lists and maps of
 * them): the published copy is shallow. Thread-safe.
 */
public final class ControlState {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("sgn.control");

    private final String elementName;
    private final AtomicReference<Map<String, Object>> posted = new AtomicReference<>();
    private volatile Map<String, Object> published;

    /**
     * A mailbox for the element named {@code elementName}.
     *
     * @param elementName the name of the element whose state this is
     */
    public ControlState(String elementName) {
        this.elementName = elementName;
    }

    /**
     * The element's name.
     *
     * @return the element's name
     */
    public String elementName() {
        return elementName;
    }

    /**
     * Element side, SGN's {@code exchange_state}: updates the keys of {@code state} that were
     * posted since the last call (each converted to the type of the value it replaces; keys
     * {@code state} does not have are ignored), then publishes a copy of {@code state} for
     * {@code GET}. Returns {@code state}.
     *
     * @param state the state to exchange
     * @return the state to send back
     */
    public Map<String, Object> exchange(Map<String, Object> state) {
        Map<String, Object> in = posted.getAndSet(null);
        if (in != null) {
            for (Map.Entry<String, Object> e : in.entrySet()) {
                if (state.containsKey(e.getKey())) {
                    try {
                        state.put(e.getKey(), convert(e.getKey(), e.getValue(), state.get(e.getKey())));
                    } catch (IllegalArgumentException x) { // the state changed type since the post was checked
                        LOG.warn("ignoring a posted value: {}", x.getMessage());
                    }
                }
            }
        }
        published = Collections.unmodifiableMap(new LinkedHashMap<>(state));
        return state;
    }

    /**
     * The state last published, or null before the first {@link #exchange(Map)}.
     *
     * @return the state last published, or null before the first {@link #exchange(Map)}
     */
    public Map<String, Object> published() {
        return published;
    }

    /**
     * Whether posted values are waiting for the next {@link #exchange(Map)}.
     *
     * @return whether posted values are waiting for the next {@link #exchange(Map)}
     */
    public boolean hasPending() {
        return posted.get() != null;
    }

    /**
     * HTTP side: accepts posted values for the next exchange.
     *
     * @throws IllegalArgumentException once the element has published, for a key its state does
     *     not have or a value that cannot take the type of the value it replaces; nothing of the
     *     post is kept then
     * @param values the values
     */
    public void post(Map<String, Object> values) {
        Map<String, Object> checked = new LinkedHashMap<>(values);
        Map<String, Object> current = published;
        if (current != null) {
            for (Map.Entry<String, Object> e : checked.entrySet()) {
                if (!current.containsKey(e.getKey())) {
                    throw new IllegalArgumentException("element '" + elementName + "' has no state key '" + e.getKey()
                            + "'; its keys are " + keys(current));
                }
                e.setValue(convert(e.getKey(), e.getValue(), current.get(e.getKey())));
            }
        }
        posted.accumulateAndGet(checked, (old, add) -> {
            if (old == null) {
                return add;
            }
            Map<String, Object> merged = new LinkedHashMap<>(old);
            merged.putAll(add);
            return merged;
        });
    }

    private static Set<String> keys(Map<String, Object> m) {
        return m.keySet();
    }

    /** {@code value} as the type of {@code like} (SGN: {@code type(state[k])(posted[k])}). */
    private Object convert(String key, Object value, Object like) {
        if (value == null || like == null || like.getClass().isInstance(value)) {
            return value;
        }
        try {
            return JSON.convertValue(value, like.getClass());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("state key '" + key + "' of element '" + elementName + "' holds a "
                    + like.getClass().getSimpleName() + " (" + like + "); cannot make one of "
                    + describe(value), e);
        }
    }

    private static String describe(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return String.valueOf(value);
        }
    }

    @Override
    public String toString() {
        return "ControlState(" + elementName + ", published=" + published + ")";
    }
}
