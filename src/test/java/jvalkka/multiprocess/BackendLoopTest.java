package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;
import jvalkka.testing.JavaProgram;

/** The backend loop: idle costs nothing, every way out runs postRun__, failures are reported and served past. */
@Timeout(120)
class BackendLoopTest {

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    static class Idle extends MessageProcess {
        final EventGroup eg = new EventGroup(2);

        Idle(boolean listening) {
            super("idle");
            this.listening = listening;
            this.timeout = 60; // its own timeout never comes during the measurement
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__work(int sync_index) {
            eg.set(sync_index);
        }
    }

    /** CPU ticks (utime + stime) and voluntary context switches of the backend's main threads. */
    private static long[] mainThreads(long pid) throws IOException {
        long ticks = 0;
        long switches = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String comm;
                String stat;
                String status;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                    stat = Files.readString(t.resolve("stat"));
                    status = Files.readString(t.resolve("status"));
                } catch (IOException gone) {
                    continue; // a thread that ended meanwhile
                }
                if (!comm.equals("java")) {
                    continue; // the JVM's own threads (GC, compiler) are named; the launcher's and main are not
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                for (String line : status.split("\n")) {
                    if (line.startsWith("voluntary_ctxt_switches:")) {
                        switches += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
            }
        }
        return new long[] {ticks, switches};
    }

    private static void assertIdleCostsNothing(boolean listening) throws Exception {
        Idle p = new Idle(listening);
        p.start();
        try {
            p.sendMessageToBack(new MessageObject("ping", "i", 1));
            assertEquals(1, p.getPipe().recv().get("i")); // the loop is up and idle
            long[] before = mainThreads(p.pid());
            long t0 = System.nanoTime();
            Thread.sleep(1000); // a measurement window, not synchronisation
            long[] after = mainThreads(p.pid());
            double seconds = (System.nanoTime() - t0) / 1e9;
            long ms = (after[0] - before[0]) * 10; // USER_HZ is 100
            long wakeups = after[1] - before[1];
            assertTrue(ms <= 20, "the idle backend's loop used " + ms + " ms of CPU in " + seconds + " s");
            assertTrue(wakeups <= 3, "the idle backend's loop woke " + wakeups + " times in " + seconds + " s");
            p.sendMessageToBack(new MessageObject("ping", "i", 2)); // and it still serves
            assertEquals(2, p.getPipe().recv().get("i"));
        } finally {
            p.stop();
            p.eg.close();
        }
    }

    @Test
    void anIdleBackendCostsNoCpuAndDoesNotWake() throws Exception {
        assertIdleCostsNothing(false);
    }

    @Test
    void listeningWithTheDefaultReadPipesNeverSpins() throws Exception {
        assertIdleCostsNothing(true);
    }

    // ------------------------------------------------------------ parent loss

    static class WritesOnPostRun extends MessageProcess {
        private final String file;

        WritesOnPostRun(String file) {
            super("post-run");
            this.file = file;
        }

        @Override
        protected void postRun__() throws IOException {
            Files.writeString(Path.of(file), "postRun__ ran");
        }
    }

    /** Run in its own JVM by the parent-loss test: starts a backend, prints its pid, waits. */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            WritesOnPostRun p = new WritesOnPostRun(args[0]);
            p.start();
            System.out.println("backend pid " + p.pid());
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void postRunRunsWhenTheParentIsKilled() throws Exception {
        Path dir = Files.createTempDirectory("jvalkka-postrun");
        Path file = dir.resolve("done");
        JavaProgram parent = JavaProgram.start(Parent.class, file.toString());
        try {
            parent.awaitOutput("backend pid ", 60);
            String out = parent.output();
            long pid = Long.parseLong(out.substring(out.indexOf("backend pid ") + 12).trim().split("\\s")[0]);
            ProcessHandle backend = ProcessHandle.of(pid).orElseThrow();
            parent.process().destroyForcibly(); // SIGKILL: the backend sees the end of its pipes
            backend.onExit().get(10, TimeUnit.SECONDS); // it still goes, with its parent
            assertTrue(Files.exists(file), "postRun__ did not run when the parent died");
        } finally {
            parent.destroyTree();
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
        jvalkka.shm.internal.RunRecord.sweepStale();
    }

    static class ReadPipesFails extends WritesOnPostRun {
        ReadPipesFails(String file) {
            super(file);
        }

        @Override
        protected void readPipes__(double timeout) {
            super.readPipes__(timeout);
            if (!loop) {
                return;
            }
            throw new IllegalStateException("readPipes__ broke");
        }

        void c__ping() {
        }
    }

    @Test
    void aLoopThatThrowsStillRunsPostRunThenEndsWithStatusOne() throws Exception {
        Path dir = Files.createTempDirectory("jvalkka-postrun");
        Path file = dir.resolve("done");
        ReadPipesFails p = new ReadPipesFails(file.toString());
        try {
            p.start();
            p.sendMessageToBack(new MessageObject("ping"));
            MessageObject exited = p.getPipe().recv();
            assertEquals("exited", exited.command(), exited.toString());
            assertTrue(String.valueOf(exited.get("reason")).contains("readPipes__ broke"), exited.toString());
            assertEquals(1, exited.get("status", Integer.class));
            assertTrue(Files.exists(file), "postRun__ ran in the close phase");
        } finally {
            p.stop();
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
    }

    static class OnCloseFails extends WritesOnPostRun {
        OnCloseFails(String file) {
            super(file);
        }

        @Override
        protected void onClose__() {
            throw new IllegalStateException("onClose__ broke");
        }
    }

    @Test
    void aCloseStepThatThrowsStillRunsPostRunThenEndsWithStatusOne() throws Exception {
        Path dir = Files.createTempDirectory("jvalkka-postrun");
        Path file = dir.resolve("done");
        OnCloseFails p = new OnCloseFails(file.toString());
        try {
            p.start();
            p.requestStop();
            p.waitStop();
            assertTrue(Files.exists(file), "postRun__ ran although onClose__ threw");
            assertEquals(1, p.exitCode(), "the backend ends with status 1 when its close phase fails");
        } finally {
            p.stop();
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
    }

    // ------------------------------------------------------------ asyncPre__

    static class FailingAsyncPre extends AsyncBackMessageProcess {
        FailingAsyncPre() {
            super("async-pre");
        }

        @Override
        protected CompletionStage<?> asyncPre__() {
            throw new IllegalStateException("asyncPre__ broke");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    @Test
    void aThrowingAsyncPreIsReportedAndTheBackendServesOn() {
        FailingAsyncPre p = new FailingAsyncPre();
        p.start();
        try {
            MessageObject error = p.getPipe().recv();
            assertEquals("error", error.command(), error.toString());
            assertTrue(String.valueOf(error.get("reason")).contains("asyncPre__ broke"), error.toString());
            p.sendMessageToBack(new MessageObject("ping", "i", 7));
            MessageObject pong = p.getPipe().recv();
            assertEquals("pong", pong.command(), pong.toString());
        } finally {
            p.stop();
        }
        assertEquals(0, p.exitCode());
    }

    // ------------------------------------------------------------ SyncIndex

    @Test
    void aSyncIndexBlockThatThrowsBeforeSendingDoesNotWait() {
        Idle p = new Idle(false);
        p.start();
        try {
            IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(15), () -> assertThrows(
                    IllegalStateException.class, () -> {
                        try (SyncIndex s = new SyncIndex(p.eg)) {
                            if (s.index() >= 0) {
                                throw new IllegalStateException("failed before the send");
                            }
                            p.sendMessageToBack(new MessageObject("work", "sync_index", s.index()));
                        }
                    }));
            assertEquals("failed before the send", e.getMessage());
            assertEquals(2, p.eg.available(), "the event was released");
            try (SyncIndex s = new SyncIndex(p.eg)) { // a block that sends still waits for the set
                p.sendMessageToBack(new MessageObject("work", "sync_index", s.index()));
            }
        } finally {
            p.stop();
            p.eg.close();
        }
    }

    // ------------------------------------------------------------ AutoCloseable

    @Test
    void tryWithResourcesStopsTheBackendAndCloseIsIdempotent() {
        Idle p = new Idle(false);
        try (p) {
            p.start();
            p.sendMessageToBack(new MessageObject("ping", "i", 3));
            assertEquals(3, p.getPipe().recv().get("i"));
        } finally {
            p.eg.close();
        }
        assertTrue(!p.isAlive(), "close() stopped the backend");
        assertEquals(0, p.exitCode());
        p.close(); // again: nothing happens
        Idle never = new Idle(false);
        never.close(); // never started: nothing happens
        never.eg.close();
    }

    // ------------------------------------------------------------ MainContext.stopThread

    static final class Deaf extends MainContext {
        volatile boolean release;

        Deaf() {
            catchSignals = false;
            stopThreadTimeout = 0.5;
        }

        @Override
        protected void startProcesses() {
        }

        @Override
        protected void startThreads() {
        }

        @Override
        public void run() {
            while (!release) { // selects on nothing, ignores loop and interrupts
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    @Test
    void stopThreadEndsInBoundedTimeWhenRunDoesNotListen() {
        Deaf ctx = new Deaf();
        ctx.runAsThread();
        try {
            IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(15),
                    () -> assertThrows(IllegalStateException.class, ctx::stopThread));
            assertTrue(e.getMessage().contains("did not end"), e.getMessage());
        } finally {
            ctx.release = true;
        }
    }
}
