package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The core's shape (issue 11, ARCHITECTURE.md "The core's classes by job"): no method of
 * {@code jvalkka.multiprocess} or {@code jvalkka.internal} over 60 lines, so that a reader
 * finds each step by its name. Read from the sources as text: comments and strings are
 * blanked, then each method body is found by its braces.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CoreShapeTest {
    static final int MAX_METHOD_LINES = 60;

    @Test
    void noMethodOfTheCoreIsOverSixtyLines() throws IOException {
        List<String> over = new ArrayList<>();
        for (String pkg : List.of("src/main/java/jvalkka/multiprocess", "src/main/java/jvalkka/internal")) {
            try (Stream<Path> files = Files.list(Path.of(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    over.addAll(longMethods(f.getFileName().toString(), Files.readString(f), MAX_METHOD_LINES));
                }
            }
        }
        assertEquals(List.of(), over, "methods over " + MAX_METHOD_LINES + " lines");
    }

    @Test
    void theMeasureFindsALongMethodAndPassesOverBracesInCommentsAndStrings() {
        StringBuilder src = new StringBuilder("class A {\n  /** { not code */\n  void shortOne() {\n    s = \"{\";\n  }\n"
                + "  int longOne(int x) throws Exception {\n");
        for (int i = 0; i < 60; i++) {
            src.append("    if (x > ").append(i).append(") { x--; } // }\n");
        }
        src.append("    return x;\n  }\n}\n");
        assertEquals(List.of("A.java: longOne (lines 6-68, 63 lines)"), longMethods("A.java", src.toString(), 60));
    }

    private static final Pattern SIGNATURE = Pattern.compile(
            "(\\w+)\\s*\\([^;{}]*\\)\\s*(throws[\\w\\s,.<>]*)?$");
    private static final Pattern TYPE = Pattern.compile("\\b(class|interface|enum|record)\\b");
    private static final List<String> NOT_METHODS = List.of("if", "for", "while", "switch", "catch",
            "synchronized", "try", "new");

    /** The methods (outermost only: a lambda's or local class's body counts in its method) over {@code max} lines. */
    static List<String> longMethods(String name, String source, int max) {
        String code = blankCommentsAndStrings(source);
        List<String> found = new ArrayList<>();
        List<Object[]> open = new ArrayList<>(); // {isMethod, startLine, name}
        StringBuilder pending = new StringBuilder();
        int line = 1;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '\n') {
                line++;
                pending.append(' ');
            } else if (c == '{') {
                String sig = pending.toString().strip();
                Matcher m = SIGNATURE.matcher(sig);
                boolean method = m.find() && !NOT_METHODS.contains(m.group(1)) && !TYPE.matcher(sig).find()
                        && !sig.endsWith("->");
                open.add(new Object[] {method, line, method ? m.group(1) : ""});
                pending.setLength(0);
            } else if (c == '}') {
                if (!open.isEmpty()) {
                    Object[] o = open.remove(open.size() - 1);
                    boolean outer = open.stream().noneMatch(x -> (Boolean) x[0]);
                    int lines = line - (Integer) o[1] + 1;
                    if ((Boolean) o[0] && outer && lines > max) {
                        found.add(name + ": " + o[2] + " (lines " + o[1] + "-" + line + ", " + lines + " lines)");
                    }
                }
                pending.setLength(0);
            } else if (c == ';') {
                pending.setLength(0);
            } else {
                pending.append(c);
            }
        }
        return found;
    }

    /** The source with comments, strings, text blocks and char literals blanked (line breaks kept). */
    static String blankCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? s.length() : end + 2;
                keepLines(out, s, i, end);
                i = end;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                end = end < 0 ? s.length() : end + 3;
                keepLines(out, s, i, end);
                out.append("\"\"");
                i = end;
            } else if (s.charAt(i) == '"' || s.charAt(i) == '\'') {
                char q = s.charAt(i);
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != q && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                out.append(q).append(q);
                i = Math.min(j + 1, s.length());
            } else {
                out.append(s.charAt(i++));
            }
        }
        return out.toString();
    }

    private static void keepLines(StringBuilder out, String s, int from, int to) {
        for (int k = from; k < to; k++) {
            if (s.charAt(k) == '\n') {
                out.append('\n');
            }
        }
    }
}
