package jvalkka.sgn.sinks;

import java.io.PrintStream;
import java.util.List;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;

/**
 * A sink that drops every frame (after marking EOS when a frame is EOS), for tests and for
 * pipelines that need a sink but keep nothing. {@link #verbose(PrintStream)} prints each frame.
 */
public class NullSink extends SinkElement {
    private PrintStream out;

    /**
     * A silent null sink with the given pads.
     *
     * @param name the name
     * @param sinkPadNames the names of its sink pads
     */
    public NullSink(String name, String... sinkPadNames) {
        this(name, List.of(sinkPadNames));
    }

    /**
     * A silent null sink with the given pads.
     *
     * @param name the name
     * @param sinkPadNames the names of its sink pads
     */
    public NullSink(String name, List<String> sinkPadNames) {
        super(name, sinkPadNames);
    }

    /**
     * Prints {@code "<pad>: <frame>"} for every frame to {@code out} (null: silent). Returns this.
     *
     * @param out where to print each frame
     * @return this
     */
    public NullSink verbose(PrintStream out) {
        this.out = out;
        return this;
    }

    @Override
    public void pull(SinkPad pad, Frame frame) {
        if (frame.isEOS()) {
            markEos(pad);
        }
        if (out != null) {
            out.println(pad.name() + ": " + frame);
        }
    }
}
