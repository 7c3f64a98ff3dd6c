package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.Level;

import jvalkka.log.LogConfig;
import jvalkka.sync.BackendDiedException;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;
import jvalkka.testing.JavaProgram;
import jvalkka.testing.Pids;

@Timeout(120)
class LifecycleTest {
    static int STATIC_FIELD = 1;

    static class Fields extends MessageProcess {
        int before;
        int after;
        transient String frontendOnly = "frontend";

        Fields() {
            super("fields");
        }

        void c__report() {
            send_out__(new MessageObject("report", "before", before, "after", after, "transient", frontendOnly,
                    "static", STATIC_FIELD));
        }

        void c__exit(int status) {
            System.exit(status);
        }

        void c__hang(int sync_index) throws InterruptedException {
            Thread.sleep(Long.MAX_VALUE); // never sets the event
        }

        void c__back(String what) {
            return_out__(new MessageObject("returned", "what", what));
        }
    }

    static MessageObject next(MessageProcess p) {
        assertTrue(p.getPipe().poll(30), "no message within 30 s");
        return p.getPipe().recv();
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void theBackendSeesTheObjectAsItStoodAtStart() {
        Fields p = new Fields();
        p.before = 42;
        STATIC_FIELD = 7; // statics are not carried: the backend has the class's initial value
        p.start();
        try {
            p.after = 99;
            p.sendMessageToBack(new MessageObject("report"));
            MessageObject r = next(p);
            assertEquals(42, r.get("before"));
            assertEquals(0, r.get("after"));
            assertNull(r.get("transient"));
            assertEquals(1, r.get("static"));
        } finally {
            p.stop();
            STATIC_FIELD = 1;
        }
    }

    static class Unserializable extends MessageProcess {
        final Thread model = new Thread(() -> { });

        Unserializable() {
            super("heavy");
        }
    }

    @Test
    void aFieldThatCannotCrossFailsStartNamingIt() {
        Unserializable p = new Unserializable();
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("Unserializable.model"), e.getMessage());
        assertTrue(e.getMessage().contains("transient"), e.getMessage());
        assertTrue(e.getMessage().contains("preRun__"), e.getMessage());
        assertFalse(p.isAlive());
    }

    static class FailsToRestore extends MessageProcess {
        FailsToRestore() {
            super("restore");
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            throw new IllegalStateException("cannot live in a backend");
        }
    }

    @Test
    void aBackendThatCannotRestoreTheObjectFailsStart() {
        BackendStartException e = assertThrows(BackendStartException.class, () -> new FailsToRestore().start());
        assertTrue(e.getMessage().contains("could not restore"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot live in a backend"), e.getMessage());
    }

    @Test
    void aBadJvmFlagFailsStartWithStatusAndStderr() {
        Fields p = new Fields();
        p.setOptions(BackendOptions.defaults().withExtraJvmArgs("-XX:+NoSuchFlagAtAll"));
        BackendStartException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(BackendStartException.class, p::start));
        assertTrue(e.getMessage().contains("exit status 1"), e.getMessage());
        assertTrue(e.getMessage().contains("NoSuchFlagAtAll"), e.getMessage());
        assertFalse(p.isAlive());
        assertDoesNotThrow(p::stop); // stopping what failed to start is harmless
    }

    @Test
    void aMissingClassFailsStartWithStatusAndStderr() {
        Fields p = new Fields();
        p.setOptions(BackendOptions.defaults().withExtraJvmArgs("-Djava.system.class.loader=no.such.Loader"));
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("no.such.Loader"), e.getMessage());
        assertTrue(e.getMessage().contains("exit status"), e.getMessage());
    }

    @Test
    void aBackendThatNeverConnectsFailsWithinTheStartTimeout() {
        Fields p = new Fields();
        // a JVM that waits on a debugger before running main never connects
        p.setOptions(BackendOptions.defaults().withStartTimeout(Duration.ofSeconds(2))
                .withExtraJvmArgs("-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=127.0.0.1:0"));
        long t0 = System.nanoTime();
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("did not connect within 2000 ms"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L);
        assertFalse(p.isAlive());
    }

    @Test
    void stoppingTwiceOrNeverStartedIsHarmless() {
        Fields never = new Fields();
        assertDoesNotThrow(never::stop);
        assertDoesNotThrow(never::requestStop);
        assertDoesNotThrow(never::waitStop);
        Fields p = new Fields();
        p.start();
        assertThrows(IllegalStateException.class, p::start);
        p.stop();
        assertDoesNotThrow(p::stop);
        assertEquals(0, p.exitCode());
        assertNull(p.getPipe().recv(), "the backend's last word is the stop marker");
        assertThrows(PipeClosedException.class, () -> p.getPipe().recv());
        assertThrows(PipeClosedException.class, () -> p.sendMessageToBack(new MessageObject("report")));
    }

    @Test
    void frontendAndBackendMethodsRefuseTheWrongSide() {
        Fields p = new Fields();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> p.send_out__(new MessageObject("x")));
        assertTrue(e.getMessage().contains("backend method"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> p.sendMessageToBack(new MessageObject("x")));
    }

    @Test
    void aBackendThatExitsIsNoticedWithItsStatus() throws Exception {
        Fields p = new Fields();
        p.start();
        p.sendMessageToBack(new MessageObject("exit", "status", 3));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertThrows(PipeClosedException.class, () -> {
                while (true) {
                    p.getPipe().recv();
                }
            });
        });
        ProcessHandle.of(p.pid()).ifPresent(h -> h.onExit().join());
        p.waitStop();
        assertEquals(3, p.exitCode());
        PipeClosedException e = assertThrows(PipeClosedException.class,
                () -> p.sendMessageToBack(new MessageObject("report")));
        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
    }

    static class Synced extends MessageProcess {
        final EventGroup eg = new EventGroup(4);

        Synced() {
            super("synced");
        }

        void c__hang(int sync_index) throws InterruptedException {
            Thread.sleep(Long.MAX_VALUE);
        }

        void c__work(int sync_index) {
            eg.set(sync_index);
        }
    }

    @Test
    void aSyncIndexWhoseBackendIsKilledFailsInsteadOfHanging() {
        Synced p = new Synced();
        p.start();
        try {
            try (SyncIndex i = new SyncIndex(p.eg)) {
                p.sendMessageToBack(new MessageObject("work", "sync_index", i.index()));
            }
            BackendDiedException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    assertThrows(BackendDiedException.class, () -> {
                        try (SyncIndex i = new SyncIndex(p.eg)) {
                            p.sendMessageToBack(new MessageObject("hang", "sync_index", i.index()));
                            ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly(); // kill -9 mid-wait
                        }
                    }));
            assertTrue(e.getMessage().contains("SIGKILL"), e.getMessage());
            assertEquals(4, p.eg.available(), "the event was released");
        } finally {
            p.stop();
            p.eg.close();
        }
    }

    @Test
    void aSyncIndexWhoseRequestCouldNotBeSentDoesNotWait() {
        Synced p = new Synced();
        p.setOptions(BackendOptions.defaults().withMaxMessageBytes(64 * 1024));
        p.start();
        try {
            // the request is over the size limit: the send fails, and close() must not wait for the backend
            IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    assertThrows(IllegalArgumentException.class, () -> {
                        try (SyncIndex i = new SyncIndex(p.eg)) {
                            p.sendMessageToBack(new MessageObject("work", "sync_index", i.index(),
                                    "payload", new byte[128 * 1024]));
                        }
                    }));
            assertTrue(e.getMessage().contains("limit"), e.getMessage());
            assertEquals(4, p.eg.available(), "the event was released");
            // an index that did leave in an earlier message is still waited for, even if a later send fails
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(IllegalArgumentException.class, () -> {
                try (SyncIndex i = new SyncIndex(p.eg)) {
                    p.sendMessageToBack(new MessageObject("work", "sync_index", i.index()));
                    p.sendMessageToBack(new MessageObject("work", "sync_index", i.index(),
                            "payload", new byte[128 * 1024]));
                }
            }));
            assertEquals(4, p.eg.available(), "the event was released");
            try (SyncIndex i = new SyncIndex(p.eg)) { // and the backend is fine
                p.sendMessageToBack(new MessageObject("work", "sync_index", i.index()));
            }
        } finally {
            p.stop();
            p.eg.close();
        }
    }

    @Test
    void returnFromBackCarriesReturnOut() {
        Fields p = new Fields();
        p.start();
        try {
            p.sendMessageToBack(new MessageObject("back", "what", "pudding"));
            assertEquals("pudding", p.returnFromBack().get("what"));
        } finally {
            p.stop();
        }
    }

    @Test
    void ignoreSigintKeepsTheBackendAliveOnCtrlC() throws Exception {
        Fields plain = new Fields();
        Fields ignoring = new Fields();
        ignoring.ignoreSIGINT();
        MessageProcess.startAll(List.of(plain, ignoring));
        try {
            for (MessageProcess p : List.of(plain, ignoring)) {
                assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor());
            }
            ProcessHandle.of(plain.pid()).ifPresent(h -> h.onExit().join());
            assertFalse(plain.isAlive());
            ignoring.sendMessageToBack(new MessageObject("report"));
            assertEquals("report", next(ignoring).command());
            assertTrue(ignoring.isAlive());
        } finally {
            plain.stop();
            ignoring.stop();
        }
    }

    @Test
    void logLinesReadLikeValkka() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogConfig.setOutput(new PrintStream(out, true));
        try {
            MessageProcess.formatLogger(Fields.class, Level.INFO);
            Fields p = new Fields();
            p.logger.info("ping: callin backend to do some stuff");
            p.logger.debug("not shown at INFO");
            assertEquals("Fields.fields - INFO - ping: callin backend to do some stuff" + System.lineSeparator(),
                    out.toString());
            assertEquals("<Fields.fields>", p.toString());
        } finally {
            LogConfig.setOutput(null);
        }
    }

    /** Run in its own JVM by the kill -9 test: starts a backend, prints its pid, waits. */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            Fields p = new Fields();
            p.start();
            System.out.println("backend pid " + p.pid());
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void aBackendDiesWithItsParentEvenOnKill9() throws Exception {
        JavaProgram parent = JavaProgram.start(Parent.class);
        try {
            parent.awaitOutput("backend pid ", 60);
            String out = parent.output();
            long pid = Long.parseLong(out.substring(out.indexOf("backend pid ") + 12).trim().split("\\s")[0]);
            assertTrue(Pids.running(pid));
            parent.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
            // the backend is not our child, so no exit event reaches us: poll /proc within the bound. Not
            // ProcessHandle.isAlive: the orphaned backend's zombie waits for init to collect it, 1-2 s here
            assertTrue(Pids.awaitExit(pid, Duration.ofSeconds(2)), "the backend outlived its parent by more than 2 s");
        } finally {
            parent.destroyTree();
        }
        // what the dead parent recorded is swept by the next JVM that looks (here: us, explicitly)
        jvalkka.shm.internal.RunRecord.sweepStale();
    }
}
