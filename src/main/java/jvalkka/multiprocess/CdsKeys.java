package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

/**
 * What an archive of {@link ClassDataSharing} is made of and named by: the
 * class path as jars (each directory replaced, in its place, by a snapshot jar of
 * it named by its content), and the archive's key, a digest of the JDK, the JVM
 * options and the jars. Stateless.
 */
final class CdsKeys {
    private CdsKeys() {
    }

    /**
     * The jars that stand for {@code classPath} (entries joined by the path
     * separator): every entry keeps its place, since a class or resource in a
     * directory and in a later jar must come from the directory in the backend too,
     * as it does in the frontend. Directories become snapshot jars in {@code cache};
     * {@code dir/*} the jars it holds, as the java launcher expands it; entries with
     * nothing to load from are left out.
     */
    static List<String> jarsFor(String classPath, Path cache) throws IOException, NoSuchAlgorithmException {
        List<String> jars = new ArrayList<>();
        for (String e : classPath.split(File.pathSeparator)) {
            Path p = e.isEmpty() ? null : Path.of(e);
            if (p == null) {
                continue;
            } else if (e.endsWith("*") && (e.length() == 1 || e.endsWith(File.separator + "*"))) {
                jars.addAll(wildcard(e));
            } else if (Files.isRegularFile(p)) {
                jars.add(e);
            } else if (Files.isDirectory(p)) {
                jars.add(snapshotJar(p, cache).toString());
            } // else there is nothing to load from it, here or there
        }
        return jars;
    }

    /**
     * The archive's file in {@code cache}: named by the JDK's identity, the JVM
     * options and each jar's path, size and time; {@code .aot} for a JDK with the
     * ahead-of-time cache, else {@code .jsa}.
     */
    static Path archive(Path cache, JavaRuntime jdk, List<String> jvmArgs, List<String> jars)
            throws IOException, NoSuchAlgorithmException {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        update(d, jdk.identity());
        for (String a : jvmArgs) {
            update(d, a);
        }
        for (String j : jars) {
            BasicFileAttributes at = Files.readAttributes(Path.of(j), BasicFileAttributes.class);
            update(d, j + "|" + at.size() + "|" + at.lastModifiedTime().toMillis());
        }
        String key = HexFormat.of().formatHex(d.digest()).substring(0, 24);
        return cache.resolve("backend-" + key + (jdk.feature() >= ClassDataSharing.AOT_FEATURE ? ".aot" : ".jsa"));
    }

    /** The jars a class path entry {@code dir/*} stands for: those in {@code dir}, sorted by name. */
    private static List<String> wildcard(String entry) throws IOException {
        Path dir = Path.of(entry.length() == 1 ? "." : entry.substring(0, entry.length() - 2));
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.toString().endsWith(".jar") || f.toString().endsWith(".JAR"))
                    .filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        }
    }

    /**
     * How a snapshot jar is written, part of its name: {@code stored}, every entry without compression
     * (jars of an earlier format, deflated, keep their names and are not taken for these).
     */
    private static final String SNAPSHOT_FORMAT = "stored";

    /**
     * A jar of the classes directory {@code dir} in {@code cache}, named by a digest of its content; made if new.
     * Its entries are stored, not deflated: a backend reads from it, at start, every class no archive holds
     * (the process's own class first of all), and inflating them cost each start about a millisecond of CPU
     * (the inflater's set-up and the inflation, measured on JDK 25 for one class of a 461-entry jar: 1.2 ms
     * deflated, 0.5 ms stored); the jar, on a local disk, is a few times larger.
     */
    static Path snapshotJar(Path dir, Path cache) throws IOException, NoSuchAlgorithmException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        update(d, SNAPSHOT_FORMAT);
        for (Path f : files) {
            BasicFileAttributes at = Files.readAttributes(f, BasicFileAttributes.class);
            update(d, dir.relativize(f) + "|" + at.size() + "|" + at.lastModifiedTime().toMillis());
        }
        Path jar = cache.resolve("classes-" + HexFormat.of().formatHex(d.digest()).substring(0, 24) + ".jar");
        if (!Files.isRegularFile(jar)) {
            writeJar(dir, files, jar, Files.createTempFile(cache, jar.getFileName() + ".", ".tmp"));
        }
        return jar;
    }

    /**
     * Writes {@code files} of {@code dir} to {@code tmp}, each entry stored (see {@link #snapshotJar}), then
     * puts it at {@code jar} in one step, unless {@code jar} is there already: a snapshot jar, once made, is
     * never replaced, since the archives made with it (in this JVM or another that shares the cache) hold its
     * time, and the JVM passes an archive over when a jar's time is not the one it was made with. Another JVM
     * (or thread) that made the same snapshot first wins; {@code tmp} is removed either way.
     */
    static void writeJar(Path dir, List<Path> files, Path jar, Path tmp) throws IOException {
        try {
            write(dir, files, tmp);
            Files.createLink(jar, tmp); // fails if it is there: never replaced
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made by another JVM or thread meanwhile, with the same content: theirs stays
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void write(Path dir, List<Path> files, Path tmp) throws IOException {
        try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(os)) {
            for (Path f : files) {
                byte[] bytes = Files.readAllBytes(f);
                JarEntry e = new JarEntry(dir.relativize(f).toString().replace(File.separatorChar, '/'));
                e.setTime(Files.getLastModifiedTime(f).toMillis());
                CRC32 crc = new CRC32();
                crc.update(bytes);
                e.setMethod(ZipEntry.STORED); // a stored entry's size and CRC go before its bytes
                e.setSize(bytes.length);
                e.setCompressedSize(bytes.length);
                e.setCrc(crc.getValue());
                out.putNextEntry(e);
                out.write(bytes);
                out.closeEntry();
            }
        }
    }

    private static void update(MessageDigest d, String s) {
        d.update(s.getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
    }
}
