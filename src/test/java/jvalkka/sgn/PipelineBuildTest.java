package jvalkka.sgn;

import static jvalkka.sgn.Groups.group;
import static jvalkka.sgn.Groups.select;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jvalkka.sgn.Pipeline.Edge;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.IterSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Building a graph: insert, link, connect (each implicit-linking rule), group/select, check. */
class PipelineBuildTest {

    private static IterSource source(String name, String... pads) {
        return new IterSource(name, List.of(pads), null);
    }

    /** A pass-through transform, for graphs with a middle. */
    static final class Pass extends TransformElement {
        Frame in;

        Pass(String name, List<String> sinks, List<String> sources) {
            super(name, sinks, sources);
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

    private static String fails(Executable action, String... expectedParts) {
        Exception e = assertThrows(RuntimeException.class, action);
        for (String part : expectedParts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
        return e.getMessage();
    }

    private static Edge edge(String from, String to) {
        return new Edge(from, to);
    }

    @Test
    void insertAndLinkByNamesAndByPads() {
        IterSource src = source("src", "H1", "L1");
        NullSink snk = new NullSink("snk", "H1", "L1");
        Pipeline p = new Pipeline().insert(Map.of("snk:snk:H1", "src:src:H1"), src, snk);
        p.link(Map.of(snk.snkPad("L1"), src.srcPad("L1")));
        assertEquals(List.of(edge("src:src:H1", "snk:snk:H1"), edge("src:src:L1", "snk:snk:L1")), p.edges());
        assertSame(src.srcPad("H1"), snk.snkPad("H1").other());
        p.check();
        assertEquals(List.of("snk:snk:H1", "snk:snk:L1", "src:src:H1", "src:src:L1"), p.nodes());
        assertEquals(List.of("snk", "src"), p.nodes(false, false));
        assertTrue(p.nodes(true, true).contains("src:inl:inl"));
        assertEquals(List.of(edge("src", "snk")), p.edges(false, false));
        assertTrue(p.edges(true, true).contains(edge("snk:snk:H1", "snk:inl:inl")));
        assertTrue(p.edges(true, true).contains(edge("src:inl:inl", "src:src:L1")));
        assertSame(src, p.element("src"));
        assertSame(snk.snkPad("L1"), p.pad("snk:snk:L1"));
    }

    @Test
    void duplicateElementNamesAreRejected() {
        Pipeline p = new Pipeline().insert(source("src", "H1"));
        fails(() -> p.insert(source("src", "L1")), "element name 'src' is already in use");
    }

    @Test
    void linkErrorsNameThePads() {
        IterSource src = source("src", "H1");
        IterSource src2 = source("src2", "H1");
        NullSink snk = new NullSink("snk", "H1");
        NullSink snk2 = new NullSink("snk2", "H1");
        Pipeline p = new Pipeline().insert(src, src2, snk, snk2);
        fails(() -> p.link(Map.of("src2:src:H1", "src:src:H1")), "two source pads cannot be linked", "src2:src:H1");
        fails(() -> p.link(Map.of("snk:snk:H1", "snk2:snk:H1")), "two sink pads cannot be linked");
        fails(() -> p.link(Map.of("src:src:H1", "snk:snk:H1")), "data flows value -> key");
        fails(() -> p.link(Map.of("snk:snk:X1", "src:src:H1")), "no pad named 'snk:snk:X1'");
        fails(() -> p.link(Map.of(new NullSink("elsewhere", "in").snkPad("in"), src.srcPad("H1"))),
                "not inserted in this pipeline");
        p.link(Map.of("snk:snk:H1", "src:src:H1"));
        p.link(Map.of("snk:snk:H1", "src:src:H1")); // the same link again is harmless
        fails(() -> p.link(Map.of("snk:snk:H1", "src2:src:H1")), "snk:snk:H1 is already linked to src:src:H1",
                "exactly one source pad");
    }

    @Test
    void connectExactMatchLinksSameNames() {
        IterSource src = source("src", "H1", "L1");
        NullSink snk = new NullSink("snk", "L1", "H1");
        Pipeline p = new Pipeline().connect(src, snk);
        assertEquals(List.of(edge("src:src:H1", "snk:snk:H1"), edge("src:src:L1", "snk:snk:L1")), p.edges());
        assertEquals(List.of("snk", "src"), p.nodes(false, false), "connect inserts the elements");
    }

    @Test
    void connectPartialMatchLinksCommonNamesAndIgnoresTheRest() {
        IterSource src1 = source("src1", "H1", "L1");
        IterSource src2 = source("src2", "V1");
        NullSink sink1 = new NullSink("sink1", "H1", "L1");
        NullSink sink2 = new NullSink("sink2", "out");
        Pipeline p = new Pipeline().connect(group(src1, src2), group(sink1, sink2));
        assertEquals(List.of(edge("src1:src:H1", "sink1:snk:H1"), edge("src1:src:L1", "sink1:snk:L1")), p.edges());
        fails(p::check, "Source pad not linked: src2:src:V1");
    }

    @Test
    void connectNToOneLinksTheSingleSourcePadToTheSingleSinkPad() {
        IterSource src = source("src", "out");
        NullSink snk = new NullSink("snk", "in");
        Pipeline p = new Pipeline().connect(src, snk);
        assertEquals(List.of(edge("src:src:out", "snk:snk:in")), p.edges());

        // several source pads into one sink pad would break "a sink pad links to exactly one source pad"
        IterSource a = source("a", "H1");
        IterSource b = source("b", "L1");
        NullSink single = new NullSink("single", "data");
        Pipeline q = new Pipeline();
        fails(() -> q.connect(group(a, b), single), "N-to-1", "single:snk:data", "explicit link map");
        assertTrue(q.elements().isEmpty(), "a failed connect changes nothing");
    }

    @Test
    void connectOneToNLinksTheSingleSourcePadToEverySinkPad() {
        IterSource src = source("src", "data");
        NullSink sink1 = new NullSink("sink1", "H1");
        NullSink sink2 = new NullSink("sink2", "L1");
        Pipeline p = new Pipeline().connect(src, group(sink1, sink2));
        assertEquals(List.of(edge("src:src:data", "sink1:snk:H1"), edge("src:src:data", "sink2:snk:L1")), p.edges());
        p.check();
    }

    @Test
    void connectAmbiguousCaseAsksForAnExplicitMap() {
        IterSource src1 = source("src1", "src_H1", "src_L1");
        IterSource src2 = source("src2", "src_V1");
        NullSink sink1 = new NullSink("sink1", "out1");
        NullSink sink2 = new NullSink("sink2", "out2");
        Pipeline p = new Pipeline();
        fails(() -> p.connect(group(src1, src2), group(sink1, sink2)),
                "unable to determine an unambiguous linking strategy", "explicit link map");
    }

    @Test
    void connectWithAnExplicitMapOfShortNames() {
        IterSource src = source("src", "out");
        NullSink snk = new NullSink("snk", "in");
        Pipeline p = new Pipeline().connect(src, snk, Map.of("in", "out"));
        assertEquals(List.of(edge("src:src:out", "snk:snk:in")), p.edges());

        IterSource src2 = source("src2", "valid");
        NullSink snk2 = new NullSink("snk2", "valid");
        fails(() -> p.connect(src2, snk2, Map.of("invalid_sink", "valid")), "sink pad 'invalid_sink' not found");
        fails(() -> p.connect(src2, snk2, Map.of("valid", "invalid_src")), "source pad 'invalid_src' not found");
    }

    @Test
    void connectRejectsElementsOnTheWrongSide() {
        IterSource src = source("src", "H1");
        NullSink snk = new NullSink("snk", "L1");
        Pipeline p = new Pipeline();
        fails(() -> p.connect(snk, src), "is a SinkElement and has no source pads");
        fails(() -> p.connect(src, src), "is a SourceElement and has no sink pads");
    }

    @Test
    void groupAndSelectPickElementsAndPads() {
        IterSource src1 = source("src1", "H1");
        IterSource src2 = source("src2", "L1", "V1");
        NullSink sink = new NullSink("sink", "H1", "L1");
        Pipeline p = new Pipeline().connect(group(src1, select(src2, "L1")), sink);
        assertEquals(List.of(edge("src1:src:H1", "sink:snk:H1"), edge("src2:src:L1", "sink:snk:L1")), p.edges());
        assertEquals(List.of("sink", "src1", "src2"), p.nodes(false, false), "selected elements are inserted whole");

        fails(() -> select(src2, "X1"), "pad names [X1] not found on element 'src2'");
        assertEquals(java.util.Set.of("V1"), select(select(src2, "L1", "V1"), "V1").padNames());
        fails(() -> select(select(src2, "L1"), "V1"), "no matching pads");

        ElementGroup both = group(src1, src2);
        ElementGroup onlyL1 = select(both, "L1");
        assertEquals(List.of("L1"), List.copyOf(onlyL1.srcs().keySet()));
        assertEquals(List.of(src2), onlyL1.elements());
        assertEquals(List.of(src1, src2), group(both, src1).elements(), "groups flatten, elements once");

        IterSource clash = source("clash", "H1");
        fails(() -> new Pipeline().connect(group(src1, clash), sink), "duplicate source pad name 'H1' in group");
        fails(() -> group(src1, sink).srcs(), "'sink' is a SinkElement");
    }

    @Test
    void connectTransformsSelectingPadsOfBothSides() {
        IterSource src = source("src", "a", "b");
        Pass t = new Pass("t", List.of("a", "b"), List.of("a"));
        NullSink snk = new NullSink("snk", "a");
        Pipeline p = new Pipeline().connect(src, t).connect(select(t, "a"), snk);
        p.check();
        assertEquals(3, p.edges().size());
    }

    @Test
    void checkReportsNoSinksAndUnlinkedPadsByName() {
        fails(() -> new Pipeline().insert(source("src", "H1")).check(), "Pipeline contains no sink elements");
        IterSource src = source("src", "H1");
        NullSink snk = new NullSink("snk", "H1", "L1");
        Pipeline p = new Pipeline().insert(Map.of("snk:snk:H1", "src:src:H1"), src, snk);
        fails(p::check, "Sink pad not linked: snk:snk:L1");
        fails(p::run, "Sink pad not linked: snk:snk:L1");
    }

    @Test
    void cyclesAreRejectedNamingThePads() {
        IterSource src = source("src", "x");
        Pass a = new Pass("a", List.of("in", "back"), List.of("out"));
        Pass b = new Pass("b", List.of("in"), List.of("out", "loop"));
        NullSink snk = new NullSink("snk", "in");
        Map<String, String> links = new LinkedHashMap<>();
        links.put("a:snk:in", "src:src:x");
        links.put("b:snk:in", "a:src:out");
        links.put("a:snk:back", "b:src:loop");
        links.put("snk:snk:in", "b:src:out");
        Pipeline p = new Pipeline().insert(links, src, a, b, snk);
        String message = fails(p::check, "cycle");
        for (String pad : List.of("a:snk:back", "a:src:out", "b:snk:in", "b:src:loop")) {
            assertTrue(message.contains(pad), pad + " not in: " + message);
        }
        assertFalse(message.contains("src:src:x"), "only the cycle is named: " + message);
    }

    @Test
    void toDotDescribesElementsPadsAndLinks() {
        IterSource src = source("src", "H1");
        NullSink snk = new NullSink("snk", "H1", "L1");
        Pipeline p = new Pipeline().insert(Map.of("snk:snk:H1", "src:src:H1"), src, snk);
        String dot = p.toDot("my \"graph\"");
        assertTrue(dot.startsWith("digraph pipeline {"), dot);
        assertTrue(dot.contains("\"src:src:H1\" -> \"snk:snk:H1\";"), dot);
        assertTrue(dot.contains("subgraph \"cluster_snk\""), dot);
        assertTrue(dot.contains("\"snk:snk:L1\" [label=\"L1\", fillcolor=tomato]"), "unlinked pads stand out: " + dot);
        assertTrue(dot.contains("label=\"my \\\"graph\\\"\""), dot);
        assertTrue(dot.trim().endsWith("}"));
    }

    @Test
    void visualizeSaysClearlyWhenDotIsMissing(@TempDir Path dir) throws Exception {
        Pipeline p = new Pipeline().connect(source("src", "H1"), new NullSink("snk", "H1"));
        Path out = dir.resolve("graph.png"); // .svg is drawn without graphviz: see SvgPictureTest
        fails(() -> p.visualize(out, "no-such-graphviz-program-jv"), "'no-such-graphviz-program-jv' program is not"
                + " installed", "toDot()");
        assertFalse(Files.exists(out));
        try {
            p.visualize(out); // the real one: renders if graphviz is installed, else the same clear error
            assertTrue(Files.size(out) > 0);
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("'dot' program is not installed"), e.getMessage());
        }
        Path svg = dir.resolve("graph.svg");
        p.visualize(svg); // graphviz's picture, or Java's without it
        assertTrue(Files.readString(svg).contains("<svg"));
    }
}
