package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jvalkka.testing.JavaProgram;
import jvalkka.tutorial.SgnQuickstart;
import org.junit.jupiter.api.Test;

/** Runs the tutorial step {@code scripts/tutorial sgn-quickstart} as a user would, in its own JVM. */
class SgnQuickstartTutorialTest {
    @Test
    void quickStartPrintsTheLinksAndCollects10_20_30() throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnQuickstart.class, 60);
        assertEquals(0, result.exitCode(), result.output());
        result.assertLinesInOrder(
                "links: [src1:src:H1 -> t1:snk:H1, t1:src:H1 -> snk1:snk:H1]",
                "loops run: 4",
                "collected on H1: [10, 20, 30]");
    }
}
