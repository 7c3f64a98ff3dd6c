package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import jvalkka.sgn.sinks.CollectSink;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.sources.NullSource;
import org.junit.jupiter.api.Test;

class FrameAndElementTest {

    @Test
    void frameHoldsDataFlagsMetadataAndSpecAndPrintsReadably() {
        Frame f = new Frame(10);
        assertEquals(10, f.data());
        assertEquals(10, f.data(Integer.class));
        assertFalse(f.isEOS());
        assertFalse(f.isGap());
        assertFalse(f.hasMetadata(), "no metadata map until asked for");
        assertEquals("Frame(data=10)", f.toString());

        record Rate(int hz) implements DataSpec {
        }
        f.setEOS(true).setGap(true).setSpec(new Rate(16));
        f.metadata().put("t0", 5);
        assertTrue(f.hasMetadata());
        assertEquals("Frame(data=10, EOS, gap, spec=Rate[hz=16], metadata={t0=5})", f.toString());

        assertEquals("Frame(data=int[][1, 2, 3])", new Frame(new int[] {1, 2, 3}).toString());
        String longText = "x".repeat(1000);
        assertTrue(new Frame(longText).toString().contains("...(1000 chars)"), "long payloads are cut short");
        assertTrue(Frame.eos().isEOS() && Frame.eos().isGap());
        assertTrue(Frame.gap().isGap() && !Frame.gap().isEOS());
        assertEquals(Map.of("k", 1), new Frame(null, false, false, null, Map.of("k", 1)).metadata());
    }

    @Test
    void padsAreNamedElementTypePadAndLookedUpByShortName() {
        IterSource src = new IterSource("src1", List.of("H1", "L1"), null);
        assertEquals(List.of("H1", "L1"), List.copyOf(src.srcs().keySet()));
        assertEquals("src1:src:H1", src.srcs().get("H1").name());
        assertEquals("H1", src.srcPad("H1").padName());
        assertEquals(1, src.srcPad("L1").index());
        assertSame(src, src.srcPad("L1").element());
        assertTrue(src.snks().isEmpty());
        assertEquals("src1:inl:inl", src.internalPad().name());

        CollectSink snk = new CollectSink("snk1", "H1");
        assertEquals("snk1:snk:H1", snk.snkPad("H1").name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> snk.snkPad("V1"));
        assertTrue(e.getMessage().contains("no sink pad 'V1'") && e.getMessage().contains("[H1]"), e.getMessage());
    }

    @Test
    void elementsGetUniqueGeneratedNamesWhenNoneIsGiven() {
        NullSink a = new NullSink(null, "in");
        NullSink b = new NullSink("", "in");
        assertTrue(a.name().startsWith("NullSink-"), a.name());
        assertNotEquals(a.name(), b.name());
        assertEquals(a.name() + ":snk:in", a.snkPad("in").name());
    }

    @Test
    void badPadNamesAreRejected() {
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> new NullSink("s", "in", "in"));
        assertTrue(dup.getMessage().contains("duplicate sink pad name 'in'"), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NullSource("s", "out", "out"));
        assertThrows(IllegalArgumentException.class, () -> new NullSink("s"), "a sink needs a pad");
        assertThrows(IllegalArgumentException.class, () -> new NullSource("s"), "a source needs a pad");
        assertThrows(IllegalArgumentException.class, () -> new NullSink("a:b", "in"));
        assertThrows(IllegalArgumentException.class, () -> new NullSink("s", "i:n"));
    }

    @Test
    void sinkIsAtEosWhenAnyPadIsMarked() {
        NullSink snk = new NullSink("snk", "a", "b");
        assertFalse(snk.atEos());
        snk.markEos(snk.snkPad("b"));
        snk.markEos(snk.snkPad("b"));
        assertTrue(snk.atEos());
        assertTrue(snk.isEos(snk.snkPad("b")));
        assertFalse(snk.isEos(snk.snkPad("a")));
        assertEquals(1, snk.eosCount());
        NullSink other = new NullSink("other", "a");
        assertThrows(IllegalArgumentException.class, () -> snk.markEos(other.snkPad("a")));
    }
}
