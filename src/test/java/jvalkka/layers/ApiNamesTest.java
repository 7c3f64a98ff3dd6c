package jvalkka.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Names that explain themselves (issue 11): the simple name of a public top-level type of the
 * API packages (every jvalkka package but the {@code internal} ones) is the name of no other
 * public, non-deprecated API type, nested or not, so that a reader never has to ask which
 * {@code Result} a line means. Nested types that share a name ({@code ProcessQueue.Builder},
 * {@code HTTPControl.Builder}) are always written with their outer class, and may.
 */
@Timeout(60)
class ApiNamesTest {
    private static final Path CLASSES = Path.of("target", "classes");

    @Test
    void noTwoPublicApiTypesShareASimpleName() throws IOException, ClassNotFoundException {
        assertTrue(Files.isDirectory(CLASSES.resolve("jvalkka")), "no compiled classes in " + CLASSES.toAbsolutePath());
        List<String> names;
        try (Stream<Path> files = Files.walk(CLASSES.resolve("jvalkka"))) {
            names = files.map(p -> CLASSES.relativize(p).toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("package-info") && !n.contains("module-info"))
                    .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
                    .filter(n -> !n.contains(".internal.") && !n.endsWith(".internal"))
                    .collect(Collectors.toList());
        }
        Map<String, Set<String>> bySimpleName = new TreeMap<>();
        for (String n : names) {
            Class<?> c = Class.forName(n, false, getClass().getClassLoader());
            if (isPublicApi(c) && !c.isAnonymousClass() && !c.isSynthetic()) {
                bySimpleName.computeIfAbsent(c.getSimpleName(), k -> new TreeSet<>()).add(c.getName());
            }
        }
        bySimpleName.values().removeIf(s -> s.size() < 2 || s.stream().allMatch(n -> n.contains("$")));
        assertTrue(bySimpleName.isEmpty(), "public API types that share a simple name: " + bySimpleName);
    }

    @Test
    @SuppressWarnings("deprecation")
    void codeWrittenAgainstTheFormerSelectResultNameStillCompilesAndWorks() {
        jvalkka.multiprocess.Select.Result r = jvalkka.multiprocess.Select.safeSelect(List.of(), List.of(), List.of(), 0);
        assertTrue(r.isEmpty());
        assertTrue(r.reads().isEmpty() && r.writes().isEmpty() && r.others().isEmpty());
        assertTrue(r instanceof jvalkka.multiprocess.Select.Ready);
    }

    /** Public all the way out, and not deprecated. */
    private static boolean isPublicApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnnotationPresent(Deprecated.class)) {
                return false;
            }
        }
        return true;
    }
}
