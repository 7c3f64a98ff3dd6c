package jvalkka.multiprocess.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.PipeClosedException;
import jvalkka.multiprocess.Restarter;
import jvalkka.multiprocess.Select;

/** Every way a worker can die is reported on its pipe as an "exited" event with the status; restarts. */
class CrashTest {

    @AfterEach
    void noChildren() {
        Workers.assertNoChildren(15);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "crashLoop | 1   | IllegalStateException: boom from the loop",
        "exit      | 3   | exited with status 3",
        "kill      | 137 | killed by SIGKILL",
        "oom       | 1   | OutOfMemoryError",
    })
    void aDeadWorkerIsReportedAfterItsLastMessagesWithItsExitStatus(String how, int status, String reason)
            throws Exception {
        Workers.Echo w = new Workers.Echo("crash-" + how);
        if (how.equals("oom")) {
            w.setOptions(BackendOptions.defaults().withExtraJvmArgs("-Xmx24m"));
        }
        w.start();
        try {
            MessagePipe pipe = w.getPipe();
            w.sendMessageToBack(new MessageObject("ping", "i", 7)); // a message sent just before the death
            long t0 = System.nanoTime();
            switch (how) {
                case "crashLoop" -> w.sendMessageToBack(new MessageObject("crashLoop"));
                case "exit" -> w.sendMessageToBack(new MessageObject("exit", "status", 3));
                case "oom" -> w.sendMessageToBack(new MessageObject("oom"));
                case "kill" -> {
                    assertEquals(7, pipe.recv().get("i"));
                    t0 = System.nanoTime();
                    ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly();
                }
                default -> throw new AssertionError(how);
            }
            if (!how.equals("kill")) {
                assertEquals(7, pipe.recv().get("i"), "the last message comes first");
            }
            assertTrue(Select.safeSelect(List.of(pipe), List.of(), List.of(), 30).reads().contains(pipe));
            MessageObject m = pipe.recv();
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("worker death '%s' reported after %.3f s: %s%n", how, seconds, m);
            assertEquals("exited", m.command(), m.toString());
            assertTrue(Restarter.isExited(m));
            assertEquals(w.getName(), m.get("name"));
            assertEquals(w.pid(), m.get("pid"));
            assertEquals(status, m.get("status"), m.toString());
            assertTrue(String.valueOf(m.get("reason")).contains(reason), m.toString());
            // the death itself is quick; an OOM first has to fill the heap
            assertTrue(seconds < (how.equals("oom") ? 20 : 3), how + " took " + seconds + " s");
            assertThrows(PipeClosedException.class, pipe::recv, "after the event, the pipe is closed");
            assertEquals(status, w.exitCode());
        } finally {
            w.stop();
        }
    }

    @Test
    void aLoopThatEndsByItselfGivesTheStopMarkerThenExitedWithStatusZero() {
        Workers.Echo w = new Workers.Echo("crash-end");
        w.start();
        try {
            w.sendMessageToBack(new MessageObject("endLoop"));
            assertNull(w.getPipe().recv(), "the stop marker");
            MessageObject m = w.getPipe().recv();
            assertEquals("exited", m.command());
            assertEquals(0, m.get("status"));
        } finally {
            w.stop();
        }
    }

    @Test
    void aRequestedStopGivesNoExitedEvent() {
        Workers.Echo w = new Workers.Echo("crash-stop");
        w.start();
        w.stop();
        assertNull(w.getPipe().recv(), "the stop marker");
        assertThrows(PipeClosedException.class, () -> w.getPipe().recv());
    }

    @Test
    void theRestarterReplacesADeadWorkerWithinItsBudget() throws Exception {
        Restarter<Workers.Echo> restarter = new Restarter<>(Workers.Echo::new, 1, Duration.ofMinutes(1));
        Workers.Echo w = new Workers.Echo("restart-me");
        w.start();
        Workers.Echo fresh = null;
        try {
            ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly();
            MessageObject m = w.getPipe().recv();
            assertTrue(Restarter.isExited(m), m.toString());
            fresh = restarter.restart(w, m);
            assertNotNull(fresh);
            assertEquals("restart-me", fresh.getName());
            assertTrue(fresh.pid() != w.pid());
            fresh.sendMessageToBack(new MessageObject("ping", "i", 1));
            assertEquals(1, fresh.getPipe().recv().get("i"), "the replacement works");
            assertEquals(1, restarter.restarts("restart-me"));

            ProcessHandle.of(fresh.pid()).orElseThrow().destroyForcibly();
            MessageObject again = fresh.getPipe().recv();
            assertTrue(Restarter.isExited(again));
            assertNull(restarter.restart(fresh, again), "the budget of one restart a minute is spent");
            assertTrue(!fresh.isAlive());
        } finally {
            w.stop();
            if (fresh != null) {
                fresh.stop();
            }
        }
    }

    @Test
    void aBackendShowsItsProcessNameOnItsCommandLine() throws Exception {
        Workers.Echo w = new Workers.Echo("named-worker");
        w.start();
        try {
            String cmdline = Files.readString(Path.of("/proc/" + w.pid() + "/cmdline"), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
            assertTrue(cmdline.contains("-Djvalkka.process=Echo.named-worker"), cmdline);
            Process ps = new ProcessBuilder("ps", "-o", "args=", "-p", Long.toString(w.pid()))
                    .redirectErrorStream(true).start();
            String out = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(ps.waitFor(10, TimeUnit.SECONDS));
            assertTrue(out.contains("jvalkka.process=Echo.named-worker"), "ps shows: " + out);
        } finally {
            w.stop();
        }
    }
}
