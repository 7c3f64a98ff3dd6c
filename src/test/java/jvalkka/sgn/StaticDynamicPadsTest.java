package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sources.IterSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SGN's test_static_dynamic_pads.py, translated: pads a class declares for every instance ({@link StaticPads}). */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StaticDynamicPadsTest {

    /** Static pads only: no user pads of either kind. */
    static final class StaticOnlyTransform extends TransformElement {
        static final StaticPads PADS = StaticPads.none().sinkPads("input1", "input2").sourcePads("output")
                .allowDynamicSinkPads(false).allowDynamicSourcePads(false);

        StaticOnlyTransform() {
            this(List.of(), List.of());
        }

        StaticOnlyTransform(List<String> sinkPadNames, List<String> sourcePadNames) {
            super(null, sinkPadNames, sourcePadNames, PADS);
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(null);
        }
    }

    /** An extra sink pad computed per instance (SGN: a static_sink_pads property reading a field). */
    static final class DynamicPadsTransform extends TransformElement {
        DynamicPadsTransform(List<String> sinkPadNames, List<String> sourcePadNames) {
            this(sinkPadNames, sourcePadNames, "extra");
        }

        DynamicPadsTransform(List<String> sinkPadNames, List<String> sourcePadNames, String extraPadName) {
            super(null, sinkPadNames, sourcePadNames, StaticPads.none().sinkPads(extraPadName));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(null);
        }
    }

    static final class StaticOnlySource extends SourceElement {
        static final StaticPads PADS = StaticPads.none().sourcePads("output1", "output2").allowDynamicSourcePads(false);

        StaticOnlySource(String... sourcePadNames) {
            super(null, List.of(sourcePadNames), PADS);
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(null, true, true);
        }
    }

    static final class StaticOnlySink extends SinkElement {
        static final StaticPads PADS = StaticPads.none().sinkPads("input").allowDynamicSinkPads(false);

        StaticOnlySink(String... sinkPadNames) {
            super(null, List.of(sinkPadNames), PADS);
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }
    }

    static final class StaticPlusUserSource extends SourceElement {
        StaticPlusUserSource(String... sourcePadNames) {
            super(null, List.of(sourcePadNames), StaticPads.none().sourcePads("monitor"));
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(null);
        }
    }

    static final class StaticPlusUserSink extends SinkElement {
        StaticPlusUserSink(String... sinkPadNames) {
            super(null, List.of(sinkPadNames), StaticPads.none().sinkPads("monitor"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }
    }

    static final class StaticSourcePadsTransform extends TransformElement {
        StaticSourcePadsTransform(List<String> sinkPadNames, List<String> sourcePadNames) {
            super(null, sinkPadNames, sourcePadNames, StaticPads.none().sourcePads("monitor"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(null);
        }
    }

    /** A transform whose class forbids one kind of user pads without declaring any: it has no way to get such pads. */
    static final class BadTransform extends TransformElement {
        BadTransform(StaticPads pads) {
            super("bad", List.of("in"), List.of("out"), pads);
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(null);
        }
    }

    // ---------------------------------------------------------------- static pads only

    @Test
    void aStaticOnlyTransformHasExactlyItsDeclaredPads() {
        StaticOnlyTransform elem = new StaticOnlyTransform();
        assertEquals(List.of("input1", "input2"), elem.sinkPadNames());
        assertEquals(List.of("output"), elem.sourcePadNames());
        assertEquals(2, elem.sinkPads().size());
        assertEquals(1, elem.sourcePads().size());
    }

    @Test
    void aStaticOnlySourceHasExactlyItsDeclaredPads() {
        StaticOnlySource elem = new StaticOnlySource();
        assertEquals(List.of("output1", "output2"), elem.sourcePadNames());
        assertEquals(2, elem.sourcePads().size());
    }

    @Test
    void aStaticOnlySinkHasExactlyItsDeclaredPads() {
        StaticOnlySink elem = new StaticOnlySink();
        assertEquals(List.of("input"), elem.sinkPadNames());
        assertEquals(1, elem.sinkPads().size());
    }

    @Test
    void userPadsAreRefusedWhereDynamicPadsAreNotAllowed() {
        IllegalArgumentException sinks = assertThrows(IllegalArgumentException.class,
                () -> new StaticOnlyTransform(List.of("wrong"), List.of()));
        assertTrue(sinks.getMessage().contains("allowDynamicSinkPads=false"), sinks.getMessage());
        assertTrue(sinks.getMessage().contains("[wrong]") && sinks.getMessage().contains("[input1, input2]"),
                sinks.getMessage());
        IllegalArgumentException sources = assertThrows(IllegalArgumentException.class,
                () -> new StaticOnlyTransform(List.of(), List.of("wrong")));
        assertTrue(sources.getMessage().contains("allowDynamicSourcePads=false"), sources.getMessage());
    }

    @Test
    void aStaticOnlySourceRefusesUserPads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StaticOnlySource("wrong"));
        assertTrue(e.getMessage().contains("allowDynamicSourcePads=false"), e.getMessage());
    }

    @Test
    void aStaticOnlySinkRefusesUserPads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StaticOnlySink("wrong"));
        assertTrue(e.getMessage().contains("allowDynamicSinkPads=false"), e.getMessage());
    }

    // ---------------------------------------------------------------- static plus user pads

    @Test
    void staticPadsComeAfterTheUsersPads() {
        DynamicPadsTransform elem = new DynamicPadsTransform(List.of("data"), List.of("result"));
        assertEquals(List.of("data", "extra"), elem.sinkPadNames());
        assertEquals(List.of("result"), elem.sourcePadNames());
    }

    @Test
    void staticPadsCanBeChosenPerInstance() {
        DynamicPadsTransform elem = new DynamicPadsTransform(List.of("data"), List.of("result"), "custom");
        assertEquals(List.of("data", "custom"), elem.sinkPadNames());
        DynamicPadsTransform x = new DynamicPadsTransform(List.of("a"), List.of("b"), "x");
        DynamicPadsTransform y = new DynamicPadsTransform(List.of("a"), List.of("b"), "y");
        assertEquals(List.of("a", "x"), x.sinkPadNames());
        assertEquals(List.of("a", "y"), y.sinkPadNames());
    }

    @Test
    void aTransformCanDeclareStaticSourcePads() {
        StaticSourcePadsTransform elem = new StaticSourcePadsTransform(List.of("input"), List.of("output"));
        assertEquals(List.of("output", "monitor"), elem.sourcePadNames());
        assertEquals(1, elem.srcPad("monitor").index(), "a static pad is a pad like the others");
    }

    @Test
    void aSourceCanDeclareStaticSourcePads() {
        assertEquals(List.of("output", "monitor"), new StaticPlusUserSource("output").sourcePadNames());
    }

    @Test
    void aSinkCanDeclareStaticSinkPads() {
        assertEquals(List.of("input", "monitor"), new StaticPlusUserSink("input").sinkPadNames());
    }

    @Test
    void aStaticPadThatRepeatsAUserPadIsADuplicate() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StaticPlusUserSink("monitor"));
        assertTrue(e.getMessage().contains("duplicate sink pad name 'monitor'"), e.getMessage());
    }

    /** Passes each frame on, and a copy on the static "monitor" pad every instance has. */
    static final class Tee extends TransformElement {
        Frame in;

        Tee(String name, String pad) {
            super(name, List.of(pad), List.of(pad), StaticPads.none().sourcePads("monitor"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            in = frame;
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return in;
        }
    }

    @Test
    void staticPadsAreLinkedAndRunLikeOthers() {
        IterSource src = new IterSource("src", List.of("H1"), Map.of("H1", List.of(1, 2)));
        Tee tee = new Tee("tee", "H1");
        CollectSink out = new CollectSink("out", "H1");
        CollectSink monitor = new CollectSink("mon", "monitor");
        new Pipeline().connect(src, tee).connect(Groups.select(tee, "H1"), out)
                .connect(Groups.select(tee, "monitor"), monitor).run();
        assertEquals(List.of(1, 2), out.collects().get("H1"));
        assertEquals(List.of(1, 2), monitor.collects().get("monitor"));
    }

    // ---------------------------------------------------------------- invalid declarations

    @Test
    void forbiddingUserSinkPadsWithoutStaticSinkPadsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BadTransform(StaticPads.none().allowDynamicSinkPads(false)));
        assertTrue(e.getMessage().contains("allowDynamicSinkPads=false but does not define static sink pads"),
                e.getMessage());
    }

    @Test
    void forbiddingUserSourcePadsWithoutStaticSourcePadsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BadTransform(StaticPads.none().allowDynamicSourcePads(false)));
        assertTrue(e.getMessage().contains("allowDynamicSourcePads=false but does not define static source pads"),
                e.getMessage());
    }

    @Test
    void aSourceForbiddingUserPadsWithoutStaticPadsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SourceElement("bad",
                List.of(), StaticPads.none().allowDynamicSourcePads(false)) {
            @Override
            public Frame newFrame(SourcePad pad) {
                return new Frame(null);
            }
        });
        assertTrue(e.getMessage().contains("allowDynamicSourcePads=false but does not define static source pads"),
                e.getMessage());
    }

    @Test
    void aSinkForbiddingUserPadsWithoutStaticPadsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SinkElement("bad",
                List.of(), StaticPads.none().allowDynamicSinkPads(false)) {
            @Override
            public void pull(SinkPad pad, Frame frame) {
            }
        });
        assertTrue(e.getMessage().contains("allowDynamicSinkPads=false but does not define static sink pads"),
                e.getMessage());
    }

    @Test
    void perInstanceStaticPadsMayBeTheOnlyPadsOfAKind() {
        TransformElement good = new TransformElement(null, List.of(), List.of("output"),
                StaticPads.none().sinkPads("dynamic").allowDynamicSinkPads(false)) {
            @Override
            public void pull(SinkPad pad, Frame frame) {
            }

            @Override
            public Frame newFrame(SourcePad pad) {
                return new Frame(null);
            }
        };
        assertEquals(List.of("dynamic"), good.sinkPadNames());
        assertEquals(List.of("output"), good.sourcePadNames());
    }

    @Test
    void staticPadsOfAKindTheElementCannotHaveAreRefused() {
        IllegalArgumentException onSource = assertThrows(IllegalArgumentException.class, () -> new SourceElement("s",
                List.of("out"), StaticPads.none().sinkPads("in")) {
            @Override
            public Frame newFrame(SourcePad pad) {
                return new Frame(null);
            }
        });
        assertTrue(onSource.getMessage().contains("a SourceElement has no sink pads"), onSource.getMessage());
        IllegalArgumentException onSink = assertThrows(IllegalArgumentException.class, () -> new SinkElement("s",
                List.of("in"), StaticPads.none().sourcePads("out")) {
            @Override
            public void pull(SinkPad pad, Frame frame) {
            }
        });
        assertTrue(onSink.getMessage().contains("a SinkElement has no source pads"), onSink.getMessage());
    }
}
