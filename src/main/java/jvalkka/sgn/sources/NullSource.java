package jvalkka.sgn.sources;

import java.util.List;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;

/**
 * A source that sends frames without data, for testing and debugging. It is endless unless
 * {@link #numFrames(long)} is set (then each pad sends that many frames and then EOS), and it
 * sends EOS after SIGINT/SIGTERM under a {@link SignalEOS}, which makes it the usual source of a
 * pipeline meant to run until interrupted. {@link #waitMillis(long)} slows it down.
 */
public class NullSource extends SourceElement {
    private final long[] counts;
    private long numFrames = -1;
    private long waitMillis;

    /**
     * An endless null source with the given pads.
     *
     * @param name the name
     * @param sourcePadNames the names of its source pads
     */
    public NullSource(String name, String... sourcePadNames) {
        this(name, List.of(sourcePadNames));
    }

    /**
     * An endless null source with the given pads.
     *
     * @param name the name
     * @param sourcePadNames the names of its source pads
     */
    public NullSource(String name, List<String> sourcePadNames) {
        super(name, sourcePadNames);
        counts = new long[sourcePadNames.size()];
    }

    /**
     * Sends EOS on a pad after {@code numFrames} frames on it; negative means endless. Returns this.
     *
     * @param numFrames how many frames to send
     * @return this
     */
    public NullSource numFrames(long numFrames) {
        this.numFrames = numFrames;
        return this;
    }

    /**
     * Sleeps this long before each frame (0, the default, for not at all). Returns this.
     *
     * @param waitMillis the pause before each frame, in milliseconds
     * @return this
     */
    public NullSource waitMillis(long waitMillis) {
        this.waitMillis = waitMillis;
        return this;
    }

    /**
     * How many frames {@code pad} has sent.
     *
     * @param pad the pad
     * @return how many frames {@code pad} has sent
     */
    public long frameCount(SourcePad pad) {
        return counts[pad.index()];
    }

    @Override
    public Frame newFrame(SourcePad pad) throws InterruptedException {
        if (waitMillis > 0) {
            Thread.sleep(waitMillis);
        }
        long n = ++counts[pad.index()];
        boolean eos = SignalEOS.signaledEos() || (numFrames >= 0 && n > numFrames);
        return new Frame(null, eos, false);
    }
}
