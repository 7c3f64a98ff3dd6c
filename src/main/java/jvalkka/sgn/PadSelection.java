package jvalkka.sgn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Some pads of one element, chosen by short name, for {@link Pipeline#connect}. Made with
 * {@link Groups#select(Element, String...)}. A name may pick a source pad, a sink pad or both
 * (a transform may use the same short name on each side); which side is used is decided by the
 * position in {@code connect}. Immutable.
 */
public final class PadSelection implements PadProvider {
    private final Element element;
    private final Set<String> padNames;

    PadSelection(Element element, Set<String> padNames) {
        this.element = element;
        Set<String> available = new LinkedHashSet<>(element.srcs().keySet());
        available.addAll(element.snks().keySet());
        Set<String> unknown = new LinkedHashSet<>(padNames);
        unknown.removeAll(available);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("pad names " + unknown + " not found on element '" + element.name()
                    + "'; pad names available: " + available);
        }
        if (padNames.isEmpty()) {
            throw new IllegalArgumentException("select(" + element.name() + ") needs at least one pad name");
        }
        this.padNames = Collections.unmodifiableSet(new LinkedHashSet<>(padNames));
    }

    /**
     * The element the pads belong to.
     *
     * @return the element the pads belong to
     */
    public Element element() {
        return element;
    }

    /**
     * The selected short pad names.
     *
     * @return the selected short pad names
     */
    public Set<String> padNames() {
        return padNames;
    }

    @Override
    public Map<String, SourcePad> srcs() {
        Map<String, SourcePad> out = new LinkedHashMap<>();
        element.srcs().forEach((n, p) -> {
            if (padNames.contains(n)) {
                out.put(n, p);
            }
        });
        return out;
    }

    @Override
    public Map<String, SinkPad> snks() {
        Map<String, SinkPad> out = new LinkedHashMap<>();
        element.snks().forEach((n, p) -> {
            if (padNames.contains(n)) {
                out.put(n, p);
            }
        });
        return out;
    }

    @Override
    public List<Element> elements() {
        return List.of(element);
    }

    @Override
    public String toString() {
        return "select(" + element.name() + ", " + padNames + ")";
    }
}
