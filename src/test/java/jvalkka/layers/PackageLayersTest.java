package jvalkka.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The layers stay layers: jdeps (the JDK's own dependency analyser, run in this JVM) reads the
 * compiled main classes, so fully qualified references count as much as imports.
 */
@Timeout(60)
class PackageLayersTest {
    private static final Path CLASSES = Path.of("target", "classes");
    /** package -> the other jvalkka packages it uses. */
    private static Map<String, Set<String>> uses;

    @BeforeAll
    static void readDependencies() {
        assertTrue(Files.isDirectory(CLASSES.resolve("jvalkka")), "no compiled classes in " + CLASSES.toAbsolutePath());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none",
                CLASSES.toString());
        assertEquals(0, rc, "jdeps failed: " + err);
        // lines such as "   jvalkka.sgn    -> jvalkka.sgn.subprocess    classes"
        Pattern edge = Pattern.compile("^\\s+(jvalkka[\\w.]*)\\s+->\\s+(jvalkka[\\w.]*)\\s");
        uses = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = edge.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                uses.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        assertTrue(uses.containsKey("jvalkka.pool"), "jdeps output not understood:\n" + out);
    }

    @Test
    void noPackageCycleAmongJvalkkasPackages() {
        List<List<String>> cycles = new ArrayList<>();
        for (String start : uses.keySet()) {
            List<String> path = pathBack(start, start);
            if (path != null) {
                cycles.add(path);
            }
        }
        assertTrue(cycles.isEmpty(), "package cycles (each from a package back to itself): " + cycles);
    }

    @Test
    void theCoreSgnPackageUsesOnlyTheLoggingPackage() {
        Set<String> sgn = uses.getOrDefault("jvalkka.sgn", Set.of());
        assertTrue(Set.of("jvalkka.log").containsAll(sgn), "jvalkka.sgn uses " + sgn);
    }

    /** A shortest path of uses from {@code from} to {@code to} (at least one step), or null. */
    private static List<String> pathBack(String from, String to) {
        Map<String, String> parent = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(uses.getOrDefault(from, Set.of()));
        for (String next : queue) {
            parent.put(next, from);
        }
        while (!queue.isEmpty()) {
            String p = queue.poll();
            if (p.equals(to)) {
                List<String> path = new ArrayList<>();
                for (String q = p; ; q = parent.get(q)) {
                    path.add(0, q);
                    if (q.equals(from) && path.size() > 1) {
                        return path;
                    }
                }
            }
            for (String next : uses.getOrDefault(p, Set.of())) {
                if (!parent.containsKey(next)) {
                    parent.put(next, p);
                    queue.add(next);
                }
            }
        }
        return null;
    }
}
