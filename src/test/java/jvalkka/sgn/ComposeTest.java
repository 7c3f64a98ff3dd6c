package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.transforms.CallableTransform;
import jvalkka.sgn.transforms.CallableTransform.Combination;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SGN's test_compose.py, translated: composed sources, transforms and sinks, built with {@link Compose}. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ComposeTest {

    private static Function<Frame, Object> map(Function<Integer, Object> f) {
        return frame -> frame.data() == null ? null : f.apply((Integer) frame.data());
    }

    private static CallableTransform transform(String name, Function<Integer, Object> f, String out, String in) {
        return CallableTransform.fromCallable(name, map(f), out, in);
    }

    private static IterSource source(String name, Map<String, List<Integer>> iters) {
        return new IterSource(name, List.copyOf(iters.keySet()), iters);
    }

    private static IterSource source(String name, String pad, Integer... values) {
        return new IterSource(name, List.of(pad), Map.of(pad, List.of(values)));
    }

    private static Combination combo(String in, Function<Integer, Object> f, String out) {
        return new Combination(List.of(in), frames -> map(f).apply(frames[0]), out);
    }

    // ---------------------------------------------------------------- composed sources

    @Test
    void aSingleSourceCanBeWrappedAsAComposedSource() {
        IterSource source = source("src", "out", 1, 2, 3);
        ComposedSourceElement composed = new Compose(source).asSource("composed_src");
        assertInstanceOf(SourceElement.class, composed);
        assertEquals(List.of("out"), composed.sourcePadNames());
        assertEquals(1, composed.sourcePads().size());
        assertEquals("composed_src", composed.name());
    }

    @Test
    void sourcePlusTransformComposesIntoASource() {
        IterSource source = source("src", "data", 1, 2, 3, 4, 5);
        CallableTransform doubler = transform("double", x -> x * 2, "data", "data");
        ComposedSourceElement composed = new Compose().connect(source, doubler).asSource("doubled_source");
        assertTrue(composed.srcs().containsKey("data"));

        CollectSink sink = new CollectSink("sink", "data");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(2, 4, 6, 8, 10), sink.collects().get("data"));
    }

    @Test
    void sourcePlusSeveralTransformsComposeInOrder() {
        IterSource source = source("src", "x", 1, 2, 3);
        CallableTransform addOne = transform("add_one", x -> x + 1, "x", "x");
        CallableTransform square = transform("square", x -> x * x, "x", "x");
        ComposedSourceElement composed = new Compose().connect(source, addOne).connect(addOne, square)
                .asSource("processed");
        CollectSink sink = new CollectSink("sink", "x");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(4, 9, 16), sink.collects().get("x"));
    }

    @Test
    void aComposedSourceWithSeveralPadsKeepsThemApart() {
        IterSource source = source("src", Map.of("H1", List.of(1, 2), "L1", List.of(10, 20)));
        CallableTransform doubler = CallableTransform.fromCombinations("double",
                List.of(combo("H1", x -> x * 2, "H1"), combo("L1", x -> x * 2, "L1")));
        ComposedSourceElement composed = new Compose().connect(source, doubler).asSource("doubled");
        assertEquals(java.util.Set.of("H1", "L1"), composed.srcs().keySet());

        CollectSink sink = new CollectSink("sink", "H1", "L1");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(2, 4), sink.collects().get("H1"));
        assertEquals(List.of(20, 40), sink.collects().get("L1"));
    }

    @Test
    void aComposedSourceCannotContainASink() {
        IterSource source = source("src", "data", 1, 2, 3);
        CallableTransform t = transform("t", x -> x, "data", "data");
        NullSink sink = new NullSink("sink", "data");
        Compose compose = new Compose().connect(source, t).connect(t, sink);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, compose::asSource);
        assertTrue(e.getMessage().contains("cannot contain SinkElement"), e.getMessage());
        assertTrue(e.getMessage().contains("'sink'"), e.getMessage());
    }

    @Test
    void aComposedSourceNeedsASourceElement() {
        Compose compose = new Compose(transform("t", x -> x, "data", "data"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, compose::asSource);
        assertTrue(e.getMessage().contains("requires at least one SourceElement"), e.getMessage());
    }

    // ---------------------------------------------------------------- composed transforms

    @Test
    void aSingleTransformCanBeWrapped() {
        CallableTransform t = transform("double", x -> x * 2, "out", "in");
        ComposedTransformElement composed = new Compose(t).asTransform("composed_transform");
        assertInstanceOf(TransformElement.class, composed);
        assertEquals(List.of("in"), composed.sinkPadNames());
        assertEquals(List.of("out"), composed.sourcePadNames());
    }

    @Test
    void aChainOfTransformsComposesIntoOneTransform() {
        CallableTransform t1 = transform("add_one", x -> x + 1, "data", "data");
        CallableTransform t2 = transform("double", x -> x * 2, "data", "data");
        ComposedTransformElement composed = new Compose().connect(t1, t2).asTransform("add_then_double");
        assertTrue(composed.snks().containsKey("data"));
        assertTrue(composed.srcs().containsKey("data"));

        IterSource source = source("src", "data", 1, 2, 3);
        CollectSink sink = new CollectSink("sink", "data");
        new Pipeline().connect(source, composed).connect(composed, sink).run();
        assertEquals(List.of(4, 6, 8), sink.collects().get("data"));
    }

    @Test
    void aComposedTransformCannotContainASource() {
        Compose compose = new Compose(source("src", "data", 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, compose::asTransform);
        assertTrue(e.getMessage().contains("can only contain TransformElements"), e.getMessage());
    }

    @Test
    void aComposedTransformCannotContainASink() {
        Compose compose = new Compose().connect(transform("t", x -> x, "data", "data"), new NullSink("sink", "data"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, compose::asTransform);
        assertTrue(e.getMessage().contains("can only contain TransformElements"), e.getMessage());
        assertTrue(e.getMessage().contains("NullSink"), e.getMessage());
    }

    // ---------------------------------------------------------------- composed sinks

    @Test
    void aSingleSinkCanBeWrapped() {
        ComposedSinkElement composed = new Compose(new NullSink("sink", "data")).asSink("composed_sink");
        assertInstanceOf(SinkElement.class, composed);
        assertEquals(List.of("data"), composed.sinkPadNames());
    }

    @Test
    void transformPlusSinkComposesIntoASink() {
        CallableTransform doubler = transform("double", x -> x * 2, "data", "data");
        CollectSink collect = new CollectSink("collect", "data");
        ComposedSinkElement composed = new Compose().connect(doubler, collect).asSink("doubling_sink");
        assertTrue(composed.snks().containsKey("data"));

        new Pipeline().connect(source("src", "data", 1, 2, 3), composed).run();
        assertEquals(List.of(2, 4, 6), collect.collects().get("data"));
    }

    @Test
    void aComposedSinkCannotContainASource() {
        Compose compose = new Compose().connect(source("src", "data", 1), new NullSink("sink", "data"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, compose::asSink);
        assertTrue(e.getMessage().contains("cannot contain SourceElement"), e.getMessage());
    }

    @Test
    void aComposedSinkNeedsASinkElement() {
        Compose compose = new Compose(transform("t", x -> x, "data", "data"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, compose::asSink);
        assertTrue(e.getMessage().contains("requires at least one SinkElement"), e.getMessage());
    }

    // ---------------------------------------------------------------- the builder

    @Test
    void anExplicitLinkMapOverridesImplicitLinking() {
        IterSource source = source("src", "out", 1, 2, 3);
        CallableTransform t = transform("t", x -> x * 2, "result", "in");
        ComposedSourceElement composed = new Compose().connect(source, t, Map.of("in", "out")).asSource("explicit");
        assertEquals(List.of("result"), composed.sourcePadNames());

        CollectSink sink = new CollectSink("sink", "result");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(2, 4, 6), sink.collects().get("result"));
    }

    @Test
    void theInnerElementsAreKeptByReference() {
        IterSource source = source("src", "data", 1);
        ComposedSourceElement composed = new Compose(source).asSource();
        assertSame(source, composed.internalElements().get(0));
    }

    @Test
    void connectInsertsElementsNotYetInTheComposition() {
        IterSource source = source("src", "data", 1, 2, 3);
        CallableTransform t = transform("t", x -> x * 2, "data", "data");
        ComposedSourceElement composed = new Compose().connect(source, t).asSource();
        CollectSink sink = new CollectSink("sink", "data");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(2, 4, 6), sink.collects().get("data"));
    }

    @Test
    void padsWithTheSameNamesAreLinkedImplicitly() {
        IterSource source = source("src", Map.of("alpha", List.of(1), "beta", List.of(2)));
        CallableTransform t = CallableTransform.fromCombinations("t",
                List.of(combo("alpha", x -> x * 10, "alpha"), combo("beta", x -> x * 100, "beta")));
        ComposedSourceElement composed = new Compose().connect(source, t).asSource();
        CollectSink sink = new CollectSink("sink", "alpha", "beta");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(10), sink.collects().get("alpha"));
        assertEquals(List.of(200), sink.collects().get("beta"));
    }

    /**
     * SGN links every source pad to a single sink pad in turn, the last one winning; this
     * library's connect refuses it (a sink pad takes one source pad), and Compose connects as a
     * pipeline does.
     */
    @Test
    void severalSourcePadsToOneSinkPadIsRefusedAsInAPipeline() {
        IterSource source = new IterSource("src", List.of("a", "b"), Map.of("a", List.of(1, 2), "b", List.of(10, 20)));
        CallableTransform passthrough = transform("passthrough", x -> x, "out", "in");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Compose().connect(source, passthrough));
        assertTrue(e.getMessage().contains("N-to-1"), e.getMessage());
        ComposedSourceElement composed = new Compose().connect(Groups.select(source, "b"), passthrough).asSource();
        assertEquals(List.of("a", "out"), composed.sourcePadNames(), "the unlinked 'a' is exposed too");
    }

    // ---------------------------------------------------------------- EOS

    @Test
    void eosFlowsThroughAComposedSource() {
        IterSource source = source("src", "data", 1, 2);
        ComposedSourceElement composed = new Compose().connect(source, transform("t", x -> x, "data", "data"))
                .asSource();
        CollectSink sink = new CollectSink("sink", "data");
        Pipeline p = new Pipeline().connect(composed, sink);
        p.run();
        assertEquals(List.of(1, 2), sink.collects().get("data"));
        assertEquals(3, p.loops(), "two data loops and the EOS loop");
    }

    @Test
    void aComposedSinkIsAtEosWhenItsInnerSinkIs() {
        NullSink inner = new NullSink("inner", "data");
        ComposedSinkElement composed = new Compose().connect(transform("t", x -> x, "data", "data"), inner).asSink();
        assertFalse(composed.atEos());
        new Pipeline().connect(source("src", "data", 1, 2), composed).run();
        assertTrue(inner.atEos());
        assertTrue(composed.atEos());
    }

    // ---------------------------------------------------------------- integration

    @Test
    void composedSourceTransformAndSinkRunTogether() {
        ComposedSourceElement composedSource = new Compose()
                .connect(source("raw", "signal", 1, 2, 3, 4, 5), transform("preprocess", x -> x * 2, "signal", "signal"))
                .asSource("preprocessed_source");
        CallableTransform t1 = transform("t1", x -> x + 100, "signal", "signal");
        CallableTransform t2 = transform("t2", x -> x / 2, "signal", "signal");
        ComposedTransformElement composedTransform = new Compose().connect(t1, t2).asTransform("processing_chain");
        CollectSink collector = new CollectSink("collector", "signal");
        ComposedSinkElement composedSink = new Compose()
                .connect(transform("final", x -> -x, "signal", "signal"), collector).asSink("output_sink");

        new Pipeline().connect(composedSource, composedTransform).connect(composedTransform, composedSink).run();
        assertEquals(List.of(-51, -52, -53, -54, -55), collector.collects().get("signal"));
    }

    @Test
    void composedAndRegularElementsMix() {
        CallableTransform half = transform("half", x -> x / 2, "data", "data");
        CallableTransform stringify = CallableTransform.fromCallable("stringify",
                frame -> frame.data() == null ? null : "value=" + frame.data(), "data", "data");
        ComposedTransformElement composed = new Compose().connect(half, stringify).asTransform();
        CollectSink sink = new CollectSink("sink", "data");
        new Pipeline().connect(source("src", "data", 10, 20, 30), composed).connect(composed, sink).run();
        assertEquals(List.of("value=5", "value=10", "value=15"), sink.collects().get("data"));
    }

    // ---------------------------------------------------------------- edge cases

    @Test
    void anEmptyCompositionIsRefusedForEachKind() {
        IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                () -> new ComposedSourceElement("empty", List.of(), List.of()));
        assertTrue(e1.getMessage().contains("ComposedSourceElement requires at least one element"), e1.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> new ComposedTransformElement("empty", List.of()));
        assertTrue(e2.getMessage().contains("ComposedTransformElement requires at least one element"), e2.getMessage());
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> new Compose().asSink("empty"));
        assertTrue(e3.getMessage().contains("ComposedSinkElement requires at least one element"), e3.getMessage());
    }

    // ---------------------------------------------------------------- non-linear graphs

    @Test
    void insertThenConnectBuildsTheSameComposition() {
        IterSource source = source("src", "data", 1, 2, 3);
        CallableTransform doubler = transform("double", x -> x * 2, "data", "data");
        ComposedSourceElement composed = new Compose().insert(source, doubler).connect(source, doubler)
                .asSource("explicit_compose");
        CollectSink sink = new CollectSink("sink", "data");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(2, 4, 6), sink.collects().get("data"));
    }

    @Test
    void twoSourcesMergeIntoOneComposedSource() {
        IterSource a = source("src_a", "a", 1, 2);
        IterSource b = source("src_b", "b", 10, 20);
        CallableTransform proc = CallableTransform.fromCombinations("proc",
                List.of(combo("a", x -> x * 100, "a"), combo("b", x -> x + 1, "b")));
        ComposedSourceElement composed = new Compose().connect(a, proc).connect(b, proc).asSource("merged_source");
        assertEquals(List.of("a", "b"), composed.sourcePadNames());
        CollectSink sink = new CollectSink("sink", "a", "b");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(100, 200), sink.collects().get("a"));
        assertEquals(List.of(11, 21), sink.collects().get("b"));
    }

    @Test
    void oneTransformFansOutToTwoComposedSinks() {
        CallableTransform split = CallableTransform.fromCombinations("split",
                List.of(combo("data", x -> x * 2, "doubled"), combo("data", x -> x * 3, "tripled")));
        CollectSink sink1 = new CollectSink("sink_double", "doubled");
        CollectSink sink2 = new CollectSink("sink_triple", "tripled");
        ComposedSinkElement composed = new Compose().connect(split, sink1).connect(split, sink2).asSink("multi_sink");
        assertEquals(List.of("data"), composed.sinkPadNames());
        new Pipeline().connect(source("src", "data", 1, 2, 3), composed).run();
        assertEquals(List.of(2, 4, 6), sink1.collects().get("doubled"));
        assertEquals(List.of(3, 6, 9), sink2.collects().get("tripled"));
    }

    @Test
    void aComposedSinkWaitsForEveryInnerSink() {
        CollectSink sink1 = new CollectSink("sink1", "a");
        CollectSink sink2 = new CollectSink("sink2", "b");
        CallableTransform split = CallableTransform.fromCombinations("split",
                List.of(combo("data", x -> x, "a"), combo("data", x -> x, "b")));
        ComposedSinkElement composed = new Compose().connect(split, sink1).connect(split, sink2).asSink("multi_out");
        new Pipeline().connect(source("src", "data", 1), composed).run();
        assertTrue(sink1.atEos());
        assertTrue(sink2.atEos());
        assertTrue(composed.atEos());
    }

    // ---------------------------------------------------------------- beyond SGN's tests

    /** A sink that reaches EOS only after {@code limit} frames, whatever they carry. */
    static final class CountingSink extends SinkElement {
        final int limit;
        int frames;

        CountingSink(String name, int limit) {
            super(name, "data");
            this.limit = limit;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (++frames >= limit) {
                markEos(pad);
            }
        }
    }

    @Test
    void aComposedSinkIsNotAtEosWhileOneInnerSinkIsNot() {
        CallableTransform split = CallableTransform.fromCombinations("split",
                List.of(combo("data", x -> x, "a"), combo("data", x -> x, "data")));
        CollectSink early = new CollectSink("early", "a");
        CountingSink late = new CountingSink("late", 5);
        ComposedSinkElement composed = new Compose().connect(split, early).connect(split, late).asSink("both");
        Pipeline p = new Pipeline().connect(source("src", "data", 1), composed);
        p.run();
        assertTrue(early.atEos(), "EOS reached 'early' in loop 2");
        assertEquals(List.of(1), early.collects().get("a"));
        assertEquals(5, late.frames, "the pipeline ran until the last inner sink was done");
        assertEquals(5, p.loops());
    }

    /** Records each call, to check the order a pipeline runs inner elements in. */
    static final class Recorder extends TransformElement {
        final List<String> log;

        Recorder(String name, List<String> log) {
            super(name, List.of("data"), List.of("data"));
            this.log = log;
        }

        Frame in;

        @Override
        public void pull(SinkPad pad, Frame frame) {
            log.add(name() + ".pull");
            in = frame;
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            log.add(name() + ".new");
            return in;
        }
    }

    @Test
    void theInnerGraphRunsInThePipelinesOrderEveryLoop() {
        List<String> log = new ArrayList<>();
        ComposedTransformElement composed = new Compose().connect(new Recorder("r1", log), new Recorder("r2", log))
                .asTransform("chain");
        Recorder after = new Recorder("after", log);
        CollectSink sink = new CollectSink("sink", "data");
        Pipeline p = new Pipeline().connect(source("src", "data", 7), composed).connect(composed, after)
                .connect(after, sink);
        p.run();
        assertEquals(List.of(7), sink.collects().get("data"));
        List<String> oneLoop = List.of("r1.pull", "r1.new", "r2.pull", "r2.new", "after.pull", "after.new");
        List<String> twoLoops = new ArrayList<>(oneLoop);
        twoLoops.addAll(oneLoop);
        assertEquals(twoLoops, log);
    }

    @Test
    void composedElementsComposeAgain() {
        CallableTransform t1 = transform("t1", x -> x + 1, "data", "data");
        CallableTransform t2 = transform("t2", x -> x * 10, "data", "data");
        ComposedTransformElement inner = new Compose().connect(t1, t2).asTransform("inner");
        ComposedSourceElement outer = new Compose().connect(source("src", "data", 1, 2), inner).asSource("outer");
        CollectSink sink = new CollectSink("sink", "data");
        new Pipeline().connect(outer, sink).run();
        assertEquals(List.of(20, 30), sink.collects().get("data"));
    }

    @Test
    void anElementBelongsToOneCompositionAndACompositionMakesOneElement() {
        CallableTransform t = transform("t", x -> x, "data", "data");
        Compose compose = new Compose(t);
        compose.asTransform("first");
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> compose.asTransform("second"));
        assertTrue(again.getMessage().contains("already made composed element 'first'"), again.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> new Compose(t).asTransform("third"));
        assertTrue(twice.getMessage().contains("already inside composed element 'first'"), twice.getMessage());
    }

    @Test
    void twoUnlinkedInnerPadsWithOneNameAreAClearError() {
        IterSource a = source("a", "data", 1);
        IterSource b = source("b", "data", 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Compose().insert(a, b).asSource());
        assertTrue(e.getMessage().contains("a:src:data") && e.getMessage().contains("b:src:data"), e.getMessage());
    }

    @Test
    void anInnerSourcePadCanAlsoBeExposed() {
        IterSource source = source("src", "H1", 1, 2);
        CallableTransform monitor = transform("monitor", x -> x * 100, "mon", "H1");
        ComposedSourceElement composed = new Compose().connect(source, monitor)
                .asSource("with_monitor", List.of("src:src:H1"));
        assertEquals(List.of("mon", "H1"), composed.sourcePadNames());
        CollectSink sink = new CollectSink("sink", "mon", "H1");
        new Pipeline().connect(composed, sink).run();
        assertEquals(List.of(1, 2), sink.collects().get("H1"));
        assertEquals(List.of(100, 200), sink.collects().get("mon"));
    }

    @Test
    void thePipelineShowsAndChecksTheInnerGraph() {
        CallableTransform t1 = transform("t1", x -> x, "data", "data");
        CallableTransform t2 = transform("t2", x -> x, "data", "data");
        ComposedTransformElement composed = new Compose().connect(t1, t2).asTransform("chain");
        Pipeline p = new Pipeline().connect(source("src", "data", 1), composed)
                .connect(composed, new NullSink("sink", "data"));
        p.check();
        assertEquals(List.of(
                new Pipeline.Edge("chain:src:_vs_data", "t1:snk:data"),
                new Pipeline.Edge("chain:src:data", "sink:snk:data"),
                new Pipeline.Edge("src:src:data", "chain:snk:data"),
                new Pipeline.Edge("t1:src:data", "t2:snk:data")), p.edges());
        assertEquals(List.of(
                new Pipeline.Edge("chain", "sink"),
                new Pipeline.Edge("chain", "t1"),
                new Pipeline.Edge("src", "chain"),
                new Pipeline.Edge("t1", "t2"),
                new Pipeline.Edge("t2", "chain")), p.edges(false, false));
        assertEquals(List.of("chain", "sink", "src"), p.nodes(false, false), "inner elements are not the pipeline's");
        assertTrue(p.nodes().contains("t2:src:data"), p.nodes().toString());
        IllegalArgumentException clash = assertThrows(IllegalArgumentException.class, () -> p.insert(t1));
        assertTrue(clash.getMessage().contains("t1:"), clash.getMessage());
    }

    @Test
    void theDotDrawsInnerElementsInsideTheComposedOne() {
        CallableTransform t1 = transform("t1", x -> x, "data", "data");
        CallableTransform t2 = transform("t2", x -> x, "data", "data");
        ComposedTransformElement composed = new Compose().connect(t1, t2).asTransform("chain");
        String dot = new Pipeline().connect(source("src", "data", 1), composed)
                .connect(composed, new NullSink("sink", "data")).toDot();
        int chain = dot.indexOf("subgraph \"cluster_chain\"");
        int inner = dot.indexOf("    subgraph \"cluster_t1\"");
        assertTrue(chain >= 0 && inner > chain, dot);
        assertTrue(dot.contains("\"src:src:data\" -> \"chain:snk:data\";"), dot);
        assertTrue(dot.contains("\"chain:snk:data\" -> \"t1:snk:data\";"), dot);
        assertTrue(dot.contains("\"t1:src:data\" -> \"t2:snk:data\";"), dot);
        assertTrue(dot.contains("\"t2:src:data\" -> \"chain:src:data\" [style=dashed];"), dot);
        assertTrue(dot.contains("\"t2:src:data\" [label=\"data\", fillcolor=mediumaquamarine]"),
                "an exposed inner pad is not unlinked: " + dot);
        assertFalse(dot.contains("_vs_"), dot);
    }

    @Test
    void padsAComposedSourceOrSinkCannotOfferAreAClearError() {
        IterSource a = source("a", "x", 1);
        CallableTransform sum = CallableTransform.fromCallable("sum", frames -> frames[0].data(), "out",
                List.of("x", "y"));
        IllegalArgumentException source = assertThrows(IllegalArgumentException.class,
                () -> new Compose().connect(a, sum).asSource());
        assertTrue(source.getMessage().contains("sum:snk:y") && source.getMessage().contains("no sink pads"),
                source.getMessage());

        CallableTransform split = CallableTransform.fromCombinations("split",
                List.of(combo("data", x -> x, "kept"), combo("data", x -> x, "dropped")));
        IllegalArgumentException sink = assertThrows(IllegalArgumentException.class,
                () -> new Compose().connect(split, new NullSink("keep", "kept")).asSink());
        assertTrue(sink.getMessage().contains("split:src:dropped") && sink.getMessage().contains("no source pads"),
                sink.getMessage());
    }
}
