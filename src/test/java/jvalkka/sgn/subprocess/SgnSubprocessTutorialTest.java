package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jvalkka.testing.JavaProgram;
import jvalkka.tutorial.SgnSubprocess;
import jvalkka.tutorial.SgnSubprocessLineByLine;
import jvalkka.tutorial.SgnStats;
import jvalkka.tutorial.SgnSubprocessShm;
import jvalkka.tutorial.SgnSubprocessShutdown;
import jvalkka.tutorial.SgnSubprocessSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the {@code scripts/tutorial sgn-subprocess*} steps as a user would, each in its own JVM. */
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

    private static String mainPid(String out) {
        Matcher m = Pattern.compile("Main process ID: (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"thread", "process"})
    void sourceWorkerTurnsCountsIntoItemsAndEndsTheStream(String mode) throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnSubprocessSource.class, 90, mode);
        assertEquals(0, result.exitCode(), result.output());
        String out = result.output();
        result.assertLinesInOrder("mode: " + mode, "Sink: Processed item 1 ", "Sink: Processed item 2 ",
                "Sink: Processed item 3 ", "Sink: Processed item 4 ", "Sink: EOS", "done");
        assertFalse(out.contains("Processed item 5"), "the fifth count ends the stream:\n" + out);
        boolean inMain = out.contains("worker in pid " + mainPid(out) + ",");
        assertEquals(mode.equals("thread"), inMain, "a thread worker runs in the main JVM, a process one not:\n" + out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"process", "thread"})
    void workerReadsAndModifiesTheToShmArrayAndTheMainProcessSeesIt(String mode) throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnSubprocessShm.class, 90, mode);
        assertEquals(0, result.exitCode(), result.output());
        String out = result.output();
        result.assertLinesInOrder(
                "Main: shared array [1.0, 2.0, 3.0, 4.0, 5.0]",
                "tick 1: shared array: [1.0, 2.0, 3.0, 4.0, 5.0]",
                "tick 1: modified array: [2.0, 3.0, 4.0, 5.0, 6.0]",
                "tick 3: modified array: [4.0, 5.0, 6.0, 7.0, 8.0]",
                "Main sees: [4.0, 5.0, 6.0, 7.0, 8.0]",
                "segment removed on close: true");
        boolean inMain = out.contains("Worker (pid " + mainPid(out) + ")");
        assertEquals(mode.equals("thread"), inMain, out);
    }

    @Test
    void orderlyShutdownDrainsASlowWorkerAndReturnsTheRest() throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnSubprocessShutdown.class, 90);
        assertEquals(0, result.exitCode(), result.output());
        result.assertLinesInOrder("Worker: 10 -> 100",
                "Main: all results [1, 4, 9, 16, 25, 36, 49, 64, 81, 100] (10 of 10)",
                "worker terminated: true");
        Matcher m = Pattern.compile("Main: (\\d+) results during the run, (\\d+) returned by subProcessShutdown")
                .matcher(result.output());
        assertTrue(m.find(), result.output());
        // how many came back during the run depends on timing; none may be lost
        assertEquals(10, Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)), result.output());
    }

    /**
     * SGN's main example ported line by line: its transform drops what subProcessShutdown returns
     * (the EOS frame among it) and gets from the closed outQueue; that must fail at once (before
     * issue 14 it ran 139 loops and died on an unrelated put), saying what to change.
     */
    @Test
    void theLineByLinePortOfSgnsMainExampleFailsAtOnceSayingWhatToChange() throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnSubprocessLineByLine.class, 90, "as-ported");
        String out = result.output();
        assertEquals(1, result.exitCode(), out);
        Matcher m = Pattern.compile("stopped at loop (\\d+), pad transform:src:output:").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Integer.parseInt(m.group(1)) <= 11, "at the end of the stream, not later:\n" + out);
        assertTrue(out.contains("outQueue of 'transform' is closed: subProcessShutdown ended its worker and returned"), out);
        assertTrue(out.contains("the end-of-stream frame among them"), out);
        assertTrue(out.contains("Use the list subProcessShutdown returns"), out);
    }

    @Test
    void theLineByLinePortWithItsTwoChangesRunsToTheEnd() throws Exception {
        JavaProgram.Result result = JavaProgram.run(SgnSubprocessLineByLine.class, 90, "fixed");
        assertEquals(0, result.exitCode(), result.output());
        result.assertLinesInOrder("Sink received on sink:snk:result: 1", "Sink received on sink:snk:result: 81",
                "Sink received EOS on sink:snk:result", "done");
        // the tenth frame carries both 10 and EOS: SGN's sink logs it as EOS only
        assertTrue(result.output().contains("Transform: 100"), result.output());
    }

    /**
     * {@code scripts/tutorial sgn-stats}: samples of this JVM, its worker JVM and the system until
     * Ctrl+C, which ends the stream; the program then drains and exits normally.
     */
    @Test
    void statsSourceReportsTheMainAndWorkerJvmsUntilCtrlC() throws Exception {
        JavaProgram program = JavaProgram.start(SgnStats.class.getName(), java.util.List.of(), "0.2");
        long workerPid = -1;
        try {
            program.awaitOutput("stats #3:", 120);
            String out = program.output();
            workerPid = Long.parseLong(SigintTest.group(out, "worker pid (\\d+)"));
            String main = SigintTest.group(out, "main pid (\\d+):");
            assertEquals(Long.toString(program.pid()), main);
            String sample = SigintTest.group(out, "(stats #3: .*)");
            assertTrue(sample.contains("main pid " + main + " cpu "), sample);
            assertTrue(sample.contains("; WorkerProcess.worker-squarer pid " + workerPid + " cpu "), sample);
            assertTrue(sample.matches(".*rss \\d+ MB threads \\d+; system cpu .*% memory \\d+%"), sample);
            SigintTest.kill("INT", program.pid());
            JavaProgram.Result result = program.waitFor(120); // generous: a loaded 2-core machine is slow
            assertEquals(0, result.exitCode(), result.output());
            result.assertLinesInOrder("stats #1:", "stats #3:", "stats: EOS after", "done");
        } finally {
            program.destroyTree();
        }
        long w = workerPid;
        assertFalse(w > 0 && jvalkka.testing.Pids.running(w), "worker JVM left");
        assertEquals(java.util.List.of(), SigintTest.segmentsOf(program.pid()), "segments left in /dev/shm");
    }
}
