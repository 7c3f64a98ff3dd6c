package jvalkka.sgn;

import java.util.List;

/**
 * An element with both sink and source pads. Each loop the pipeline calls
 * {@link #pull(SinkPad, Frame)} once per sink pad, then {@link #internal()}, then
 * {@link #newFrame(SourcePad)} once per source pad; every frame pulled in a loop was produced
 * upstream in that same loop.
 *
 * <p>A subclass is one small class with two methods:
 * <pre>{@code
 * class Doubler extends TransformElement {
 *     Frame in;
 *     Doubler() { super("doubler", List.of("in"), List.of("out")); }
 *     public void pull(SinkPad pad, Frame frame) { in = frame; }
 *     public Frame newFrame(SourcePad pad) {
 *         return new Frame(in.isGap() ? null : (Integer) in.data() * 2, in.isEOS(), in.isGap());
 *     }
 * }}</pre>
 * Passing EOS on is the subclass's job, as in SGN.
 */
public abstract class TransformElement extends Element {
    /**
     * @param name           unique element name, or null/empty for a generated one
     * @param sinkPadNames   at least one short sink pad name
     * @param sourcePadNames at least one short source pad name
     */
    protected TransformElement(String name, List<String> sinkPadNames, List<String> sourcePadNames) {
        this(name, sinkPadNames, sourcePadNames, StaticPads.none());
    }

    /**
     * @param name           unique element name, or null/empty for a generated one
     * @param sinkPadNames   the user's sink pad names; the class's static sink pads follow them
     * @param sourcePadNames the user's source pad names; the class's static source pads follow
     * @param staticPads     the pads this class declares for every instance ({@link StaticPads})
     * @throws IllegalArgumentException when {@code staticPads} refuses the user's names, or no
     *     sink or no source pad results
     */
    protected TransformElement(String name, List<String> sinkPadNames, List<String> sourcePadNames,
            StaticPads staticPads) {
        super(name, sinkPadNames, sourcePadNames, staticPads);
        if (sinkPadArray().length == 0 || sourcePadArray().length == 0) {
            throw new IllegalArgumentException("TransformElement '" + name()
                    + "' must have at least one sink pad and one source pad");
        }
    }

    /**
     * Receives this loop's frame on {@code pad}.
     *
     * @throws Exception stops the run; the pipeline reports it against {@code pad}
     * @param pad the pad
     * @param frame the frame
     */
    public abstract void pull(SinkPad pad, Frame frame) throws Exception;

    /**
     * Makes this loop's frame for {@code pad} (SGN's {@code new}). Must not return {@code null}.
     *
     * @throws Exception stops the run; the pipeline reports it against {@code pad}
     * @param pad the source pad that asks for a frame
     * @return the frame
     */
    public abstract Frame newFrame(SourcePad pad) throws Exception;

    @Override
    final Frame produce(SourcePad pad) throws Exception {
        return newFrame(pad);
    }

    @Override
    final void consume(SinkPad pad, Frame frame) throws Exception {
        pull(pad, frame);
    }
}
