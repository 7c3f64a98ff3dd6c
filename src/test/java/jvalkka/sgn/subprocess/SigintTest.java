package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import jvalkka.testing.JavaProgram;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl+C during a run (issue 5, "Failure"): {@link SigintProgram} runs an endless pipeline with
 * a worker in its own JVM; the test sends SIGINT by pid, as a terminal would to the whole
 * process group (the worker JVM first: it must ignore it and keep squaring), and checks that
 * the main process drained the pipeline (every frame the source emitted reached the sink, in
 * order), exited 0, and left neither a worker JVM nor a {@code /dev/shm} segment.
 */
class SigintTest {
    private static final Pattern PROGRESS = Pattern.compile("progress #(\\d+) frames=(\\d+)");

    static void kill(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill did not finish");
        assertEquals(0, kill.exitValue(), "kill -" + signal + " " + pid + " failed");
    }

    static String group(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), "no match for " + regex + " in:\n" + out);
        return m.group(1);
    }

    /** The heartbeat with the highest number so far, as {k, frames}; {0, 0} if none. */
    static long[] lastProgress(String out) {
        long[] last = {0, 0};
        Matcher m = PROGRESS.matcher(out);
        while (m.find()) {
            last = new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
        }
        return last;
    }

    static long framesAt(String out, long k) {
        return Long.parseLong(group(out, "progress #" + k + " frames=(\\d+)"));
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(booleans = {true, false})
    void ctrlCDrainsThePipelineAndLeavesNothing(boolean threads) throws Exception {
        JavaProgram program = JavaProgram.start(SigintProgram.class.getName(), List.of(),
                threads ? "thread" : "process");
        long pid = program.pid();
        long workerPid = -1;
        try {
            program.awaitOutput("flowing", 60);
            workerPid = Long.parseLong(group(program.output(), "worker pid (-?\\d+)"));
            assertEquals(threads, workerPid < 0, program.output());
            if (!threads) {
                // Ctrl+C reaches the worker JVM too: it must ignore it and keep squaring
                kill("INT", workerPid);
                long k = lastProgress(program.output())[0];
                program.awaitOutput("progress #" + (k + 2) + " ", 60);
                String out = program.output();
                assertTrue(framesAt(out, k + 2) > framesAt(out, k + 1),
                        "frames went on through the worker after its SIGINT:\n" + out);
            }
            kill("INT", pid);
            JavaProgram.Result result = program.waitFor(60);
            String out = result.output();
            assertEquals(0, result.exitCode(), out);
            assertTrue(out.contains("drained: worker alive=" + !threads + " eos=true"), out);
            long emitted = Long.parseLong(group(out, "source emitted=(\\d+)"));
            long received = Long.parseLong(group(out, "sink received=(\\d+)"));
            assertTrue(emitted >= 1000, out);
            assertEquals(emitted, received, "every frame the source emitted before EOS reached the sink");
            assertTrue(out.contains("in order=true signals=[INT]"), out);
        } finally {
            program.destroyTree();
        }
        if (workerPid > 0) {
            assertFalse(jvalkka.testing.Pids.running(workerPid),
                    "worker JVM " + workerPid + " left");
        }
        assertEquals(List.of(), segmentsOf(pid), "segments left in /dev/shm");
    }

    /** The segments of program {@code pid}: its rings ({@code jvsgn-<pid>-<n>}) and its toShm one. */
    static List<String> segmentsOf(long pid) throws Exception {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("jvsgn-" + pid + "-") || n.equals("jvsgn-sigint-" + pid)).toList();
        }
    }
}
