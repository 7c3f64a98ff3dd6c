package jvalkka.sgn;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Several elements and pad selections connected together, made with
 * {@link Groups#group(PadProvider...)}. Whether its source or its sink pads are used is decided
 * by its position in {@link Pipeline#connect}; the short pad names of the members must then be
 * distinct. Immutable.
 */
public final class ElementGroup implements PadProvider {
    private final List<PadProvider> items; // Elements and PadSelections only

    ElementGroup(List<PadProvider> items) {
        this.items = List.copyOf(items);
    }

    /**
     * The members: elements and pad selections, in order.
     *
     * @return the members: elements and pad selections, in order
     */
    public List<PadProvider> items() {
        return items;
    }

    /**
     * A group of the pads named {@code padNames} of every member that has any of them; members
     * that have none drop out.
     *
     * @param padNames the pad names
     * @return a group of the pads named {@code padNames} of every member that has any of them; members that have none drop out
     */
    public ElementGroup select(String... padNames) {
        Set<String> wanted = new LinkedHashSet<>(List.of(padNames));
        List<PadProvider> selected = new ArrayList<>();
        for (PadProvider item : items) {
            Element element;
            Set<String> available;
            if (item instanceof PadSelection sel) {
                element = sel.element();
                available = new LinkedHashSet<>(sel.padNames());
            } else {
                element = (Element) item;
                available = new LinkedHashSet<>(element.srcs().keySet());
                available.addAll(element.snks().keySet());
            }
            available.retainAll(wanted);
            if (!available.isEmpty()) {
                selected.add(new PadSelection(element, available));
            }
        }
        return new ElementGroup(selected);
    }

    @Override
    public Map<String, SourcePad> srcs() {
        Map<String, SourcePad> combined = new LinkedHashMap<>();
        for (PadProvider item : items) {
            if (item instanceof SinkElement sink) {
                throw new IllegalArgumentException("element '" + sink.name()
                        + "' is a SinkElement and has no source pads");
            }
            item.srcs().forEach((n, p) -> {
                if (combined.putIfAbsent(n, p) != null) {
                    throw new IllegalArgumentException("duplicate source pad name '" + n + "' in group (on '"
                            + combined.get(n).element().name() + "' and '" + p.element().name()
                            + "'); select pads or pass an explicit link map");
                }
            });
        }
        return combined;
    }

    @Override
    public Map<String, SinkPad> snks() {
        Map<String, SinkPad> combined = new LinkedHashMap<>();
        for (PadProvider item : items) {
            if (item instanceof SourceElement source) {
                throw new IllegalArgumentException("element '" + source.name()
                        + "' is a SourceElement and has no sink pads");
            }
            item.snks().forEach((n, p) -> {
                if (combined.putIfAbsent(n, p) != null) {
                    throw new IllegalArgumentException("duplicate sink pad name '" + n + "' in group (on '"
                            + combined.get(n).element().name() + "' and '" + p.element().name()
                            + "'); select pads or pass an explicit link map");
                }
            });
        }
        return combined;
    }

    @Override
    public List<Element> elements() {
        Map<Element, Boolean> seen = new IdentityHashMap<>();
        List<Element> out = new ArrayList<>();
        for (PadProvider item : items) {
            for (Element e : item.elements()) {
                if (seen.put(e, Boolean.TRUE) == null) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "group" + items;
    }
}
