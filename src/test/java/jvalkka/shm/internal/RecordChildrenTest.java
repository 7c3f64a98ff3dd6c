package jvalkka.shm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that starts many backends records each as it starts: the record grows by
 * the new child's line rather than being rewritten whole for every start (a
 * hundred starts wrote a hundred growing copies of it, each a new file, a mode
 * change and a rename).
 */
@Timeout(60)
class RecordChildrenTest {
    @TempDir
    Path dir;

    @Test
    void childrenAddedOneAfterAnotherAreAppendedToTheRecordNotRewrittenWhole() throws Exception {
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                children.add(new ProcessBuilder("sleep", "60").start());
            }
            RunRecord r = RunRecord.in(dir.resolve("run"));
            for (int i = 0; i < children.size(); i++) {
                r.addChild(children.get(i).pid(), "backend w" + i + "\u0007bell");
            }
            assertEquals(1, r.fullWrites(), "the first child writes the record; the others are appended");
            List<String> lines = Files.readAllLines(r.file());
            assertEquals("jvalkka-run-record 1", lines.get(0));
            for (int i = 0; i < children.size(); i++) {
                long pid = children.get(i).pid();
                String line = "child " + pid + " " + Proc.startTicks(pid) + " " + Proc.commandDigest(pid)
                        + " backend w" + i + " bell";
                assertTrue(lines.contains(line), line + " in " + lines);
            }
            assertTrue(PrivateDir.isTrustedFile(r.file()), "still a file of this user with mode 0600");

            r.removeChild(children.get(2).pid()); // a removal rewrites it whole, without the child
            List<String> after = Files.readAllLines(r.file());
            assertEquals(lines.size() - 1, after.size(), after.toString());
            assertTrue(after.stream().noneMatch(l -> l.startsWith("child " + children.get(2).pid() + " ")));
            r.addChild(children.get(2).pid(), "again"); // and appending goes on after a rewrite
            assertTrue(Files.readAllLines(r.file()).stream()
                    .anyMatch(l -> l.startsWith("child " + children.get(2).pid() + " ") && l.endsWith(" again")));
            for (Process c : children) {
                r.removeChild(c.pid());
            }
            assertTrue(Files.notExists(r.file()), "a record that lists nothing is deleted");
        } finally {
            for (Process c : children) {
                c.destroyForcibly();
                c.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aChildRecordedByTheWordsItWasLaunchedWithIsRecordedAsReadingProcWouldRecordIt() throws Exception {
        List<Process> children = new ArrayList<>();
        try {
            List<List<String>> argvs = new ArrayList<>();
            for (int i = 0; i < 3; i++) { // a word that is not ASCII, one with a space, an empty one
                List<String> argv = List.of("/bin/sh", "-c", "read x", "sh", "caf\u00e9 " + i, ""); // waits on its stdin
                argvs.add(argv);
                children.add(new ProcessBuilder(argv).start());
            }
            RunRecord r = RunRecord.in(dir.resolve("run"));
            for (int i = 0; i < children.size(); i++) {
                assertEquals(Proc.commandDigest(children.get(i).pid()), Proc.commandDigest(argvs.get(i)),
                        "the words give what /proc gives");
                r.addChild(children.get(i).pid(), "w" + i, argvs.get(i));
            }
            List<String> lines = Files.readAllLines(r.file());
            for (int i = 0; i < children.size(); i++) {
                long pid = children.get(i).pid();
                String line = "child " + pid + " " + Proc.startTicks(pid) + " " + Proc.commandDigest(pid) + " w" + i;
                assertTrue(lines.contains(line), line + " in " + lines);
            }
        } finally {
            for (Process c : children) {
                c.destroyForcibly();
                c.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void wordsThatAreNotTheChildsCommandLineAreNotRecordedForIt() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try {
            RunRecord r = RunRecord.in(dir.resolve("run"));
            r.addChild(child.pid(), "w", List.of("sleep", "61"));
            String line = "child " + child.pid() + " " + Proc.startTicks(child.pid()) + " "
                    + Proc.commandDigest(child.pid()) + " w";
            assertTrue(Files.readAllLines(r.file()).contains(line), "what a sweep reads from /proc is recorded");
            r.removeChild(child.pid());
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
