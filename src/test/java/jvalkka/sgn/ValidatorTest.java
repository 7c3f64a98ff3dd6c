package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SGN's test_validator.py, translated: validators run in an element's constructor. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ValidatorTest {

    /** A transform that runs {@code validator} at construction, as an SGN element's __post_init__ would. */
    static class ValidatorTransform extends TransformElement {
        boolean validationCalled;

        ValidatorTransform(Validator validator, List<String> sinkPadNames, List<String> sourcePadNames) {
            super("test", sinkPadNames, sourcePadNames);
            validator.andThen(e -> validationCalled = true).validate(this);
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(null);
        }
    }

    static class ValidatorSink extends SinkElement {
        boolean validationCalled;

        ValidatorSink(Validator validator, String... sinkPadNames) {
            super("test", sinkPadNames);
            validator.andThen(e -> validationCalled = true).validate(this);
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }
    }

    private static String refused(Validator v, List<String> sinks, List<String> sources) {
        return assertThrows(IllegalArgumentException.class, () -> new ValidatorTransform(v, sinks, sources))
                .getMessage();
    }

    // ---------------------------------------------------------------- one to one

    @Test
    void oneToOnePassesWithOneSinkAndOneSourcePad() {
        ValidatorTransform t = new ValidatorTransform(Validator.oneToOne(), List.of("in"), List.of("out"));
        assertTrue(t.validationCalled);
        assertEquals(1, t.sinkPads().size());
        assertEquals(1, t.sourcePads().size());
    }

    @Test
    void oneToOneRefusesTwoSinkPadsWithSgnsMessage() {
        assertEquals("test requires exactly one sink and source pad, got 2 sink pads and 1 source pads",
                refused(Validator.oneToOne(), List.of("in1", "in2"), List.of("out")));
    }

    @Test
    void oneToOneRefusesTwoSourcePads() {
        assertTrue(refused(Validator.oneToOne(), List.of("in"), List.of("out1", "out2"))
                .contains("requires exactly one sink and source pad, got 1 sink pads and 2 source pads"));
    }

    // ---------------------------------------------------------------- one to many, many to one

    @Test
    void oneToManyPassesWithOneSinkAndSeveralSourcePads() {
        ValidatorTransform t = new ValidatorTransform(Validator.oneToMany(), List.of("in"), List.of("out1", "out2"));
        assertTrue(t.validationCalled);
        assertEquals(2, t.sourcePads().size());
    }

    @Test
    void oneToManyRefusesSeveralSinkPads() {
        assertEquals("test requires exactly one sink pad, got 2",
                refused(Validator.oneToMany(), List.of("in1", "in2"), List.of("out1", "out2")));
    }

    @Test
    void manyToOnePassesWithSeveralSinksAndOneSourcePad() {
        ValidatorTransform t = new ValidatorTransform(Validator.manyToOne(), List.of("in1", "in2"), List.of("out"));
        assertTrue(t.validationCalled);
        assertEquals(2, t.sinkPads().size());
    }

    @Test
    void manyToOneRefusesSeveralSourcePads() {
        assertEquals("test requires exactly one source pad, got 2",
                refused(Validator.manyToOne(), List.of("in1", "in2"), List.of("out1", "out2")));
    }

    // ---------------------------------------------------------------- num pads

    @Test
    void numPadsPassesWithTheExactCounts() {
        assertTrue(new ValidatorTransform(Validator.numPads(2, 3), List.of("in1", "in2"),
                List.of("out1", "out2", "out3")).validationCalled);
    }

    @Test
    void numPadsCanCheckOnlySinkPads() {
        assertTrue(new ValidatorTransform(Validator.numPads(2, null), List.of("in1", "in2"),
                List.of("out1", "out2", "out3")).validationCalled);
    }

    @Test
    void numPadsCanCheckOnlySourcePads() {
        assertTrue(new ValidatorTransform(Validator.numPads(null, 2), List.of("in1", "in2", "in3"),
                List.of("out1", "out2")).validationCalled);
    }

    @Test
    void numPadsRefusesAWrongSinkCount() {
        assertEquals("test requires exactly 3 sink pad(s), got 2",
                refused(Validator.numPads(3, null), List.of("in1", "in2"), List.of("out")));
    }

    @Test
    void numPadsRefusesAWrongSourceCount() {
        assertEquals("test requires exactly 1 source pad(s), got 2",
                refused(Validator.numPads(null, 1), List.of("in"), List.of("out1", "out2")));
    }

    @Test
    void numPadsRefusesANegativeCount() {
        assertThrows(IllegalArgumentException.class, () -> Validator.numPads(-1, null));
    }

    // ---------------------------------------------------------------- pad names match

    @Test
    void padNamesMatchPassesWhenTheNamesMatch() {
        assertTrue(new ValidatorTransform(Validator.padNamesMatch(), List.of("H1", "L1"), List.of("H1", "L1"))
                .validationCalled);
    }

    @Test
    void padNamesMatchIgnoresOrder() {
        assertTrue(new ValidatorTransform(Validator.padNamesMatch(), List.of("H1", "L1", "V1"),
                List.of("V1", "H1", "L1")).validationCalled);
    }

    @Test
    void padNamesMatchRefusesDifferentNames() {
        assertEquals("test requires source and sink pad names to match. Source: [H1, V1], Sink: [H1, L1]",
                refused(Validator.padNamesMatch(), List.of("H1", "L1"), List.of("H1", "V1")));
    }

    // ---------------------------------------------------------------- single pad

    @Test
    void singlePadPassesWithOneSinkPad() {
        ValidatorSink sink = new ValidatorSink(Validator.singlePad(), "in");
        assertTrue(sink.validationCalled);
        assertEquals(1, sink.sinkPads().size());
    }

    @Test
    void singlePadRefusesSeveralSinkPads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ValidatorSink(Validator.singlePad(), "in1", "in2"));
        assertEquals("test requires exactly one sink pad, got 2", e.getMessage());
    }

    // ---------------------------------------------------------------- the decorator form

    @Test
    void aCustomCheckRunsAfterTheValidatorAndOnlyIfItPasses() {
        boolean[] custom = {false};
        Validator checked = Validator.numPads(2, 1).andThen(e -> custom[0] = true);
        new ValidatorTransform(checked, List.of("in1", "in2"), List.of("out"));
        assertTrue(custom[0]);
        custom[0] = false;
        assertThrows(IllegalArgumentException.class,
                () -> new ValidatorTransform(checked, List.of("in1"), List.of("out")));
        assertTrue(!custom[0], "the custom check does not run when the validator fails");
    }
}
