package jvalkka.sgn;

import static jvalkka.sgn.Groups.group;
import static jvalkka.sgn.Groups.select;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.transforms.CallableTransform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SGN's select_by_source / select_by_sink tests (test_groups.py), translated. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupSelectionTest {

    @Test
    void aPadSelectionSplitsIntoOneSelectionPerPad() {
        CallableTransform transform = CallableTransform.fromCallable("transform", frames -> frames[0].data(), "out",
                List.of("in1", "in2"));
        PadSelection selection = select(transform, "out", "in1", "in2");

        Map<String, PadSelection> sources = selection.selectBySource();
        assertEquals(List.of("out"), List.copyOf(sources.keySet()));
        sources.forEach((name, single) -> {
            assertSame(transform, single.element());
            assertEquals(Set.of(name), single.padNames());
        });

        Map<String, PadSelection> sinks = selection.selectBySink();
        assertEquals(List.of("in1", "in2"), List.copyOf(sinks.keySet()));
        sinks.forEach((name, single) -> {
            assertSame(transform, single.element());
            assertEquals(Set.of(name), single.padNames());
        });
    }

    @Test
    void anElementGroupSplitsIntoOneSelectionPerPadOfEachMember() {
        IterSource src1 = new IterSource("src1", List.of("H1"), Map.of());
        IterSource src2 = new IterSource("src2", List.of("L1", "V1"), Map.of());
        Map<String, PadSelection> sources = group(src1, src2).selectBySource();
        assertEquals(List.of("H1", "L1", "V1"), List.copyOf(sources.keySet()));
        sources.forEach((name, single) -> {
            assertEquals(Set.of(name), single.padNames());
            assertSame(name.equals("H1") ? src1 : src2, single.element());
        });

        NullSink sink1 = new NullSink("sink1", "in1");
        NullSink sink2 = new NullSink("sink2", "in2", "in3");
        Map<String, PadSelection> sinks = group(sink1, sink2).selectBySink();
        assertEquals(List.of("in1", "in2", "in3"), List.copyOf(sinks.keySet()));
        sinks.forEach((name, single) -> {
            assertEquals(Set.of(name), single.padNames());
            assertSame(name.equals("in1") ? sink1 : sink2, single.element());
        });
    }

    @Test
    void aSelectionWithoutPadsOfTheKindIsAClearError() {
        PadSelection srcSelection = select(new IterSource("src", List.of("H1"), Map.of()), "H1");
        PadSelection sinkSelection = select(new NullSink("sink", "in1"), "in1");
        IllegalArgumentException noSinks = assertThrows(IllegalArgumentException.class, srcSelection::selectBySink);
        assertTrue(noSinks.getMessage().contains("No sink pads available"), noSinks.getMessage());
        IllegalArgumentException noSources = assertThrows(IllegalArgumentException.class,
                sinkSelection::selectBySource);
        assertTrue(noSources.getMessage().contains("No source pads available"), noSources.getMessage());
    }

    @Test
    void aGroupWithASinkHasNoSourcePadsToSplit() {
        ElementGroup mixed = group(new IterSource("src", List.of("H1"), Map.of()), new NullSink("sink", "in"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, mixed::selectBySource);
        assertTrue(e.getMessage().contains("'sink' is a SinkElement"), e.getMessage());
    }

    @Test
    void selectionsByPadConnectEachSourceToItsOwnSink() {
        IterSource h = new IterSource("h", List.of("H1"), Map.of("H1", List.of(1, 2)));
        IterSource l = new IterSource("l", List.of("L1"), Map.of("L1", List.of(10, 20)));
        Map<String, CollectSink> sinks = Map.of("H1", new CollectSink("sinkH", "data"),
                "L1", new CollectSink("sinkL", "data"));
        Pipeline p = new Pipeline();
        group(h, l).selectBySource().forEach((name, pad) -> p.connect(pad, sinks.get(name)));
        p.run();
        assertEquals(List.of(1, 2), sinks.get("H1").collects().get("data"));
        assertEquals(List.of(10, 20), sinks.get("L1").collects().get("data"));
    }
}
