package jvalkka.sgn.sources;

import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;

/**
 * A source with one deque per source pad: each loop a pad takes the item at the head of its
 * deque ({@link Deque#pollFirst()}) and sends it as a frame's data, so items added with
 * {@link Deque#add} come out first-in first-out. (SGN pops the right end of its deques, which is
 * first-in first-out for producers that {@code appendleft}; Java's convention is add at the
 * tail, take from the head.) An empty deque sends a gap frame, EOS when {@code eosOnEmpty} is
 * set for the pad (the default). After SIGINT/SIGTERM under a {@link SignalEOS}, every pad sends
 * EOS.
 *
 * <p>The deques are {@link ConcurrentLinkedDeque}s, so another thread may feed them through
 * {@link #deques()} while the pipeline runs; they cannot hold {@code null}.
 */
public class DequeSource extends SourceElement {
    private final Deque<Object>[] deques;
    private final boolean[] eosOnEmpty;
    private final Map<String, Deque<Object>> byName;

    /**
     * Deques filled from {@code initial} (pad name → items; missing pads start empty).
     *
     * @param name the name
     * @param sourcePadNames the names of its source pads
     * @param initial the items each pad starts with, by pad name
     */
    public DequeSource(String name, List<String> sourcePadNames, Map<String, ? extends Collection<?>> initial) {
        this(name, sourcePadNames, initial, true);
    }

    /**
     * @param name           element name, or null for a generated one
     * @param sourcePadNames the pads, in order
     * @param initial        pad name → initial items, or null; every key must be a pad name
     * @param eosOnEmpty     whether a pad whose deque is empty sends EOS (else a gap)
     */
    @SuppressWarnings("unchecked")
    public DequeSource(String name, List<String> sourcePadNames, Map<String, ? extends Collection<?>> initial,
            boolean eosOnEmpty) {
        super(name, sourcePadNames);
        Set<String> unknown = new LinkedHashSet<>(initial == null ? Set.of() : initial.keySet());
        unknown.removeAll(sourcePadNames);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("DequeSource '" + name() + "' has items for pads that do not exist: "
                    + unknown + "; its pads are " + sourcePadNames);
        }
        deques = (Deque<Object>[]) new Deque<?>[sourcePadNames.size()];
        this.eosOnEmpty = new boolean[deques.length];
        Map<String, Deque<Object>> map = new LinkedHashMap<>();
        for (int i = 0; i < deques.length; i++) {
            Collection<?> items = initial == null ? null : initial.get(sourcePadNames.get(i));
            deques[i] = items == null ? new ConcurrentLinkedDeque<>() : new ConcurrentLinkedDeque<>(items);
            this.eosOnEmpty[i] = eosOnEmpty;
            map.put(sourcePadNames.get(i), deques[i]);
        }
        byName = Collections.unmodifiableMap(map);
    }

    /**
     * Pad name → its deque (live: add items to feed the pad).
     *
     * @return the deques, by pad name
     */
    public Map<String, Deque<Object>> deques() {
        return byName;
    }

    @Override
    public Frame newFrame(SourcePad pad) {
        int i = pad.index();
        if (SignalEOS.signaledEos()) {
            return new Frame(null, true, true);
        }
        Object data = deques[i].pollFirst();
        return data != null ? new Frame(data) : new Frame(null, eosOnEmpty[i], true);
    }
}
