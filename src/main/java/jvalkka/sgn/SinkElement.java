package jvalkka.sgn;

import java.util.List;

/**
 * An element that only consumes: it has sink pads and no source pads. Each loop the pipeline
 * calls {@link #pull(SinkPad, Frame)} once per sink pad, then {@link #internal()}. The pipeline
 * runs until every sink element is {@link #atEos()}; a sink learns of the end of its stream by
 * calling {@link #markEos(SinkPad)} when it pulls an EOS frame:
 * <pre>{@code
 * class Printer extends SinkElement {
 *     Printer() { super("printer", "in"); }
 *     public void pull(SinkPad pad, Frame frame) {
 *         if (frame.isEOS()) markEos(pad);
 *         System.out.println(frame);
 *     }
 * }}</pre>
 */
public abstract class SinkElement extends Element {
    private final boolean[] eosPads;
    private int eosCount;

    /**
     * @param name         unique element name, or null/empty for a generated one
     * @param sinkPadNames at least one short pad name
     */
    protected SinkElement(String name, String... sinkPadNames) {
        this(name, List.of(sinkPadNames));
    }

    /**
     * @param name         unique element name, or null/empty for a generated one
     * @param sinkPadNames at least one short pad name
     */
    protected SinkElement(String name, List<String> sinkPadNames) {
        this(name, sinkPadNames, StaticPads.none());
    }

    /**
     * @param name         unique element name, or null/empty for a generated one
     * @param sinkPadNames the user's pad names; the class's static sink pads follow them
     * @param staticPads   the pads this class declares for every instance ({@link StaticPads})
     * @throws IllegalArgumentException when {@code staticPads} refuses the user's names, declares
     *     source pads, or no sink pad results
     */
    protected SinkElement(String name, List<String> sinkPadNames, StaticPads staticPads) {
        super(name, sinkPadNames, List.of(), staticPads);
        if (sinkPadArray().length == 0) {
            throw new IllegalArgumentException("SinkElement '" + name() + "' must have at least one sink pad");
        }
        eosPads = new boolean[sinkPadArray().length];
    }

    /**
     * Receives this loop's frame on {@code pad}; call {@link #markEos(SinkPad)} when the frame is
     * EOS.
     *
     * @throws Exception stops the run; the pipeline reports it against {@code pad}
     * @param pad the pad
     * @param frame the frame
     */
    public abstract void pull(SinkPad pad, Frame frame) throws Exception;

    /**
     * Marks {@code pad} (one of this element's sink pads) as having received end of stream.
     *
     * @param pad the pad
     */
    public final void markEos(SinkPad pad) {
        if (pad.element() != this) {
            throw new IllegalArgumentException(pad + " is not a sink pad of " + name());
        }
        if (!eosPads[pad.index()]) {
            eosPads[pad.index()] = true;
            eosCount++;
        }
    }

    /**
     * Whether {@code pad} has been marked EOS.
     *
     * @param pad the pad
     * @return whether {@code pad} has been marked EOS
     */
    public final boolean isEos(SinkPad pad) {
        return pad.element() == this && eosPads[pad.index()];
    }

    /**
     * Whether this sink is done. As in SGN, a sink is at EOS as soon as ANY of its pads is
     * marked EOS; override to require all pads (for example {@code return eosCount() ==
     * sinkPads().size();}).
     *
     * @return whether this sink is done
     */
    public boolean atEos() {
        return eosCount > 0;
    }

    /**
     * How many of this element's sink pads are marked EOS.
     *
     * @return how many of this element's sink pads are marked EOS
     */
    public final int eosCount() {
        return eosCount;
    }

    @Override
    final Frame produce(SourcePad pad) {
        throw new IllegalStateException("a SinkElement has no source pads: " + pad);
    }

    @Override
    final void consume(SinkPad pad, Frame frame) throws Exception {
        pull(pad, frame);
    }
}
