package jvalkka.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongFunction;
import java.util.stream.Stream;

import jvalkka.shm.SharedMemory;
import jvalkka.shm.internal.RunRecord;

/**
 * The harness of a race that may crash the JVM (an access to unmapped shared memory): the race
 * runs in a child JVM, so that a crash fails the test instead of killing the test JVM. The child's
 * run record lives in a temporary directory of its own, which is swept afterwards, crash or not
 * (its segments go with it), then deleted; segments of the child still in {@code /dev/shm} after
 * that are removed and fail the test.
 */
public final class RaceChild {
    private RaceChild() {
    }

    /**
     * Runs {@code main} with {@code args} in a child JVM (heap {@code -Xmx} of {@code heap}, no core
     * dump, its crash log in the temporary directory) and returns its output once it exited with 0
     * within {@code timeoutSeconds}.
     *
     * @param segmentPrefix the names of the child's segments, from its pid (the pid is -1 if it
     *     never started)
     * @param failure what a non-zero exit means, for the assertion's message
     * @throws AssertionError when the child exits otherwise (with its output) or left segments
     */
    public static String run(Class<?> main, String heap, LongFunction<String> segmentPrefix, String failure,
            double timeoutSeconds, String... args) throws Exception {
        Path dir = Files.createTempDirectory("race-child");
        long pid = -1;
        Throwable failed = null;
        try {
            List<String> jvmArgs = new ArrayList<>(List.of("-D" + RunRecord.DIR_PROPERTY + "=" + dir,
                    "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash"));
            if (heap != null) {
                jvmArgs.add("-Xmx" + heap);
            }
            JavaProgram p = JavaProgram.start(main.getName(), jvmArgs, args);
            pid = p.pid();
            JavaProgram.Result r = p.waitFor(timeoutSeconds);
            assertEquals(0, r.exitCode(), failure + ":\n" + r.output());
            return r.output();
        } catch (Throwable t) {
            failed = t;
            throw t;
        } finally {
            RunRecord.sweepStale(dir.resolve("run"));
            deleteTree(dir);
            AssertionError left = removeSegments(segmentPrefix.apply(pid));
            if (left != null) {
                if (failed == null) {
                    throw left;
                }
                failed.addSuppressed(left); // the child's failure says more
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** Removes the segments whose names start with {@code prefix}; an error naming them, or null if none. */
    private static AssertionError removeSegments(String prefix) throws IOException {
        List<Path> left;
        try (Stream<Path> s = Files.list(SharedMemory.DIRECTORY)) {
            left = s.filter(f -> f.getFileName().toString().startsWith(prefix)).toList();
        }
        for (Path f : left) {
            Files.deleteIfExists(f);
        }
        return left.isEmpty() ? null
                : new AssertionError("the child's segments left in " + SharedMemory.DIRECTORY + ": " + left);
    }
}
