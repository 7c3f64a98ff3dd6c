package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jvalkka.testing.JavaProgram;
import jvalkka.tutorial.SgnSubprocess;
import org.junit.jupiter.api.Test;

/** Runs {@code scripts/tutorial sgn-subprocess} as a user would, in its own JVM. */
class SgnSubprocessTutorialTest {
    @Test
    void squaresInAWorkerJvmAndLogsInAWorkerThread() throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnSubprocess.class, 90);
        assertEquals(0, result.exitCode(), result.output());
        String out = result.output();
        for (int i = 1; i <= 10; i++) {
            assertTrue(out.contains("Sink received: " + i * i), out);
            assertTrue(out.contains("): " + i * i), out);
        }
        result.assertLinesInOrder("Sink received: 1", "Sink received: 100", "Sink received EOS", "done");
        String main = out.lines().filter(l -> l.startsWith("Main process ID: ")).findFirst().orElseThrow()
                .substring("Main process ID: ".length());
        assertTrue(out.lines().filter(l -> l.startsWith("Transform (pid ")).noneMatch(l -> l.contains("pid " + main + ")")),
                "the transform ran in another JVM:\n" + out);
    }
}
