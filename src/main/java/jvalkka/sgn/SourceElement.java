package jvalkka.sgn;

import java.util.List;

/**
 * An element that only produces: it has source pads and no sink pads. Each loop the pipeline
 * calls {@link #internal()} and then {@link #newFrame(SourcePad)} once per source pad.
 *
 * <p>A subclass is one small class with one method:
 * <pre>{@code
 * class Counter extends SourceElement {
 *     int n;
 *     Counter() { super("counter", "out"); }
 *     public Frame newFrame(SourcePad pad) { n++; return new Frame(n, n >= 10, false); }
 * }}</pre>
 * The stream on a pad ends with the first frame whose {@link Frame#isEOS()} is set; sources that
 * should stop on SIGINT/SIGTERM check {@link SignalEOS#signaledEos()}.
 */
public abstract class SourceElement extends Element {
    /**
     * @param name           unique element name, or null/empty for a generated one
     * @param sourcePadNames at least one short pad name
     */
    protected SourceElement(String name, String... sourcePadNames) {
        this(name, List.of(sourcePadNames));
    }

    /**
     * @param name           unique element name, or null/empty for a generated one
     * @param sourcePadNames at least one short pad name
     */
    protected SourceElement(String name, List<String> sourcePadNames) {
        this(name, sourcePadNames, StaticPads.none());
    }

    /**
     * @param name           unique element name, or null/empty for a generated one
     * @param sourcePadNames the user's pad names; the class's static source pads follow them
     * @param staticPads     the pads this class declares for every instance ({@link StaticPads})
     * @throws IllegalArgumentException when {@code staticPads} refuses the user's names, declares
     *     sink pads, or no source pad results
     */
    protected SourceElement(String name, List<String> sourcePadNames, StaticPads staticPads) {
        super(name, List.of(), sourcePadNames, staticPads);
        if (sourcePadArray().length == 0) {
            throw new IllegalArgumentException("SourceElement '" + name() + "' must have at least one source pad");
        }
    }

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
    final void consume(SinkPad pad, Frame frame) {
        throw new IllegalStateException("a SourceElement has no sink pads: " + pad);
    }
}
