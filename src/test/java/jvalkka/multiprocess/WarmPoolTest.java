package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.CommandLines;
import jvalkka.testing.JavaProgram;

/**
 * The warm pool: a taken warm JVM is a fresh backend for its process (fresh
 * statics, the restored object), the pool is bounded and refills, a start that
 * matches no warm JVM starts one as without a pool, and warm JVMs never outlive
 * their parent, kill -9 included.
 */
@Timeout(120)
class WarmPoolTest {

    /** Counts its class's initialisations and its handled reports in statics. */
    static final class Counted extends MessageProcess {
        private static final long serialVersionUID = 1L;
        static int inits;
        static int reports;

        static {
            inits++;
        }

        private final int seed;

        Counted(int seed) {
            super("counted");
            this.seed = seed;
        }

        void c__report() {
            reports++;
            send_out__(new MessageObject("report", "inits", inits, "reports", reports, "seed", seed, "label",
                    String.valueOf(System.getProperty("jvalkka.process")), "warm",
                    String.valueOf(System.getProperty("jvalkka.warm"))));
        }
    }

    @AfterEach
    void stopThePool() {
        WarmPool.stopAll();
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    private static BackendOptions options(String test, int pool) {
        return BackendOptions.defaults().withExtraJvmArgs("-Dwarmtest=" + test).withWarmPool(pool);
    }

    private static MessageObject report(Counted p) {
        p.sendMessageToBack(new MessageObject("report"));
        assertTrue(p.getPipe().poll(30), "no report within 30 s");
        return p.getPipe().recv();
    }

    /** Waits until exactly {@code n} warm JVMs are idle; returns their pids. */
    private static List<Long> awaitIdle(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (WarmPool.idle() != n) {
            if (System.nanoTime() > deadline) {
                fail("the pool did not reach " + n + " idle warm JVMs within 60 s: " + WarmPool.idle());
            }
            Thread.sleep(10);
        }
        return WarmPool.idlePids();
    }

    private static Counted started(BackendOptions o, int seed) {
        Counted p = new Counted(seed);
        p.setOptions(o);
        p.start();
        return p;
    }

    private static long warmChildren() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(h -> CommandLines.of(h).contains("-Djvalkka.warm=true")).count();
    }

    @Test
    void aTakenWarmJvmSeesFreshStaticsAndTheRestoredObject() throws Exception {
        BackendOptions o = options("fresh", 1);
        Counted cold = started(o, 7);
        String coldLabel;
        try {
            coldLabel = report(cold).get("label", String.class);
            MessageObject second = report(cold);
            assertEquals(2, second.get("reports", Integer.class), "the cold backend counts its reports");
        } finally {
            cold.stop();
        }
        long warmPid = awaitIdle(1).get(0);
        Counted warm = started(o, 42);
        try {
            assertEquals(warmPid, warm.pid(), "the start took the warm JVM");
            MessageObject r = report(warm);
            assertEquals(1, r.get("inits", Integer.class), "the process class is initialised once, after the take");
            assertEquals(1, r.get("reports", Integer.class), "statics start fresh in the taken JVM");
            assertEquals(42, r.get("seed", Integer.class), "the restored object is the one started");
            assertEquals(coldLabel, r.get("label", String.class), "the backend names itself as a fresh one does");
            assertEquals("null", r.get("warm", String.class), "the warm marker is gone once taken");
        } finally {
            warm.stop();
        }
    }

    /**
     * No serialVersionUID and a list field (it crosses by Java serialization): the
     * taken JVM loads it from the take line on, before its name is set.
     */
    @SuppressWarnings("serial")
    static final class Unversioned extends MessageProcess {
        static int inits;
        static final String LABEL_AT_INIT;

        static {
            inits++;
            LABEL_AT_INIT = String.valueOf(System.getProperty("jvalkka.process"));
        }

        private final ArrayList<Integer> seen = new ArrayList<>(List.of(5));

        Unversioned() {
            super("unversioned");
        }

        void c__report() {
            send_out__(new MessageObject("report", "inits", inits, "labelAtInit", LABEL_AT_INIT, "label",
                    String.valueOf(System.getProperty("jvalkka.process")), "seen", seen.get(0)));
        }
    }

    @Test
    void aTakenWarmJvmInitialisesAProcessClassOnlyOnceItIsTheProcesssBackend() throws Exception {
        BackendOptions o = options("unversioned", 1);
        started(o, 1).stop(); // cold: tells the pool what to keep warm
        long warmPid = awaitIdle(1).get(0);
        Unversioned p = new Unversioned();
        p.setOptions(o);
        p.start();
        try {
            assertEquals(warmPid, p.pid(), "the start took the warm JVM");
            p.sendMessageToBack(new MessageObject("report"));
            assertTrue(p.getPipe().poll(30), "no report within 30 s");
            MessageObject r = p.getPipe().recv();
            assertEquals(1, r.get("inits", Integer.class));
            assertEquals(5, r.get("seen", Integer.class), "the restored object is the one started");
            assertEquals(r.get("label", String.class), r.get("labelAtInit", String.class),
                    "the class is initialised once the JVM is the process's backend, not while it was warm");
        } finally {
            p.stop();
        }
    }

    /** A field that cannot cross: the start fails before the backend restores anything. */
    static final class Uncrossable extends MessageProcess {
        private static final long serialVersionUID = 1L;
        @SuppressWarnings("serial")
        private final Object lock = new Object();

        Uncrossable() {
            super("uncrossable");
        }
    }

    @Test
    void aStartWhoseProcessCannotCrossFailsAsWithoutAPoolAndEndsTheWarmJvmItTook() throws Exception {
        BackendOptions o = options("uncrossable", 1);
        started(o, 1).stop(); // cold: tells the pool what to keep warm
        long warmPid = awaitIdle(1).get(0);
        Uncrossable p = new Uncrossable();
        p.setOptions(o);
        BackendStartException e = org.junit.jupiter.api.Assertions.assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("lock"), e.getMessage());
        assertFalse(p.isAlive());
        ProcessHandle h = ProcessHandle.of(warmPid).orElse(null);
        assertTrue(h == null || h.onExit().get(10, TimeUnit.SECONDS) != null, "the taken JVM ended");
        Counted next = started(o, 3);
        try {
            assertEquals(3, report(next).get("seed", Integer.class), "the pool serves the next start");
        } finally {
            next.stop();
        }
    }

    /** Plain (an EventGroup field), and cannot cross once its group is closed. */
    static final class ClosedGroup extends MessageProcess {
        private static final long serialVersionUID = 1L;
        final jvalkka.sync.EventGroup group = new jvalkka.sync.EventGroup(1);

        ClosedGroup() {
            super("closed-group");
        }
    }

    @Test
    void aPlainStartWhoseHandleCannotCrossFailsAsWithoutAPoolAndEndsTheWarmJvmItTook() throws Exception {
        BackendOptions o = options("closed-group", 1);
        started(o, 1).stop(); // cold: tells the pool what to keep warm
        long warmPid = awaitIdle(1).get(0);
        ClosedGroup p = new ClosedGroup();
        assertTrue(ProcessTransfer.isPlain(p), "the take line says plain: its bytes are made after the take");
        p.group.close();
        p.setOptions(o);
        BackendStartException e = org.junit.jupiter.api.Assertions.assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertFalse(p.isAlive());
        ProcessHandle h = ProcessHandle.of(warmPid).orElse(null);
        assertTrue(h == null || h.onExit().get(10, TimeUnit.SECONDS) != null, "the taken JVM ended");
        Counted next = started(o, 3);
        try {
            assertEquals(3, report(next).get("seed", Integer.class), "the pool serves the next start");
        } finally {
            next.stop();
        }
    }

    /** Restores only in the JVM that made it: its backend's restore fails. */
    static final class Unrestorable extends MessageProcess {
        private static final long serialVersionUID = 1L;
        private final long madeIn = ProcessHandle.current().pid();

        Unrestorable() {
            super("unrestorable");
        }

        private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
            in.defaultReadObject();
            if (madeIn != ProcessHandle.current().pid()) {
                throw new java.io.InvalidObjectException("not restorable in a backend");
            }
        }
    }

    @Test
    void aTakenWarmJvmThatCannotRestoreTheObjectFailsTheStartAndEnds() throws Exception {
        BackendOptions o = options("unrestorable", 1);
        started(o, 1).stop(); // cold: tells the pool what to keep warm
        long warmPid = awaitIdle(1).get(0);
        Unrestorable p = new Unrestorable();
        p.setOptions(o);
        BackendStartException e = org.junit.jupiter.api.Assertions.assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("could not restore"), e.getMessage());
        assertTrue(e.getMessage().contains("not restorable in a backend"), e.getMessage());
        assertEquals(warmPid, p.pid(), "the start took the warm JVM");
        ProcessHandle h = ProcessHandle.of(warmPid).orElse(null);
        assertTrue(h == null || h.onExit().get(10, TimeUnit.SECONDS) != null, "the taken JVM ended");
    }

    @Test
    void thePoolIsBoundedAndRefillsAfterATake() throws Exception {
        BackendOptions o = options("bounded", 2);
        Counted first = started(o, 1);
        first.stop();
        List<Long> before = awaitIdle(2);
        assertEquals(2, warmChildren(), "two warm JVMs, no more");
        Counted taker = started(o, 2);
        try {
            assertTrue(before.contains(taker.pid()), "a warm JVM was taken: " + taker.pid() + " of " + before);
            List<Long> after = awaitIdle(2);
            Set<Long> fresh = new HashSet<>(after);
            fresh.removeAll(before);
            assertEquals(1, fresh.size(), "one new warm JVM replaced the taken one: " + before + " -> " + after);
            assertEquals(3, warmChildren(), "the taken one and two idle ones");
            assertEquals(1, report(taker).get("reports", Integer.class));
        } finally {
            taker.stop();
        }
        assertEquals(2, WarmPool.stopAll());
    }

    /**
     * Starts a process with {@code seed}, killing the warm JVM the start takes as if it died after
     * the pool's liveness check (once); its pid goes into {@code killed}.
     */
    private static Counted startedKillingTheTakenJvm(BackendOptions o, int seed, List<Long> killed) {
        WarmPool.beforeHandOver = p -> {
            WarmPool.beforeHandOver = null;
            killed.add(p.pid());
            p.destroyForcibly();
            try {
                assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the taken warm JVM did not die");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try {
            return started(o, seed);
        } finally {
            WarmPool.beforeHandOver = null;
        }
    }

    @Test
    void aWarmJvmThatDiesBeforeTheHandOverGivesWayToAnotherWarmOne() throws Exception {
        BackendOptions o = options("diestwo", 2);
        started(o, 1).stop();
        List<Long> idle = awaitIdle(2);
        List<Long> killed = new ArrayList<>();
        Counted p = startedKillingTheTakenJvm(o, 5, killed);
        try {
            assertEquals(1, killed.size(), "the hook killed the JVM the start took");
            assertNotEquals(killed.get(0), p.pid());
            assertTrue(idle.contains(p.pid()), "the start took the other warm JVM: " + p.pid() + " of " + idle);
            assertEquals(5, report(p).get("seed", Integer.class));
        } finally {
            p.stop();
        }
    }

    @Test
    void aWarmJvmThatDiesBeforeTheHandOverGivesWayToAColdStartWhenNoneIsLeft() throws Exception {
        BackendOptions o = options("diesone", 1);
        started(o, 1).stop();
        List<Long> idle = awaitIdle(1);
        List<Long> killed = new ArrayList<>();
        Counted p = startedKillingTheTakenJvm(o, 6, killed);
        try {
            assertEquals(idle, killed, "the hook killed the JVM the start took");
            assertFalse(idle.contains(p.pid()), "a cold start");
            assertFalse(CommandLines.of(ProcessHandle.of(p.pid()).orElseThrow()).contains("-Djvalkka.warm=true"));
            assertEquals(6, report(p).get("seed", Integer.class), "the restored object");
            assertEquals(2, report(p).get("reports", Integer.class), "a fresh backend counts its own reports");
        } finally {
            p.stop();
        }
    }

    @Test
    void aStartThatMatchesNoWarmJvmStartsOneAsWithoutAPool() throws Exception {
        BackendOptions o = options("match", 1);
        started(o, 1).stop();
        List<Long> idle = awaitIdle(1);
        BackendOptions other = o.withExtraJvmArgs("-Dwarmtest.other=1");
        Counted p = started(other, 3);
        try {
            assertFalse(idle.contains(p.pid()), "other JVM options take no warm JVM");
            assertTrue(WarmPool.idlePids().containsAll(idle), "the warm JVM of the other kind is still idle");
            assertFalse(CommandLines.of(ProcessHandle.of(p.pid()).orElseThrow()).contains("-Djvalkka.warm=true"));
            assertEquals(3, report(p).get("seed", Integer.class));
        } finally {
            p.stop();
        }
        Counted none = started(BackendOptions.defaults().withExtraJvmArgs("-Dwarmtest=match"), 4);
        try {
            assertFalse(WarmPool.idlePids().contains(none.pid()) || idle.contains(none.pid()),
                    "options without a pool never take a warm JVM");
        } finally {
            none.stop();
        }
    }

    @Test
    void aWarmJvmMatchesAStartThatDiffersOnlyInItsNameAndItsSharingOptions() {
        List<String> before = List.of("java", "-Xss1m", "-Djvalkka.process=a", "-cp", "x.jar", "Main");
        List<String> after = List.of("java", "-Xss1m", "-XX:SharedArchiveFile=b.jsa", "-Xshare:auto",
                "-Djvalkka.process=b", "-cp", "x.jar", "Main");
        assertEquals(WarmPool.key(before, 2, List.of()),
                WarmPool.key(after, 4, List.of("-XX:SharedArchiveFile=b.jsa", "-Xshare:auto")),
                "a warm JVM started before the archive was ready serves a start with it");
        List<String> other = List.of("java", "-Xss2m", "-Djvalkka.process=a", "-cp", "x.jar", "Main");
        assertNotEquals(WarmPool.key(before, 2, List.of()), WarmPool.key(other, 2, List.of()),
                "other JVM options are another kind");
    }

    /** A program with a pool of two: prints its warm JVMs' pids, then waits to be killed, or exits once the file {@code args[0]} exists. */
    public static final class PoolProgram {
        public static void main(String[] args) throws Exception {
            Counted p = new Counted(1);
            p.setOptions(options("program", 2));
            p.start();
            p.stop();
            StringBuilder pids = new StringBuilder();
            for (long pid : awaitIdle(2)) {
                pids.append(pid).append(' ');
            }
            System.out.println("warm: " + pids.toString().trim() + ".");
            System.out.flush();
            if (args[0].equals("wait")) {
                Thread.sleep(120_000);
                return;
            }
            // exit once the test has seen the warm JVMs: it creates this file
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!java.nio.file.Files.exists(java.nio.file.Path.of(args[0])) && System.nanoTime() < deadline) {
                Thread.sleep(10); // polling a condition, not synchronising by time
            }
        }
    }

    private static List<ProcessHandle> warmOf(JavaProgram prog) throws InterruptedException {
        prog.awaitOutput(".", 60);
        String out = prog.output();
        int at = out.indexOf("warm: ");
        assertTrue(at >= 0, out);
        List<ProcessHandle> handles = new ArrayList<>();
        for (String pid : out.substring(at + 6, out.indexOf('.', at)).split(" ")) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(handles::add);
        }
        assertEquals(2, handles.size(), "two warm JVMs alive: " + out);
        for (ProcessHandle h : handles) {
            assertTrue(CommandLines.of(h).contains("-Djvalkka.process=warm-"), "shows as warm in ps");
        }
        return handles;
    }

    private static void assertGoneWithin(List<ProcessHandle> handles, int seconds) throws Exception {
        for (ProcessHandle h : handles) {
            try {
                h.onExit().get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                h.destroyForcibly();
                fail("the warm JVM " + h.pid() + " outlived its parent");
            }
        }
    }

    @Test
    void warmJvmsDieWithTheirParentKilledByKillNine() throws Exception {
        JavaProgram prog = JavaProgram.start(PoolProgram.class.getName(), List.of(), "wait");
        List<ProcessHandle> warm;
        try {
            warm = warmOf(prog);
        } catch (AssertionError | RuntimeException e) {
            prog.destroyTree();
            throw e;
        }
        prog.process().destroyForcibly(); // SIGKILL: no exit sequence runs
        assertTrue(prog.process().waitFor(10, TimeUnit.SECONDS));
        assertGoneWithin(warm, 10);
    }

    @Test
    void warmJvmsAreStoppedWhenTheirParentExits() throws Exception {
        java.nio.file.Path go = java.nio.file.Files.createTempDirectory("warmpool").resolve("go");
        JavaProgram prog = JavaProgram.start(PoolProgram.class.getName(), List.of(), go.toString());
        List<ProcessHandle> warm;
        try {
            warm = warmOf(prog);
            java.nio.file.Files.createFile(go);
        } catch (AssertionError | RuntimeException e) {
            prog.destroyTree();
            java.nio.file.Files.deleteIfExists(go);
            java.nio.file.Files.delete(go.getParent());
            throw e;
        }
        JavaProgram.Result r = prog.waitFor(30);
        java.nio.file.Files.delete(go);
        java.nio.file.Files.delete(go.getParent());
        assertEquals(0, r.exitCode(), r.output());
        assertGoneWithin(warm, 10);
        assertNotEquals(true, r.output().contains("Exception"), r.output());
    }
}
