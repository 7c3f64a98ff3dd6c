package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import jvalkka.multiprocess.Lifecycle.State;

/**
 * A backend's life, NEW -> LAUNCHED -> RUNNING -> EXITED, tested in this JVM
 * on a stand-in process that ends when the test says.
 */
@Timeout(30)
class LifecycleStatesTest {
    /** A process that runs until {@link #end} (or until it is killed: status 137). */
    static class FakeProcess extends Process {
        private final CompletableFuture<Integer> status = new CompletableFuture<>();
        volatile boolean killed;

        void end(int s) {
            status.complete(s);
        }

        @Override
        public OutputStream getOutputStream() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public InputStream getInputStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream getErrorStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public int waitFor() throws InterruptedException {
            try {
                return status.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
            try {
                status.get(timeout, unit);
                return true;
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public int exitValue() {
            Integer s = status.getNow(null);
            if (s == null) {
                throw new IllegalThreadStateException("running");
            }
            return s;
        }

        @Override
        public void destroy() {
            killed = true;
            end(137);
        }

        @Override
        public Process destroyForcibly() {
            destroy();
            return this;
        }

        @Override
        public boolean isAlive() {
            return !status.isDone();
        }

        @Override
        public long pid() {
            return 4242;
        }

        @Override
        public CompletableFuture<Process> onExit() {
            return status.thenApply(s -> this);
        }
    }

    private final List<String> events = new ArrayList<>();
    private final Lifecycle life = new Lifecycle("Test.t", LoggerFactory.getLogger(LifecycleStatesTest.class),
            report -> events.add("cleanup: " + report));

    @Test
    void aBackendGoesFromNewThroughRunningToExitedOnce() {
        FakeProcess p = new FakeProcess();
        assertEquals(State.NEW, life.state());
        assertFalse(life.requestStop(), "nothing to stop before the start");
        life.launched(p);
        assertEquals(State.LAUNCHED, life.state());
        assertThrows(IllegalStateException.class, () -> life.launched(new FakeProcess()), "a process starts once");
        life.running();
        assertEquals(State.RUNNING, life.state());
        assertTrue(life.isAlive());
        life.onDeath(() -> events.add("death action"));
        p.end(3); // the exit is noticed by itself
        assertEquals(State.EXITED, life.state());
        assertEquals(List.of("cleanup: backend Test.t (pid 4242) exited with status 3", "death action"), events);
        life.exited(); // a second notice changes nothing
        assertEquals(2, events.size(), events.toString());
        assertFalse(life.isAlive());
        assertEquals(3, life.exitCode());
    }

    @Test
    void aDeathReportReadBeforeTheExitCallbackRanStillNamesHowTheBackendEnded() {
        // the JDK reaps the process (isAlive turns false) a moment before its onExit callback runs: a
        // SyncIndex waiter that sees the peer dead in between reads the report then
        FakeProcess p = new FakeProcess() {
            @Override
            public CompletableFuture<Process> onExit() {
                return new CompletableFuture<>(); // the callback has not run yet
            }
        };
        life.launched(p);
        life.running();
        p.destroyForcibly();
        assertFalse(life.isAlive());
        assertEquals("backend Test.t (pid 4242) was killed by SIGKILL (exit status 137)", life.deathReport());
        assertEquals(List.of(), events, "reading the report runs no clean-up");
    }

    @Test
    void aStopIsAskedForOnceAndOnlyWhileRunning() {
        FakeProcess p = new FakeProcess();
        life.launched(p);
        assertFalse(life.requestStop(), "a launched backend cannot be stopped yet");
        life.running();
        assertTrue(life.requestStop());
        assertFalse(life.requestStop(), "the stop marker goes once");
        assertTrue(life.stopRequested());
        p.end(0);
        life.awaitExitOrKill(Duration.ofSeconds(5));
        assertEquals(State.EXITED, life.state());
        assertFalse(p.killed);
    }

    @Test
    void aBackendThatDoesNotStopIsKilled() {
        FakeProcess p = new FakeProcess();
        life.launched(p);
        life.running();
        life.requestStop();
        life.awaitExitOrKill(Duration.ofMillis(50));
        assertTrue(p.killed);
        assertEquals(State.EXITED, life.state());
        assertTrue(life.deathReport().contains("SIGKILL"), life.deathReport());
    }

    @Test
    void aFailedStartEndsTheLifeWithoutDeathActions() {
        FakeProcess p = new FakeProcess();
        life.launched(p);
        life.onDeath(() -> events.add("death action"));
        p.end(1);
        life.failedToStart();
        assertEquals(State.EXITED, life.state());
        assertTrue(life.deathReport().contains("failed to start"), life.deathReport());
        life.exited();
        assertEquals(List.of(), events);
        assertThrows(IllegalStateException.class, life::running);
    }

    @Test
    void aDeathActionAddedAfterTheDeathRunsAtOnce() {
        FakeProcess p = new FakeProcess();
        life.launched(p);
        life.running();
        p.end(0);
        life.onDeath(() -> events.add("late action"));
        assertTrue(events.contains("late action"), events.toString());
    }
}
