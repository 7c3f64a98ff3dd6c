package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sinks.DequeSink;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.DequeSource;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.sources.NullSource;
import jvalkka.sgn.transforms.CallableTransform;
import jvalkka.sgn.transforms.CallableTransform.Combination;
import org.junit.jupiter.api.Test;

/** Running a graph: order, EOS, errors, and the built-in elements. */
class PipelineRunTest {

    private static Object times10(Frame frame) {
        return frame.data() == null ? null : (Integer) frame.data() * 10;
    }

    @Test
    void quickStartCollects10_20_30() {
        IterSource src = new IterSource("src1", List.of("H1"), Map.of("H1", List.of(1, 2, 3)));
        CallableTransform t1 = CallableTransform.fromCallable("t1", PipelineRunTest::times10, "H1", "H1");
        CollectSink snk = new CollectSink("snk1", "H1");
        Pipeline p = new Pipeline().connect(src, t1).connect(t1, snk);
        p.run();
        assertEquals(List.of(10, 20, 30), snk.collects().get("H1"));
        assertEquals(4, p.loops(), "three data loops and the EOS loop");
        p.run();
        assertEquals(4, p.loops(), "a finished pipeline does not run again");
    }

    /** Records the order of every element call into a shared log. */
    static final class Log {
        final List<String> calls = new ArrayList<>();
    }

    static final class LoggingSource extends SourceElement {
        final Log log;
        int n;

        LoggingSource(Log log) {
            super("src", "a", "b");
            this.log = log;
        }

        @Override
        public void internal() {
            log.calls.add("src.internal");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            log.calls.add("src.new " + pad.padName());
            return new Frame(n, n >= 1, false);
        }
    }

    static final class LoggingTransform extends TransformElement {
        final Log log;
        Frame last;

        LoggingTransform(Log log) {
            super("t", List.of("a", "b"), List.of("out"));
            this.log = log;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            log.calls.add("t.pull " + pad.padName());
            last = frame;
        }

        @Override
        public void internal() {
            log.calls.add("t.internal");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            log.calls.add("t.new " + pad.padName());
            return last;
        }
    }

    @Test
    void eachElementRunsSinkPadsThenInternalThenSourcePadsInTopologicalOrder() {
        Log log = new Log();
        LoggingSource src = new LoggingSource(log);
        LoggingTransform t = new LoggingTransform(log);
        SinkElement snk = new SinkElement("snk", "in") {
            @Override
            public void pull(SinkPad pad, Frame frame) {
                log.calls.add("snk.pull");
                if (frame.isEOS()) {
                    markEos(pad);
                }
            }

            @Override
            public void internal() {
                log.calls.add("snk.internal");
            }
        };
        // insert in reverse order: execution must still follow the data
        Pipeline p = new Pipeline().insert(snk, t, src).connect(src, t).connect(t, snk);
        src.n = 1; // one loop: EOS at once
        p.run();
        assertEquals(List.of("src.internal", "src.new a", "src.new b", "t.pull a", "t.pull b", "t.internal",
                "t.new out", "snk.pull", "snk.internal"), log.calls);
    }

    /**
     * A source whose pads both carry the loop number; one path goes through a transform.
     * Every frame the sink receives in a loop must carry that loop's number.
     */
    @Test
    void everyFrameASinkReceivesWasProducedInTheSameLoop() {
        final int loops = 50;
        SourceElement src = new SourceElement("src", "direct", "viaT") {
            int loop;

            @Override
            public void internal() {
                loop++;
            }

            @Override
            public Frame newFrame(SourcePad pad) {
                return new Frame(loop, loop >= loops, false);
            }
        };
        CallableTransform t = CallableTransform.fromCallable("t", Frame::data, "viaT", "viaT");
        List<String> problems = new ArrayList<>();
        int[] sinkLoops = {0};
        SinkElement snk = new SinkElement("snk", "direct", "viaT") {
            final Object[] got = new Object[2];

            @Override
            public void pull(SinkPad pad, Frame frame) {
                got[pad.index()] = frame.data();
                if (frame.isEOS()) {
                    markEos(pad);
                }
            }

            @Override
            public void internal() {
                sinkLoops[0]++;
                if (!got[0].equals(sinkLoops[0]) || !got[1].equals(sinkLoops[0])) {
                    problems.add("sink loop " + sinkLoops[0] + " got " + Arrays.toString(got));
                }
            }
        };
        Pipeline p = new Pipeline().connect(Groups.select(src, "viaT"), t).connect(t, snk)
                .connect(Groups.select(src, "direct"), snk);
        p.run();
        assertEquals(List.of(), problems);
        assertEquals(loops, sinkLoops[0]);
        assertEquals(loops, p.loops());
    }

    @Test
    void eosPropagatesThroughATransformWithTwoSinkPads() {
        IterSource shortSrc = new IterSource("short", List.of("a"), Map.of("a", List.of(1, 2)));
        IterSource longSrc = new IterSource("long", List.of("b"), Map.of("b", List.of(10, 20, 30, 40)));
        CallableTransform sum = CallableTransform.fromCallable("sum",
                frames -> frames[0].isGap() || frames[1].isGap() ? null
                        : (Integer) frames[0].data() + (Integer) frames[1].data(),
                "out", List.of("a", "b"));
        CollectSink snk = new CollectSink("snk", List.of("out"), false, false); // keep every frame
        Pipeline p = new Pipeline().connect(Groups.group(shortSrc, longSrc), sum).connect(sum, snk);
        p.run();
        List<Object> frames = snk.collects().get("out");
        assertEquals(3, frames.size(), "two sums, then the EOS frame, then stop: " + frames);
        assertEquals(11, ((Frame) frames.get(0)).data());
        assertEquals(22, ((Frame) frames.get(1)).data());
        Frame last = (Frame) frames.get(2);
        assertTrue(last.isEOS() && last.isGap(), "EOS from the short input reaches the sink: " + last);
        assertTrue(snk.atEos());
        assertEquals(3, p.loops());
    }

    @Test
    void anExceptionInAnElementStopsTheRunNamingThePadAndWrappingTheOriginal() {
        IllegalArgumentException original = new IllegalArgumentException("bad value 3");
        IterSource src = new IterSource("src", List.of("H1"), Map.of("H1", List.of(1, 2, 3, 4)));
        CallableTransform t = CallableTransform.fromCallable("t", f -> {
            if (Integer.valueOf(3).equals(f.data())) {
                throw original;
            }
            return f.data();
        }, "H1", "H1");
        CollectSink snk = new CollectSink("snk", "H1");
        Pipeline p = new Pipeline().connect(src, t).connect(t, snk);
        PipelineException e = assertThrows(PipelineException.class, p::run);
        assertSame(original, e.getCause());
        assertEquals("t:src:H1", e.padName());
        assertEquals(3, e.loop());
        assertTrue(e.getMessage().contains("(from pad 't:src:H1', loop 3)") && e.getMessage().contains("bad value 3"),
                e.getMessage());
        assertEquals(List.of(1, 2), snk.collects().get("H1"), "the run stopped at the failing loop");

        // a failing pull and a failing internal() are named too
        SinkElement badSink = new SinkElement("bad", "in") {
            @Override
            public void pull(SinkPad pad, Frame frame) throws Exception {
                throw new java.io.IOException("disk full");
            }
        };
        PipelineException pullError = assertThrows(PipelineException.class,
                new Pipeline().connect(new NullSource("n", "in"), badSink)::run);
        assertEquals("bad:snk:in", pullError.padName());
        assertInstanceOf(java.io.IOException.class, pullError.getCause());

        NullSink internalFails = new NullSink("inl", "in") {
            @Override
            public void internal() {
                throw new IllegalStateException("boom");
            }
        };
        PipelineException internalError = assertThrows(PipelineException.class,
                new Pipeline().connect(new NullSource("n", "in"), internalFails)::run);
        assertEquals("inl:inl:inl", internalError.padName());
    }

    @Test
    void aSourceReturningNoFrameIsAnError() {
        SourceElement silent = new SourceElement("silent", "out") {
            @Override
            public Frame newFrame(SourcePad pad) {
                return null;
            }
        };
        Pipeline p = new Pipeline().connect(silent, new NullSink("snk", "out"));
        PipelineException e = assertThrows(PipelineException.class, p::run);
        assertEquals("silent:src:out", e.padName());
        assertTrue(e.getMessage().contains("returned no frame"), e.getMessage());
    }

    @Test
    void aChangeOfDataSpecOnAPadIsAnError() {
        record Rate(int hz) implements DataSpec {
        }
        SourceElement src = new SourceElement("src", "out") {
            int n;

            @Override
            public Frame newFrame(SourcePad pad) {
                n++;
                return new Frame(n).setSpec(new Rate(n < 3 ? 16 : 32));
            }
        };
        NullSink snk = new NullSink("snk", "out");
        PipelineException e = assertThrows(PipelineException.class, new Pipeline().connect(src, snk)::run);
        assertEquals("snk:snk:out", e.padName());
        assertEquals(3, e.loop());
        assertTrue(e.getCause().getMessage().contains("Rate[hz=16]"), e.getCause().getMessage());
        assertEquals(new Rate(16), snk.snkPad("out").dataSpec());
    }

    @Test
    void iterSourceSendsGapsWithoutEosWhenToldAndPerPadSettings() {
        IterSource src = new IterSource("src", List.of("a", "b"),
                Map.of("a", List.of(1), "b", List.of(5, 6, 7)), Map.of("a", false));
        CollectSink snk = new CollectSink("snk", List.of("a", "b"), false, false);
        new Pipeline().connect(src, snk).run();
        List<Object> a = snk.collects().get("a");
        assertEquals(4, a.size());
        assertEquals(1, ((Frame) a.get(0)).data());
        for (Object f : a.subList(1, 4)) {
            assertTrue(((Frame) f).isGap() && !((Frame) f).isEOS(), "pad a keeps sending gaps: " + f);
        }
        assertTrue(((Frame) snk.collects().get("b").get(3)).isEOS());
        assertThrows(IllegalArgumentException.class,
                () -> new IterSource("x", List.of("a"), Map.of("zz", List.of(1))));
    }

    @Test
    void nullSourceAndNullSink() {
        NullSource src = new NullSource("src", "out").numFrames(5);
        int[] pulls = {0};
        NullSink snk = new NullSink("snk", "out") {
            @Override
            public void pull(SinkPad pad, Frame frame) {
                pulls[0]++;
                super.pull(pad, frame);
            }
        };
        new Pipeline().connect(src, snk).run();
        assertEquals(6, pulls[0], "five frames, then EOS");
        assertEquals(6, src.frameCount(src.srcPad("out")));
        assertTrue(snk.atEos());

        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        new Pipeline().connect(new NullSource("s2", "x").numFrames(0),
                new NullSink("v", "x").verbose(new java.io.PrintStream(bytes, true))).run();
        assertEquals("v:snk:x: Frame(data=null, EOS)", bytes.toString().trim());
    }

    @Test
    void dequeSourceAndDequeSink() {
        DequeSource src = new DequeSource("src", List.of("H1"), Map.of("H1", List.of(1, 2)));
        src.deques().get("H1").add(3); // fed after construction, taken first-in first-out
        DequeSink snk = new DequeSink("snk", "H1");
        new Pipeline().connect(src, snk).run();
        assertEquals(List.of(1, 2, 3), new ArrayList<>(snk.deques().get("H1")));
        assertInstanceOf(LinkedList.class, snk.deques().get("H1"));

        // without EOS on empty, an empty deque sends gaps (skipped by the sink) until fed
        DequeSource live = new DequeSource("live", List.of("x"), null, false);
        SinkElement stopAfterTwo = new SinkElement("stop", "x") {
            final List<Object> seen = new ArrayList<>();

            @Override
            public void pull(SinkPad pad, Frame frame) {
                if (!frame.isGap()) {
                    seen.add(frame.data());
                }
                if (seen.size() == 2) {
                    markEos(pad);
                }
            }

            @Override
            public void internal() {
                live.deques().get("x").add("item" + seen.size()); // feed one item per loop
            }
        };
        Pipeline p = new Pipeline().connect(live, stopAfterTwo);
        p.run();
        assertEquals(3, p.loops(), "one gap loop, then the two fed items");
    }

    @Test
    void callableTransformFromCombinationsMakesOnePadPerOutput() {
        IterSource src = new IterSource("src", List.of("a", "b"), Map.of("a", List.of(1, 2), "b", List.of(10, 20)));
        CallableTransform t = CallableTransform.fromCombinations("t", List.of(
                new Combination(List.of("a", "b"), f -> sumOf(f), "sum"),
                new Combination(List.of("b"), f -> f[0].data(), "copyB")));
        assertEquals(List.of("a", "b"), List.copyOf(t.snks().keySet()));
        assertEquals(List.of("sum", "copyB"), List.copyOf(t.srcs().keySet()));
        CollectSink snk = new CollectSink("snk", "sum", "copyB");
        new Pipeline().connect(src, t).connect(t, snk).run();
        assertEquals(List.of(11, 22), snk.collects().get("sum"));
        assertEquals(List.of(10, 20), snk.collects().get("copyB"));
        assertThrows(IllegalArgumentException.class, () -> CallableTransform.fromCombinations("bad",
                List.of(new Combination(List.of("a"), f -> null, "x")).subList(0, 0)));
        assertThrows(IllegalArgumentException.class, () -> new CallableTransform("bad", List.of("a"),
                List.of(new Combination(List.of("nope"), f -> null, "x"))));
    }

    private static Object sumOf(Frame[] frames) {
        int s = 0;
        for (Frame f : frames) {
            if (f.data() == null) {
                return null;
            }
            s += (Integer) f.data();
        }
        return s;
    }
}
