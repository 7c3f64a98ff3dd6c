package jvalkka.tutorial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.JavaProgram;

/**
 * {@code scripts/demo} as a newcomer runs it (on the build the tests run on: JV_NO_BUILD), on
 * this JDK and on JDK 25 when one is installed: no JVM warning, no ERROR line on a normal stop,
 * INFO lines only unless {@code -v}, and a closing summary.
 */
@Timeout(180)
class DemoTest {
    static final Path ROOT = Path.of("").toAbsolutePath();

    /** A JDK 25 (or later) java launcher installed on this machine, or null. */
    static Path jdk25() throws Exception {
        for (String base : List.of("/usr/lib/jvm", "/opt")) {
            Path dir = Path.of(base);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (var s = Files.list(dir)) {
                for (Path p : s.sorted().toList()) {
                    Path java = p.resolve("bin/java");
                    if (p.getFileName().toString().matches(".*(jdk-?2[5-9]|-2[5-9]-).*") && Files.isExecutable(java)) {
                        return java;
                    }
                }
            }
        }
        return null;
    }

    static JavaProgram.Result demo(String javaCommand, String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = ROOT.resolve("scripts/demo").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JV_NO_BUILD", "1");
        pb.environment().put("JAVA", javaCommand);
        pb.environment().remove("JV_JAVA_OPTS");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        byte[] out;
        try {
            java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return p.getInputStream().readAllBytes();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("scripts/demo did not end within 120 s");
            }
            out = read.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        return new JavaProgram.Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }

    static void assertQuietAndSummarised(JavaProgram.Result r) {
        String out = r.output();
        assertEquals(0, r.exitCode(), out);
        for (String line : r.lines()) {
            assertTrue(!line.startsWith("WARNING"), "a JVM warning: " + line + "\n" + out);
            assertTrue(!line.contains(" - ERROR - "), "an ERROR line on a normal stop: " + line + "\n" + out);
        }
        assertTrue(out.contains("Manager - INFO - summary: 2 workers,"), out);
    }

    @Test
    void theDemoRunsAtInfoWithNoErrorAndEndsWithItsSummary() throws Exception {
        JavaProgram.Result r = demo(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "2", "2");
        assertQuietAndSummarised(r);
        assertTrue(!r.output().contains(" - DEBUG - "), r.output());
        assertTrue(r.output().matches("(?s).*c__doWork: will fill the array with [1-5]\\.0 and take [1-5] s.*"),
                r.output());
    }

    @Test
    void theDemoWithVShowsDebugLines() throws Exception {
        JavaProgram.Result r = demo(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-v", "2", "2");
        assertQuietAndSummarised(r);
        assertTrue(r.output().contains("Manager - DEBUG - "), r.output());
    }

    @Test
    void theDemoOnJdk25PrintsNoWarning() throws Exception {
        Path java = jdk25();
        assumeTrue(java != null, "no JDK 25 or later under /usr/lib/jvm or /opt");
        assertQuietAndSummarised(demo(java.toString(), "2", "2"));
    }
}
