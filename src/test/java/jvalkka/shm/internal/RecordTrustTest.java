package jvalkka.shm.internal;

import jvalkka.shm.SharedMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jvalkka.testing.JavaProgram;
import jvalkka.testing.OtherUser;
import jvalkka.testing.ShmChild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run records are written 0600, and the sweep (the first use in a JVM, and
 * {@code scripts/cleanup}) obeys only records of this user with mode 0600 in a
 * directory of this user with mode 0700, and kills a recorded pid only while its
 * start time and command line are still the recorded ones.
 */
@Timeout(120)
class RecordTrustTest {
    @TempDir
    Path runRoot;
    /** The record directory in {@link #runRoot}, which the children's {@code jvalkka.run.dir} names. */
    Path runDir;

    @org.junit.jupiter.api.BeforeEach
    void recordDirectory() throws java.io.IOException {
        runDir = runRoot.resolve("run");
        RunRecord.prepareDirectory(runDir);
    }

    /** A process for a record to name; the caller ends it. */
    static Process victim() throws IOException {
        return new ProcessBuilder("sleep", "60").start();
    }

    /** A pid that ran and is gone. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    /** SHA-256 of /proc/<pid>/cmdline in hex, computed here rather than by the code under test. */
    static String digestOfCommandLine(long pid) {
        try {
            byte[] cmd = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(cmd));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            return null;
        }
    }

    static String recordNaming(long deadPid, long pid, long start, String digest) {
        return "jvalkka-run-record 1\npid " + deadPid + "\nstart 5\nchild " + pid + " " + start + " " + digest
                + " victim\n";
    }

    static void write(Path file, String text, String mode) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    @Test
    void recordsAreWrittenWithMode0600() throws Exception {
        String name = "jvtest-mode-" + UUID.randomUUID().toString().substring(0, 8);
        JavaProgram creator = JavaProgram.start(ShmChild.class.getName(),
                List.of("-D" + RunRecord.DIR_PROPERTY + "=" + runRoot), "create", name);
        try {
            creator.awaitOutput("created " + name, 60);
            Path record = runDir.resolve(creator.pid() + ".rec");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(record)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(runDir)));
        } finally {
            creator.destroyTree();
            RunRecord.sweepStale(runDir);
            Files.deleteIfExists(SharedMemory.DIRECTORY.resolve(name));
        }
    }

    @Test
    void aPidIsKilledOnlyWhileItsStartTimeAndCommandLineMatch() throws Exception {
        Process v = victim();
        try {
            long start = Proc.startTicks(v.pid());
            String digest = digestOfCommandLine(v.pid());
            assertTrue(start > 0 && digest != null);
            String otherCommand = "0".repeat(digest.length());
            long dead = deadPid();
            write(runDir.resolve(dead + ".rec"), recordNaming(dead, v.pid(), start, otherCommand), "rw-------");
            RunRecord.SweepResult r = RunRecord.sweepStale(runDir);
            assertTrue(v.isAlive(), "a pid running another command line was killed: " + r);
            assertEquals(List.of(), r.children(), r.toString());
            assertEquals(1, r.records().size(), "the stale record itself is removed: " + r);

            write(runDir.resolve(dead + ".rec"), recordNaming(dead, v.pid(), start, digest), "rw-------");
            r = RunRecord.sweepStale(runDir);
            assertTrue(v.waitFor(10, TimeUnit.SECONDS), "the recorded child, all matching, is killed: " + r);
        } finally {
            v.destroyForcibly();
        }
    }

    @Test
    void aRecordOthersCouldHaveWrittenIsNotObeyed() throws Exception {
        Process v = victim();
        try {
            long dead = deadPid();
            String text = recordNaming(dead, v.pid(), Proc.startTicks(v.pid()), digestOfCommandLine(v.pid()));
            write(runDir.resolve(dead + ".rec"), text, "rw-r--r--");
            RunRecord.SweepResult r = RunRecord.sweepStale(runDir);
            assertTrue(v.isAlive(), "a 0644 record was obeyed: " + r);
            assertTrue(Files.exists(runDir.resolve(dead + ".rec")), "an untrusted record is left alone");

            Files.setPosixFilePermissions(runDir.resolve(dead + ".rec"), PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwxrwxrwx"));
            r = RunRecord.sweepStale(runDir);
            assertTrue(v.isAlive(), "a record in a directory others may write was obeyed: " + r);
        } finally {
            Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx------"));
            v.destroyForcibly();
        }
    }

    @Test
    void cleanupDoesNotObeyARecordAnotherUserPlanted() throws Exception {
        try (OtherUser other = OtherUser.createOrSkip()) {
            // the other user owns /tmp/jvalkka-0/run and plants a record naming a process of its own
            Path root = other.sharedTmp().resolve("jvalkka-0");
            Path run = root.resolve("run");
            other.runAs("mkdir", "-m", "0777", root.toString(), run.toString());
            Process runuser = other.startAs("sleep", "60");
            ProcessHandle v = awaitChild(runuser);
            long dead = deadPid();
            String text = recordNaming(dead, v.pid(), Proc.startTicks(v.pid()), digestOfCommandLine(v.pid()));
            other.runAs("sh", "-c", "printf '%s' \"$1\" > \"$2\"; chmod 600 \"$2\"", "sh", text,
                    run.resolve(dead + ".rec").toString());
            JavaProgram.Result r = JavaProgram.start(Cleanup.class.getName(),
                    List.of("-Djava.io.tmpdir=" + other.sharedTmp())).waitFor(60);
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(v.isAlive(), "cleanup killed another user's process on its planted record:\n" + r.output());
            assertFalse(r.output().contains("killed"), r.output());

            // and a record of the other user's inside our own private directory is not obeyed either
            Path mine = runDir.resolve("own");
            Files.createDirectory(mine, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
            write(mine.resolve(dead + ".rec"), text, "rw-------");
            Files.setAttribute(mine.resolve(dead + ".rec"), "unix:uid", other.uid());
            RunRecord.SweepResult swept = RunRecord.sweepStale(mine);
            assertTrue(v.isAlive(), "a record another user owns was obeyed: " + swept);
        }
    }

    private static ProcessHandle awaitChild(Process runuser) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            var child = runuser.children().findFirst();
            if (child.isPresent() && digestOfCommandLine(child.get().pid()) != null
                    && child.get().info().command().orElse("").endsWith("sleep")) {
                return child.get();
            }
            Thread.sleep(10); // polls a condition with a deadline: runuser forks the command
        }
        throw new AssertionError("runuser did not start its command within 30 s");
    }
}
