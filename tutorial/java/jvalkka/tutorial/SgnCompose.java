package jvalkka.tutorial;

import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import jvalkka.sgn.Compose;
import jvalkka.sgn.ComposedSinkElement;
import jvalkka.sgn.ComposedSourceElement;
import jvalkka.sgn.ComposedTransformElement;
import jvalkka.sgn.Element;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.transforms.CallableTransform;

/**
 * SGN Compose: a source, a transform and a sink, each built out of a small subgraph with
 * {@link Compose}, then used as three ordinary elements. See tutorial/sgn-compose.md.
 */
public final class SgnCompose {
    private SgnCompose() {
    }

    /** A one-pad transform applying {@code f} to the data; gap and EOS frames carry no data. */
    static CallableTransform map(String name, IntFunction<Object> f) {
        return CallableTransform.fromCallable(name,
                (Frame frame) -> frame.data() == null ? null : f.apply((Integer) frame.data()), "H1", "H1");
    }

    static List<String> names(List<Element> elements) {
        return elements.stream().map(Element::name).toList();
    }

    public static void main(String[] args) {
        // A source made of a source and a transform: 1, 2, 3 scaled by 10.
        IterSource counter = new IterSource("counter", List.of("H1"), Map.of("H1", List.of(1, 2, 3)));
        ComposedSourceElement numbers = new Compose()
                .connect(counter, map("times10", x -> x * 10))
                .asSource("numbers");

        // A transform made of two transforms: add one, then square.
        CallableTransform plus1 = map("plus1", x -> x + 1);
        CallableTransform squared = map("squared", x -> x * x);
        ComposedTransformElement plus1Squared = new Compose().connect(plus1, squared).asTransform("plus1-squared");

        // A sink made of a transform and a sink: format, then keep.
        CollectSink kept = new CollectSink("kept", "H1");
        ComposedSinkElement store = new Compose()
                .connect(CallableTransform.fromCallable("format",
                        (Frame frame) -> frame.data() == null ? null : "value=" + frame.data(), "H1", "H1"), kept)
                .asSink("store");

        System.out.println("composed source 'numbers': source pads " + numbers.sourcePadNames());
        System.out.println("composed transform 'plus1-squared': sink pads " + plus1Squared.sinkPadNames()
                + ", source pads " + plus1Squared.sourcePadNames());
        System.out.println("composed sink 'store': sink pads " + store.sinkPadNames());

        // Three elements, as far as the pipeline's user is concerned.
        Pipeline p = new Pipeline().connect(numbers, plus1Squared).connect(plus1Squared, store);
        System.out.println("elements: " + p.nodes(false, false));
        System.out.println("inside: numbers " + names(numbers.internalElements()) + ", plus1-squared "
                + names(plus1Squared.internalElements()) + ", store " + names(store.internalElements()));
        System.out.println("element links: " + p.edges(false, false));

        p.run(); // the inner elements run in the pipeline's own order, loop after loop
        System.out.println("loops run: " + p.loops());
        System.out.println("kept on H1: " + kept.collects().get("H1"));
        System.out.println("store at EOS: " + store.atEos());
        if (!kept.collects().get("H1").equals(List.of("value=121", "value=441", "value=961"))) {
            throw new AssertionError("expected [value=121, value=441, value=961]");
        }
    }
}
