package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import jvalkka.testing.JavaProgram;
import jvalkka.tutorial.ProcessQueueBackendSees;
import jvalkka.tutorial.ProcessQueueNaive;
import jvalkka.tutorial.ProcessQueueParams;
import jvalkka.tutorial.ProcessQueueScaling;

/** Runs each ProcessQueue tutorial step as {@code scripts/tutorial} does, in its own JVM, and checks its output. */
class ProcessQueueTutorialTest {
    @AfterAll
    static void noWorkerLeft() throws InterruptedException {
        Testing.assertNoChildren();
    }

    @Test
    void naive() throws Exception {
        JavaProgram.Result r = JavaProgram.run(ProcessQueueNaive.class, 60);
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder("Start pushing data", "Pushing 0", "Pushing 99", "Finish pushing data", "Pop ",
                "Program ends.", "in input order: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81] ...",
                "map: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]");
        Set<String> popped = r.lines().stream().filter(l -> l.startsWith("Pop ")).collect(Collectors.toSet());
        Set<String> squares = IntStream.range(0, 100).mapToObj(i -> "Pop " + i * i + " out")
                .collect(Collectors.toCollection(HashSet::new));
        assertEquals(squares, popped);
    }

    @Test
    void params() throws Exception {
        JavaProgram.Result r = JavaProgram.run(ProcessQueueParams.class, 60);
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder("Start pushing data", "Finish pushing data", "Popped 100 results",
                "records: [1024, 27, 0.5]", "Program ends.");
        r.assertLinesInOrder("Pop 1.0 out (item #0: {base=1, exponent=-1})");
        r.assertLinesInOrder("Pop 16 out (item #3: {base=4, exponent=2})");
    }

    @Test
    void scalingPrintsTheTable() throws Exception {
        // a few items: the table's rows are under test, not the speedup (scripts/bench measures that)
        JavaProgram.Result r = JavaProgram.run(ProcessQueueScaling.class, 60, "40");
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder("40 cal_pow items on", "| Num of CPUs | Running Time (seconds) | Speedup |",
                "| 1 | ", "| 2 | ");
        List<String> rows = r.lines().stream().filter(l -> l.matches("\\| \\d+ \\| [0-9.]+ \\| [0-9.]+ \\|")).toList();
        assertEquals(Math.min(8, Integer.highestOneBit(Runtime.getRuntime().availableProcessors())), rows.size() == 0
                ? 0 : Integer.parseInt(rows.get(rows.size() - 1).split("\\|")[1].trim()), r.output());
    }

    @Test
    void whatTheBackendSees() throws Exception {
        JavaProgram.Result r = JavaProgram.run(ProcessQueueBackendSees.class, 60);
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder(
                "a=10, b=0.0, cache=frontend-only, static counter=2",
                "Main process: set b=10.0 after start()",
                "a=10, b=0.0, cache=null, static counter=1",
                "Child process: set a=5",
                "After the child ran: main process a=10 (the child's a=5)",
                "start() failed: <Reader.reader> cannot start: field Reader.dataset",
                "Fixed: pixels of test_read.tiff read in pid",
                "Program ends.");
        assertTrue(r.output().contains("Mark the field transient and create it in preRun__"), r.output());
    }
}
