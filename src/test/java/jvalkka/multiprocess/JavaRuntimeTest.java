package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The version of a backend's {@code java}, read once per command without running it. */
@Timeout(30)
class JavaRuntimeTest {
    @Test
    void thisJvmsJavaIsThisJvmsFeature() {
        JavaRuntime j = JavaRuntime.of(JavaRuntime.thisJavaCommand());
        assertEquals(Runtime.version().feature(), j.feature());
        assertTrue(j.isThisJava());
        assertSame(j, JavaRuntime.of(JavaRuntime.thisJavaCommand()), "found once per command");
    }

    @Test
    void anotherJdkIsReadFromItsReleaseFile() throws Exception {
        Path jvm = Path.of("/usr/lib/jvm");
        List<Path> javas;
        try (Stream<Path> s = Files.isDirectory(jvm) ? Files.list(jvm) : Stream.empty()) {
            javas = s.map(d -> d.resolve("bin").resolve("java")).filter(Files::isExecutable).toList();
        }
        for (Path exe : javas) {
            Process p = new ProcessBuilder(exe.toString(), "-XshowSettings:properties", "-version")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("java\\.specification\\.version = (\\d+)")
                    .matcher(out);
            assertTrue(m.find(), out);
            JavaRuntime j = JavaRuntime.of(exe.toString());
            assertEquals(Integer.parseInt(m.group(1)), j.feature(), exe.toString());
            assertNotEquals(null, j.identity());
        }
    }

    @Test
    void aCommandThatIsNoJdkHasNoVersion() {
        JavaRuntime j = JavaRuntime.of("/nonexistent/bin/java");
        assertEquals(0, j.feature());
        assertNull(j.identity());
        assertFalse(j.isThisJava());
        assertEquals(0, JavaRuntime.of("no-such-java-command-on-path").feature());
    }
}
