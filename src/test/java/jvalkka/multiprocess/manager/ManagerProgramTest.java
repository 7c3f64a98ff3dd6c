package jvalkka.multiprocess.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import jvalkka.testing.JavaProgram;

/**
 * Step 7's manager as a separate program: test mode, Ctrl+C (SIGINT to the
 * manager and its workers, as a terminal sends it to the process group),
 * SIGTERM, and kill -9 of the manager.
 */
class ManagerProgramTest {
    private static final String STEP7 = "jvalkka.tutorial.Step7Manager";
    private static final int WORKERS = 3;

    @AfterEach
    void noChildren() {
        Workers.assertNoChildren(15);
    }

    @Test
    void step7TestModeRunsTheManagerInAThreadAndCleansUp() throws Exception {
        JavaProgram program = JavaProgram.start(STEP7, List.of(), "test", Integer.toString(WORKERS), "3", "-v");
        try {
            JavaProgram.Result r = program.waitFor(120);
            assertEquals(0, r.exitCode(), r.output());
            r.assertLinesInOrder(
                    "Manager - INFO - startProcesses: starting multiprocesses",
                    "Manager - INFO - startProcesses: all multiprocesses running",
                    "Manager - INFO - starting as thread",
                    "running manager for 3.0 secs",
                    "c__doWork: will fill the array with ",
                    "stopping manager",
                    "Manager - INFO - requesting thread stop",
                    "Manager - INFO - stop requested: leaving the loop",
                    "Manager - DEBUG - close: stopping processes",
                    "Manager - DEBUG - close: processes stopped",
                    "Manager - INFO - summary: " + WORKERS + " workers, ",
                    "Manager - INFO - thread stopped",
                    "bye!");
            for (int i = 0; i < WORKERS; i++) {
                assertTrue(r.output().contains("WorkerProcess.worker-" + i + " - INFO - postRun__ : "), r.output());
            }
            assertEquals(List.of(), Workers.segments("-" + program.pid()), "no /dev/shm segment left");
        } finally {
            program.destroyTree();
        }
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"INT", "TERM"})
    void aSignalMakesTheManagerCloseEveryWorkerAndExit(String signal) throws Exception {
        JavaProgram program = JavaProgram.startInOwnProcessGroup(STEP7, List.of(), "main", Integer.toString(WORKERS), "-v");
        try {
            List<Long> workers = awaitWorkersRunning(program);
            if (signal.equals("INT")) {
                // Ctrl+C: the terminal signals the whole process group, the manager and every worker
                // (which ignore it: ignoreSIGINT); the workers are in the manager's group, as after a fork
                for (long w : workers) {
                    assertEquals(program.pid(), processGroup(w), "worker " + w + " is in the manager's group");
                }
                kill("INT", -program.pid());
            } else {
                kill("TERM", program.pid());
            }
            JavaProgram.Result r = program.waitFor(90);
            assertEquals(0, r.exitCode(), "the manager ends normally after closing; output:\n" + r.output());
            r.assertLinesInOrder(
                    "Manager - WARNING - SIGTERM or CTRL-C: will exit asap",
                    "Manager - DEBUG - close: stopping processes",
                    "Manager - DEBUG - close: processes stopped",
                    "Manager - INFO - summary: ",
                    "Manager - DEBUG - bye!");
            for (int i = 0; i < WORKERS; i++) {
                // an orderly stop, not a death by the signal
                assertTrue(r.output().contains("WorkerProcess.worker-" + i + " - INFO - postRun__ : "), r.output());
            }
            assertTrue(!r.output().contains("exited without being asked"), r.output());
            for (long w : workers) {
                assertTrue(ProcessHandle.of(w).map(h -> !h.isAlive()).orElse(true), "worker " + w + " still runs");
            }
            assertEquals(List.of(), Workers.segments("-" + program.pid()), "no /dev/shm segment left");
        } finally {
            program.destroyTree();
        }
    }

    /**
     * A kill -9'd manager's workers go with it; what it leaves, its run record and the segments of
     * the workers that were busy, goes with the stale sweep. Each worker sees its pipe end: one that
     * is idle runs its close phase, whose {@code postRun__} unlinks its segment (Step 7's backend
     * does); one busy in {@code c__doWork} (a sleep of 1-5 s) is halted by its parent watch after
     * the grace (1 s) without it, and its segment stays. So 0 to 3 segments are left, depending on
     * what the workers were doing, but the record always is (only a sweep removes it): the manager
     * runs in a run directory of this test, which no other JVM's sweep reaches.
     */
    @Test
    void aManagerKilledWithKill9TakesItsWorkersWithItWithinTwoSeconds() throws Exception {
        Path runRoot = Files.createTempDirectory("manager-kill9");
        Path records = runRoot.resolve("run");
        JavaProgram program = JavaProgram.start(STEP7,
                List.of("-D" + jvalkka.shm.internal.RunRecord.DIR_PROPERTY + "=" + runRoot), "main",
                Integer.toString(WORKERS));
        long managerPid = program.pid();
        Path record = records.resolve(managerPid + ".rec");
        List<String> mine = java.util.stream.IntStream.range(0, WORKERS)
                .mapToObj(i -> "shm-worker-" + i + "-" + managerPid).toList();
        try {
            List<Long> workers = awaitWorkersRunning(program);
            assertEquals(mine, segmentNames(managerPid), "the running manager's segments");
            assertTrue(Files.exists(record), "the running manager's run record");
            long t0 = System.nanoTime();
            kill("KILL", managerPid);
            assertTrue(program.process().waitFor(10, TimeUnit.SECONDS));
            long deadline = t0 + TimeUnit.SECONDS.toNanos(2);
            // poll: onExit() of a process that is not our child polls with a coarse back-off of its own
            while (workers.stream().anyMatch(ManagerProgramTest::alive) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            for (long w : workers) {
                assertTrue(!alive(w), "worker " + w + " outlived its killed manager by more than 2 s");
            }
            System.out.printf("workers of a kill -9'd manager gone after %.3f s%n", seconds);
            List<String> left = segmentNames(managerPid);
            System.out.println("segments the busy workers left (the idle ones unlinked theirs in postRun__): " + left);
            assertTrue(mine.containsAll(left), "segments: " + left);
            assertTrue(Files.exists(record), "the killed manager's run record is gone before the sweep: "
                    + "nothing but a sweep of this test's run directory may remove it");
            // the sweep removes exactly what the workers left, and the record
            jvalkka.shm.internal.RunRecord.SweepResult swept = jvalkka.shm.internal.RunRecord.sweepStale(records);
            assertEquals(left, swept.segments().stream().sorted().toList(), "the sweep's segments");
            assertEquals(List.of(), segmentNames(managerPid), "the stale sweep left segments behind");
            assertFalse(Files.exists(record), "the stale sweep left the record behind");
        } finally {
            program.destroyTree();
            jvalkka.shm.internal.RunRecord.sweepStale(records);
            try (java.util.stream.Stream<Path> s = Files.walk(runRoot)) {
                for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** The names of the segments in /dev/shm of the manager {@code pid}, sorted. */
    private static List<String> segmentNames(long pid) {
        return Workers.segments("-" + pid).stream().map(p -> p.getFileName().toString()).sorted().toList();
    }

    /** Waits until every worker runs its loop (after preRun__ a worker ignores SIGINT); returns their pids. */
    private static List<Long> awaitWorkersRunning(JavaProgram program) throws Exception {
        program.awaitOutput("Manager - INFO - startProcesses: all multiprocesses running", 120);
        for (int i = 0; i < WORKERS; i++) {
            program.awaitOutput("WorkerProcess.worker-" + i + " - INFO - preRun__ : ", 60);
        }
        // only the backends: the manager may also be training the class-data archive in a child JVM of its own
        List<Long> pids = ProcessHandle.of(program.pid()).orElseThrow().children()
                .filter(p -> jvalkka.testing.CommandLines.of(p).contains("jvalkka.multiprocess.BackendMain"))
                .map(ProcessHandle::pid).toList();
        assertEquals(WORKERS, pids.size(), "worker JVMs: " + pids);
        return pids;
    }

    /** Whether {@code pid} runs (a zombie waiting for its reaper does not). */
    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The process group of {@code pid} (field 5 of /proc/pid/stat). */
    private static long processGroup(long pid) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[2]);
    }

    /** Sends a signal to a process, or to a process group when {@code pid} is negative. */
    private static void kill(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, "--", Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill did not finish");
        assertEquals(0, kill.exitValue(), "kill -" + signal + " " + pid + " failed");
    }
}
