package jvalkka.sgn;

import java.util.HashSet;

/**
 * A check of an element's pads (SGN's {@code sgn.validator}), to run at construction so that an
 * element built with the wrong pads fails at once, naming itself:
 * <pre>{@code
 * class Scale extends TransformElement {
 *     Scale(String name, List<String> sinks, List<String> sources) {
 *         super(name, sinks, sources);
 *         Validator.oneToOne().validate(this); // "scale requires exactly one sink and source pad, ..."
 *     }
 *     ...
 * }}</pre>
 * SGN's decorator form (a validator wrapping a custom {@code validate} method) is
 * {@link #andThen}: {@code Validator.oneToOne().andThen(e -> myChecks()).validate(this)}.
 *
 * <p>A failed check throws {@link IllegalArgumentException} (SGN raises {@code AssertionError})
 * with SGN's message, for example {@code "t requires exactly one sink and source pad, got 2 sink
 * pads and 1 source pads"}. Validators are stateless and thread-safe.
 */
@FunctionalInterface
public interface Validator {
    /**
     * Checks {@code element}.
     *
     * @throws IllegalArgumentException when the element does not pass, naming it
     * @param element the element
     */
    void validate(Element element);

    /**
     * This check, then {@code next}.
     *
     * @param next the validator to run after this one
     * @return a validator that runs both
     */
    default Validator andThen(Validator next) {
        return element -> {
            validate(element);
            next.validate(element);
        };
    }

    /**
     * Exactly one sink pad and one source pad (a one-to-one transform).
     *
     * @return a validator for one sink pad for each source pad
     */
    static Validator oneToOne() {
        return e -> {
            int sinks = e.sinkPadArray().length;
            int sources = e.sourcePadArray().length;
            if (sinks != 1 || sources != 1) {
                throw new IllegalArgumentException(e.name() + " requires exactly one sink and source pad, got " + sinks
                        + " sink pads and " + sources + " source pads");
            }
        };
    }

    /**
     * Exactly one sink pad, any number of source pads (a one-to-many transform).
     *
     * @return a validator for one sink pad, several source pads
     */
    static Validator oneToMany() {
        return e -> {
            int sinks = e.sinkPadArray().length;
            if (sinks != 1) {
                throw new IllegalArgumentException(e.name() + " requires exactly one sink pad, got " + sinks);
            }
        };
    }

    /**
     * Exactly one source pad, any number of sink pads (a many-to-one transform).
     *
     * @return a validator for several sink pads, one source pad
     */
    static Validator manyToOne() {
        return e -> {
            int sources = e.sourcePadArray().length;
            if (sources != 1) {
                throw new IllegalArgumentException(e.name() + " requires exactly one source pad, got " + sources);
            }
        };
    }

    /**
     * Exactly {@code sinkPads} sink pads and {@code sourcePads} source pads; {@code null} leaves
     * that kind unchecked (SGN's {@code num_pads(sink_pads=..., source_pads=...)}).
     *
     * @throws IllegalArgumentException for a negative count
     * @param sinkPads the number of sink pads, or null for any
     * @param sourcePads the number of source pads, or null for any
     * @return a validator of the pad counts
     */
    static Validator numPads(Integer sinkPads, Integer sourcePads) {
        if ((sinkPads != null && sinkPads < 0) || (sourcePads != null && sourcePads < 0)) {
            throw new IllegalArgumentException("numPads: pad counts must not be negative, got sinkPads=" + sinkPads
                    + ", sourcePads=" + sourcePads);
        }
        return e -> {
            int sinks = e.sinkPadArray().length;
            int sources = e.sourcePadArray().length;
            if (sinkPads != null && sinks != sinkPads) {
                throw new IllegalArgumentException(e.name() + " requires exactly " + sinkPads + " sink pad(s), got "
                        + sinks);
            }
            if (sourcePads != null && sources != sourcePads) {
                throw new IllegalArgumentException(e.name() + " requires exactly " + sourcePads + " source pad(s), got "
                        + sources);
            }
        };
    }

    /**
     * The same set of names on the sink pads as on the source pads, in any order.
     *
     * @return the same set of names on the sink pads as on the source pads, in any order
     */
    static Validator padNamesMatch() {
        return e -> {
            if (!new HashSet<>(e.sourcePadNames()).equals(new HashSet<>(e.sinkPadNames()))) {
                throw new IllegalArgumentException(e.name() + " requires source and sink pad names to match. Source: "
                        + e.sourcePadNames() + ", Sink: " + e.sinkPadNames());
            }
        };
    }

    /**
     * Exactly one sink pad (a single-pad sink).
     *
     * @return a validator for a single pad
     */
    static Validator singlePad() {
        return e -> {
            int sinks = e.sinkPadArray().length;
            if (sinks != 1) {
                throw new IllegalArgumentException(e.name() + " requires exactly one sink pad, got " + sinks);
            }
        };
    }
}
