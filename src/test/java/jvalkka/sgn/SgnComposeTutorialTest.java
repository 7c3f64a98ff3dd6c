package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import jvalkka.testing.JavaProgram;
import jvalkka.tutorial.SgnCompose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the tutorial step {@code scripts/tutorial sgn-compose} as a user would, in its own JVM. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SgnComposeTutorialTest {
    @Test
    void composedElementsRunAsThreeElementsAndKeepTheSquares() throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnCompose.class, 60);
        assertEquals(0, result.exitCode(), result.output());
        result.assertLinesInOrder(
                "composed source 'numbers': source pads [H1]",
                "composed transform 'plus1-squared': sink pads [H1], source pads [H1]",
                "composed sink 'store': sink pads [H1]",
                "elements: [numbers, plus1-squared, store]",
                "inside: numbers [counter, times10], plus1-squared [plus1, squared], store [format, kept]",
                "element links: [counter -> times10, format -> kept, numbers -> plus1-squared, plus1 -> squared,"
                        + " plus1-squared -> plus1, plus1-squared -> store, squared -> plus1-squared, store -> format,"
                        + " times10 -> numbers]",
                "loops run: 4",
                "kept on H1: [value=121, value=441, value=961]",
                "store at EOS: true");
    }
}
