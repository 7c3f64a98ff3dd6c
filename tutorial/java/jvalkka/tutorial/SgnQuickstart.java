package jvalkka.tutorial;

import java.util.List;
import java.util.Map;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.transforms.CallableTransform;

/**
 * SGN quick start: IterSource -> CallableTransform (x10) -> CollectSink, the first pipeline of
 * SGN's README, in Java. See tutorial/sgn.md.
 */
public final class SgnQuickstart {
    private SgnQuickstart() {
    }

    /** The function the transform applies; gap and EOS frames carry no data. */
    static Object scale(Frame frame, int factor) {
        return frame.data() == null ? null : (Integer) frame.data() * factor;
    }

    public static void main(String[] args) {
        // A source with one pad, "H1", that sends 1, 2, 3 and then EOS.
        IterSource src = new IterSource("src1", List.of("H1"), Map.of("H1", List.of(1, 2, 3)));

        // A transform from an ordinary function: sink pad "H1" in, source pad "H1" out.
        CallableTransform trn1 = CallableTransform.fromCallable("t1", frame -> scale(frame, 10), "H1", "H1");

        // A sink that keeps the data it receives, per pad.
        CollectSink snk = new CollectSink("snk1", "H1");

        Pipeline p = new Pipeline();
        p.connect(src, trn1); // same pad names: H1 -> H1
        p.connect(trn1, snk); // H1 -> H1
        System.out.println("links: " + p.edges());

        p.run(); // loop after loop until the sink has seen EOS
        System.out.println("loops run: " + p.loops());
        System.out.println("collected on H1: " + snk.collects().get("H1"));
        if (!snk.collects().get("H1").equals(List.of(10, 20, 30))) {
            throw new AssertionError("expected [10, 20, 30]");
        }
    }
}
