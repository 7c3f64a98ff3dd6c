package jvalkka.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.shm.internal.RunRecord;
import jvalkka.testing.JavaProgram;

/**
 * A bulk copy racing {@code close()} in another thread completes or throws,
 * and never crashes the JVM on the unmapped segment. The race runs in a child
 * JVM ({@link CopyCloseRace}), so that a crash (SIGSEGV) fails this test
 * instead of killing the test JVM; the child's run record lives in a directory
 * of this test, which it sweeps afterwards, crash or not.
 */
@Timeout(120)
class CopyCloseRaceTest {
    private static final Pattern OK = Pattern.compile("ok completed=(\\d+) refused=(\\d+) overlapped=(\\d+)");

    @Test
    void aBulkCopyRacingCloseCompletesOrIsRefusedAndNeverFaults() throws Exception {
        Path dir = Files.createTempDirectory("copy-close-race");
        String prefix = "jvtest-race-" + UUID.randomUUID().toString().substring(0, 8);
        int rounds = 40;
        try {
            JavaProgram p = JavaProgram.start(CopyCloseRace.class.getName(),
                    List.of("-D" + RunRecord.DIR_PROPERTY + "=" + dir, "-Xmx512m",
                            "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash"),
                    prefix, Integer.toString(rounds), Integer.toString(1 << 20));
            JavaProgram.Result r = p.waitFor(100);
            String out = r.output();
            assertEquals(0, r.exitCode(), "the child JVM failed (a crash: it faulted on the unmapped segment):\n" + out);
            System.out.println(out.strip());
            Matcher m = OK.matcher(out);
            assertTrue(m.find(), out);
            // every round's seven copiers end refused; a copy in flight when close began completed
            assertEquals(rounds * 7L, Long.parseLong(m.group(2)), out);
            assertTrue(Long.parseLong(m.group(3)) > 0, "no copy was under way when a close began: " + out);
        } finally {
            RunRecord.sweepStale(dir.resolve("run"));
            try (Stream<Path> s = Files.list(SharedMemory.DIRECTORY)) {
                for (Path f : s.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                    Files.deleteIfExists(f);
                }
            }
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
        try (Stream<Path> s = Files.list(SharedMemory.DIRECTORY)) {
            assertEquals(List.of(), s.filter(f -> f.getFileName().toString().startsWith(prefix)).toList(),
                    "segments left in /dev/shm");
        }
    }

    @Test
    void aRawCopyIntoAnArrayOverAReadOnlyViewIsRefusedNotAFault() throws Exception {
        Path dir = Files.createTempDirectory("copy-read-only");
        String name = "jvtest-ro-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            JavaProgram p = JavaProgram.start(CopyCloseRace.IntoReadOnly.class.getName(),
                    List.of("-D" + RunRecord.DIR_PROPERTY + "=" + dir, "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
                            "-XX:-CreateCoredumpOnCrash"), name);
            JavaProgram.Result r = p.waitFor(60);
            assertEquals(0, r.exitCode(), "the child JVM failed (a crash: it wrote to a read-only mapping):\n"
                    + r.output());
            assertTrue(r.output().contains("refused: java.lang.UnsupportedOperationException: SharedArray over '"
                    + name + "' is read-only"), r.output());
        } finally {
            RunRecord.sweepStale(dir.resolve("run"));
            Files.deleteIfExists(SharedMemory.DIRECTORY.resolve(name));
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
        assertTrue(!Files.exists(SharedMemory.DIRECTORY.resolve(name)), "segment left in /dev/shm");
    }
}
