package jvalkka.sgn.sources;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;

/**
 * A source with one iterable per source pad: each loop a pad sends the next item as a frame's
 * data. When a pad's iterator is exhausted it sends a gap frame (no data) which is EOS when
 * {@code eosOnEmpty} is set for that pad (the default), so the stream ends right after the last
 * item; otherwise it keeps sending gaps. A {@code null} item is sent as a gap frame. After
 * SIGINT/SIGTERM under a {@link SignalEOS}, every pad sends EOS.
 *
 * <pre>{@code new IterSource("src1", List.of("H1"), Map.of("H1", List.of(1, 2, 3)))}</pre>
 *
 * <p>Subclasses may override {@link #update(SourcePad)} (refill before each frame) and
 * {@link #makeFrame(Object, boolean, boolean)} (make a frame subclass).
 */
public class IterSource extends SourceElement {
    private final Iterator<?>[] iterators;
    private final boolean[] eosOnEmpty;

    /**
     * One iterable per pad in {@code iters} (a missing pad gets none); EOS when each runs out.
     *
     * @param name the name
     * @param sourcePadNames the names of its source pads
     * @param iters the items of each pad, by pad name
     */
    public IterSource(String name, List<String> sourcePadNames, Map<String, ? extends Iterable<?>> iters) {
        this(name, sourcePadNames, iters, true);
    }

    /**
     * As above, with one {@code eosOnEmpty} setting for every pad.
     *
     * @param name the element's name
     * @param sourcePadNames the names of its source pads
     * @param iters the items of each pad, by pad name
     * @param eosOnEmpty whether a pad whose items ran out sends end of stream
     */
    public IterSource(String name, List<String> sourcePadNames, Map<String, ? extends Iterable<?>> iters,
            boolean eosOnEmpty) {
        this(name, sourcePadNames, iters, uniform(sourcePadNames, eosOnEmpty));
    }

    /**
     * @param name           element name, or null for a generated one
     * @param sourcePadNames the pads, in order
     * @param iters          pad name → iterable; pads without an entry get an empty one; null for
     *                       none at all
     * @param eosOnEmpty     pad name → whether an exhausted pad sends EOS; missing pads: true
     * @throws IllegalArgumentException when a key of {@code iters} or {@code eosOnEmpty} is not
     *     a pad name
     */
    public IterSource(String name, List<String> sourcePadNames, Map<String, ? extends Iterable<?>> iters,
            Map<String, Boolean> eosOnEmpty) {
        super(name, sourcePadNames);
        checkKeys(iters == null ? Set.of() : iters.keySet(), "an iterable");
        checkKeys(eosOnEmpty.keySet(), "an eosOnEmpty setting");
        iterators = new Iterator<?>[sourcePadNames.size()];
        this.eosOnEmpty = new boolean[sourcePadNames.size()];
        for (int i = 0; i < iterators.length; i++) {
            String pad = sourcePadNames.get(i);
            Iterable<?> iterable = iters == null ? null : iters.get(pad);
            iterators[i] = iterable == null ? Collections.emptyIterator() : iterable.iterator();
            this.eosOnEmpty[i] = eosOnEmpty.getOrDefault(pad, Boolean.TRUE);
        }
    }

    private static Map<String, Boolean> uniform(List<String> pads, boolean value) {
        LinkedHashMap<String, Boolean> out = new LinkedHashMap<>();
        for (String pad : pads) {
            out.put(pad, value);
        }
        return out;
    }

    private void checkKeys(Set<String> keys, String what) {
        Set<String> unknown = new LinkedHashSet<>(keys);
        unknown.removeAll(srcs().keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " '" + name() + "' has " + what
                    + " for pads that do not exist: " + unknown + "; its pads are " + srcs().keySet());
        }
    }

    /**
     * Called before each frame on {@code pad}; does nothing unless overridden.
     *
     * @param pad the pad
     * @throws Exception whatever the code it runs throws
     */
    protected void update(SourcePad pad) throws Exception {
    }

    /**
     * Makes the frame to send; override to send a frame subclass.
     *
     * @param data the payload
     * @param eos whether the frame ends its stream
     * @param gap whether the frame carries no data
     * @return the frame
     */
    protected Frame makeFrame(Object data, boolean eos, boolean gap) {
        return new Frame(data, eos, gap);
    }

    @Override
    public Frame newFrame(SourcePad pad) throws Exception {
        update(pad);
        int i = pad.index();
        if (SignalEOS.signaledEos()) {
            return makeFrame(null, true, true);
        }
        Iterator<?> it = iterators[i];
        if (it.hasNext()) {
            Object data = it.next();
            return makeFrame(data, false, data == null);
        }
        return makeFrame(null, eosOnEmpty[i], true);
    }
}
