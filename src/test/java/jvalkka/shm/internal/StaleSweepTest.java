package jvalkka.shm.internal;

import jvalkka.shm.SharedMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import jvalkka.testing.JavaProgram;
import jvalkka.testing.ShmChild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crashed runs (SIGKILL) leave segments and children; the sweep removes those and nothing else. */
class StaleSweepTest {
    @TempDir
    Path runRoot;
    /** The record directory in {@link #runRoot}, which the children's {@code jvalkka.run.dir} names. */
    Path runDir;

    @org.junit.jupiter.api.BeforeEach
    void recordDirectory() throws java.io.IOException {
        runDir = runRoot.resolve("run");
        RunRecord.prepareDirectory(runDir);
    }

    @Test
    void sweepRemovesWhatAKilledJvmRecordedAndNothingElse() throws Exception {
        String name = "jvtest-sweep-" + UUID.randomUUID().toString().substring(0, 8);
        String decoy = "jvtest-decoy-" + UUID.randomUUID().toString().substring(0, 8);
        JavaProgram creator = JavaProgram.start(ShmChild.class.getName(),
                List.of("-D" + RunRecord.DIR_PROPERTY + "=" + runRoot), "create", name);
        JavaProgram orphan = null;
        try (SharedMemory mine = SharedMemory.create(decoy, 64)) {
            creator.awaitOutput("created " + name, 60);
            Path record = runDir.resolve(creator.pid() + ".rec");
            assertTrue(Files.exists(record), "the child recorded its segment");
            assertTrue(Files.readString(record).contains(" " + name + "\n"), Files.readString(record));

            assertTrue(RunRecord.sweepStale(runDir).isEmpty(), "a live JVM's record is left alone");
            assertTrue(SharedMemory.exists(name));

            creator.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
            creator.process().waitFor();
            assertTrue(SharedMemory.exists(name), "a crash leaves the segment behind");

            // a second stale record, of a dead pid, listing: a live orphan (same start time: killed),
            // the same orphan pid with another start time (never killed), and our decoy segment under
            // a wrong inode (never unlinked: the name is someone else's now)
            orphan = JavaProgram.start(ShmChild.class.getName(), List.of(), "hang");
            orphan.awaitOutput("ready", 60);
            long start = Proc.startTicks(orphan.pid());
            long dev = ((Number) Files.getAttribute(mine.path(), "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(mine.path(), "unix:ino")).longValue();
            long deadPid = creator.pid();
            String digest = Proc.commandDigest(orphan.pid());
            writeRecord(runDir.resolve("999999999.rec"), "jvalkka-run-record 1\npid 999999999\nstart 5\n"
                    + "segment " + dev + " " + (ino + 1) + " " + decoy + "\n"
                    + "child " + orphan.pid() + " " + (start + 1) + " " + digest + " reused pid\n");
            RunRecord.SweepResult first = RunRecord.sweepStale(runDir);
            assertTrue(orphan.process().isAlive(), "a pid with another start time is not the recorded child");
            assertTrue(SharedMemory.exists(decoy), "a segment whose inode differs is not ours to remove");
            assertEquals(List.of(name), first.segments(), first.toString());
            assertTrue(first.children().isEmpty(), first.toString());
            assertEquals(2, first.records().size(), first.toString());
            assertFalse(SharedMemory.exists(name), "the crashed run's segment is gone");
            assertFalse(Files.exists(record));

            writeRecord(runDir.resolve(deadPid + ".rec"), "jvalkka-run-record 1\npid " + deadPid
                    + "\nstart 5\nchild " + orphan.pid() + " " + start + " " + digest + " orphaned backend\n");
            RunRecord.SweepResult second = RunRecord.sweepStale(runDir);
            assertEquals(List.of(orphan.pid() + " (orphaned backend)"), second.children(), second.toString());
            assertTrue(orphan.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "orphan killed");
            assertTrue(mine.unlink());
            try (var left = Files.list(runDir)) {
                assertEquals(List.of(), left.toList(), "no record left");
            }
        } finally {
            creator.destroyTree();
            if (orphan != null) {
                orphan.destroyTree();
            }
            Files.deleteIfExists(SharedMemory.DIRECTORY.resolve(name));
            Files.deleteIfExists(SharedMemory.DIRECTORY.resolve(decoy));
        }
    }

    /** A record as RunRecord writes one: a file of this user with mode 0600. */
    static void writeRecord(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void cleanupMainReportsWhenThereIsNothing() throws Exception {
        JavaProgram.Result r = JavaProgram.start(Cleanup.class.getName(),
                List.of("-D" + RunRecord.DIR_PROPERTY + "=" + runRoot)).waitFor(60);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("nothing to clean up"), r.output());
    }

    @Test
    void recordDirectoryIsPrivate() throws IOException {
        Path dir = runDir.resolve("nested").resolve("run");
        RunRecord.prepareDirectory(dir);
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir)));
    }
}
