package jvalkka.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Java sources compiled by the test itself into a temporary directory, with options the
 * build does not use (for example without {@code -parameters}, which the pom sets for every
 * class of the project). {@link #close()} deletes the directory.
 */
public final class CompiledAtTestTime implements AutoCloseable {
    private final Path dir;

    private CompiledAtTestTime(Path dir) {
        this.dir = dir;
    }

    /**
     * Compiles {@code sources} (class name to source text) against this JVM's class path.
     *
     * @param options javac options, e.g. {@code List.of()} for no {@code -parameters}
     * @throws AssertionError with javac's output when the compilation fails
     */
    public static CompiledAtTestTime compile(Map<String, String> sources, List<String> options) throws IOException {
        Path dir = Files.createTempDirectory("jvalkka-compiled-");
        CompiledAtTestTime c = new CompiledAtTestTime(dir);
        try {
            Path src = Files.createDirectories(dir.resolve("src"));
            Path classes = Files.createDirectories(dir.resolve("classes"));
            List<String> args = new ArrayList<>(options);
            args.addAll(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
                    "--release", "17", "-proc:none"));
            for (Map.Entry<String, String> s : sources.entrySet()) {
                Path file = src.resolve(s.getKey().replace('.', '/') + ".java");
                Files.createDirectories(file.getParent());
                Files.writeString(file, s.getValue());
                args.add(file.toString());
            }
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            if (javac == null) {
                throw new AssertionError("no Java compiler in " + System.getProperty("java.home"));
            }
            StringWriter out = new StringWriter();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int status = javac.run(null, null, err, args.toArray(new String[0]));
            if (status != 0) {
                throw new AssertionError("javac failed (" + status + "):\n" + err + out);
            }
            return c;
        } catch (IOException | RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    /** The directory of the compiled classes. */
    public Path classes() {
        return dir.resolve("classes");
    }

    /** A class path with the compiled classes first, then this JVM's. */
    public String classPath() {
        return classes() + java.io.File.pathSeparator + System.getProperty("java.class.path");
    }

    /** A loader of the compiled classes over this JVM's loader. */
    public URLClassLoader loader() throws IOException {
        return new URLClassLoader(new URL[] {classes().toUri().toURL()}, getClass().getClassLoader());
    }

    @Override
    public void close() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
