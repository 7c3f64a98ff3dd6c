package jvalkka.sgn;

import java.util.List;

/**
 * Pads that an element class declares for every instance (SGN's {@code static_sink_pads},
 * {@code static_source_pads}, {@code allow_dynamic_sink_pads} and
 * {@code allow_dynamic_source_pads}). The element appends the static pads after the pad names
 * its user gives; a kind of pad whose dynamic pads are not allowed takes no user names at all.
 *
 * <p>A class passes its declaration to its super constructor, usually as a constant:
 * <pre>{@code
 * class Mixer extends TransformElement {
 *     static final StaticPads PADS = StaticPads.none()
 *             .sinkPads("left", "right").allowDynamicSinkPads(false)
 *             .sourcePads("monitor");
 *     Mixer(String name, List<String> outputs) { super(name, List.of(), outputs, PADS); }
 *     ...
 * }
 * new Mixer("m", List.of("out")); // sinks [left, right], sources [out, monitor]
 * }</pre>
 * Pads computed per instance (SGN's {@code static_sink_pads} as a property) are built in the
 * constructor from its arguments: {@code super(name, sinks, sources,
 * StaticPads.none().sinkPads(extraPadName))}.
 *
 * <p>The rules, checked when the element is constructed, each with an error naming the element:
 * dynamic pads of a kind not allowed while the class declares no static pads of that kind
 * (the element would have no way to get such pads); user pad names of a kind whose dynamic pads
 * are not allowed; static pads of a kind the element cannot have (sink pads on a source).
 * Immutable; the {@code with}-style methods return a new declaration.
 */
public final class StaticPads {
    private static final StaticPads NONE = new StaticPads(List.of(), List.of(), true, true);

    private final List<String> sinkPads;
    private final List<String> sourcePads;
    private final boolean allowDynamicSinkPads;
    private final boolean allowDynamicSourcePads;

    private StaticPads(List<String> sinkPads, List<String> sourcePads, boolean allowDynamicSinkPads,
            boolean allowDynamicSourcePads) {
        this.sinkPads = sinkPads;
        this.sourcePads = sourcePads;
        this.allowDynamicSinkPads = allowDynamicSinkPads;
        this.allowDynamicSourcePads = allowDynamicSourcePads;
    }

    /**
     * No static pads; user pads allowed of both kinds: what an element has by default.
     *
     * @return the pads an element has by default
     */
    public static StaticPads none() {
        return NONE;
    }

    /**
     * This declaration with {@code names} as the static sink pads (replacing any before).
     *
     * @param names the names
     * @return this declaration with {@code names} as the static sink pads (replacing any before)
     */
    public StaticPads sinkPads(String... names) {
        return new StaticPads(List.of(names), sourcePads, allowDynamicSinkPads, allowDynamicSourcePads);
    }

    /**
     * This declaration with {@code names} as the static source pads (replacing any before).
     *
     * @param names the names
     * @return this declaration with {@code names} as the static source pads (replacing any before)
     */
    public StaticPads sourcePads(String... names) {
        return new StaticPads(sinkPads, List.of(names), allowDynamicSinkPads, allowDynamicSourcePads);
    }

    /**
     * This declaration with user sink pad names allowed ({@code true}, the default) or refused.
     *
     * @param allow whether to allow it
     * @return this declaration with user sink pad names allowed ({@code true}, the default) or refused
     */
    public StaticPads allowDynamicSinkPads(boolean allow) {
        return new StaticPads(sinkPads, sourcePads, allow, allowDynamicSourcePads);
    }

    /**
     * This declaration with user source pad names allowed ({@code true}, the default) or refused.
     *
     * @param allow whether to allow it
     * @return this declaration with user source pad names allowed ({@code true}, the default) or refused
     */
    public StaticPads allowDynamicSourcePads(boolean allow) {
        return new StaticPads(sinkPads, sourcePads, allowDynamicSinkPads, allow);
    }

    /**
     * The static sink pad names, in order.
     *
     * @return the static sink pad names, in order
     */
    public List<String> sinkPads() {
        return sinkPads;
    }

    /**
     * The static source pad names, in order.
     *
     * @return the static source pad names, in order
     */
    public List<String> sourcePads() {
        return sourcePads;
    }

    /**
     * Whether users may give sink pad names of their own.
     *
     * @return whether users may give sink pad names of their own
     */
    public boolean allowDynamicSinkPads() {
        return allowDynamicSinkPads;
    }

    /**
     * Whether users may give source pad names of their own.
     *
     * @return whether users may give source pad names of their own
     */
    public boolean allowDynamicSourcePads() {
        return allowDynamicSourcePads;
    }

    @Override
    public String toString() {
        return "StaticPads[sinkPads=" + sinkPads + ", sourcePads=" + sourcePads + ", allowDynamicSinkPads="
                + allowDynamicSinkPads + ", allowDynamicSourcePads=" + allowDynamicSourcePads + "]";
    }
}
