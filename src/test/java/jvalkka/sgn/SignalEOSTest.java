package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import jvalkka.sgn.sources.NullSource;
import jvalkka.testing.JavaProgram;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SignalEOSTest {

    /** Sends {@code kill -<signal> <pid>} to a process this test started. */
    private static void kill(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill did not finish");
        assertEquals(0, kill.exitValue(), "kill -" + signal + " " + pid + " failed");
    }

    @ParameterizedTest
    @CsvSource({"INT, 130", "TERM, 143"})
    void aSignalDuringRunDrainsThePipelineThenThePreviousHandlersAreBack(String signal, int exitBySignal)
            throws Exception {
        JavaProgram program = JavaProgram.start(SignalEosProgram.class);
        try {
            program.awaitOutput("running", 30);
            kill(signal, program.pid());
            program.awaitOutput("handlers restored", 30);
            String out = program.output();
            assertTrue(out.contains("eos=true signals=[" + signal + "] signaledEos=false"), out);
            kill(signal, program.pid()); // now the JVM's own handler: the program ends by the signal
            JavaProgram.Result result = program.waitFor(30);
            assertEquals(exitBySignal, result.exitCode(), result.output());
            assertFalse(result.output().contains("no second signal"), result.output());
        } finally {
            program.destroyTree();
        }
    }

    /** In this JVM: a raised SIGINT makes an endless source send EOS; state is reset on the next open. */
    @Test
    void signaledEosEndsAnEndlessSourceInProcess() {
        NullSource src = new NullSource("src", "out");
        long[] frames = {0};
        SinkElement snk = new SinkElement("snk", "out") {
            @Override
            public void pull(SinkPad pad, Frame frame) {
                if (++frames[0] == 10) {
                    sun.misc.Signal.raise(new sun.misc.Signal("INT")); // handled by SignalEOS: only a flag
                }
                if (frame.isEOS()) {
                    markEos(pad);
                }
            }
        };
        try (SignalEOS outer = new SignalEOS(); SignalEOS inner = new SignalEOS()) {
            assertFalse(SignalEOS.signaledEos());
            new Pipeline().connect(src, snk).run(); // ends only through the signal
            assertTrue(SignalEOS.signaledEos());
        }
        assertTrue(frames[0] >= 11, "ran until the signal, then one EOS frame");
        assertFalse(SignalEOS.signaledEos(), "cleared when the outermost closes");
        assertEquals(Set.of("INT"), SignalEOS.receivedSignals());
        try (SignalEOS again = new SignalEOS()) {
            assertEquals(Set.of(), SignalEOS.receivedSignals(), "a new session starts clean");
        }
    }
}
