package jvalkka.sgn;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * SGN's {@code group} and {@code select}, for connecting several elements or a subset of pads at
 * once. Use with a static import:
 * <pre>{@code
 * import static jvalkka.sgn.Groups.*;
 * pipeline.connect(group(src1, select(src2, "L1")), sink); // H1->H1, L1->L1
 * }</pre>
 */
public final class Groups {
    private Groups() {
    }

    /**
     * A group of elements, pad selections and (flattened) other groups.
     *
     * @throws IllegalArgumentException for anything else
     * @param items the items
     * @return a group of elements, pad selections and (flattened) other groups
     */
    public static ElementGroup group(PadProvider... items) {
        List<PadProvider> all = new ArrayList<>();
        for (PadProvider item : items) {
            if (item instanceof ElementGroup g) {
                all.addAll(g.items());
            } else if (item instanceof Element || item instanceof PadSelection) {
                all.add(item);
            } else {
                throw new IllegalArgumentException("expected an Element, PadSelection or ElementGroup, got "
                        + (item == null ? "null" : item.getClass().getName()));
            }
        }
        return new ElementGroup(all);
    }

    /**
     * The pads of {@code element} named {@code padNames} (source, sink or both).
     *
     * @param element the element
     * @param padNames the pad names
     * @return the pads of {@code element} named {@code padNames} (source, sink or both)
     */
    public static PadSelection select(Element element, String... padNames) {
        return new PadSelection(element, new LinkedHashSet<>(List.of(padNames)));
    }

    /**
     * A narrower selection: the pads of {@code selection} that are also named in {@code padNames}.
     *
     * @param selection the pads selected so far
     * @param padNames the names of the pads to keep
     * @return the selection narrowed to those pads
     */
    public static PadSelection select(PadSelection selection, String... padNames) {
        Set<String> narrowed = new LinkedHashSet<>(selection.padNames());
        narrowed.retainAll(Set.of(padNames));
        if (narrowed.isEmpty()) {
            throw new IllegalArgumentException("no matching pads found: requested " + List.of(padNames)
                    + ", available " + selection.padNames());
        }
        return new PadSelection(selection.element(), narrowed);
    }

    /**
     * The pads named {@code padNames} of every member of {@code group}; see {@link ElementGroup#select}.
     *
     * @param group the event group
     * @param padNames the pad names
     * @return the pads named {@code padNames} of every member of {@code group}; see {@link ElementGroup#select}
     */
    public static ElementGroup select(ElementGroup group, String... padNames) {
        return group.select(padNames);
    }
}
