package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The snapshot jar that stands for a classes directory on a backend's class path
 * ({@link CdsKeys#snapshotJar}) holds every file of the directory byte for byte,
 * stored without compression: a backend reads its process class (and any other
 * class no archive holds) from it at start, and an inflater costs that start CPU
 * for nothing on a local disk. In this JVM; no backend starts.
 */
@Timeout(30)
class SnapshotJarTest {
    private Path dir;
    private Path cache;

    @BeforeEach
    void makeDirs() throws Exception {
        dir = Files.createTempDirectory("jvalkka-snapshot-classes");
        cache = Files.createTempDirectory("jvalkka-snapshot-cache");
    }

    @AfterEach
    void removeDirs() throws Exception {
        for (Path root : new Path[] {dir, cache}) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Leftovers.assertNone();
    }

    @Test
    void aSnapshotJarHoldsEveryFileUncompressedByteForByte() throws Exception {
        Files.createDirectories(dir.resolve("a/b"));
        byte[] big = new byte[100_000]; // compressible: a deflated entry would be far smaller
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 7);
        }
        Files.write(dir.resolve("a/b/C.class"), big);
        Files.write(dir.resolve("a/D.class"), new byte[] {1, 2, 3});
        Files.write(dir.resolve("empty.txt"), new byte[0]);

        Path jar = CdsKeys.snapshotJar(dir, cache);

        List<String> names = new ArrayList<>();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                names.add(e.getName());
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName() + " is compressed");
                assertEquals(e.getSize(), e.getCompressedSize(), e.getName());
                assertArrayEquals(Files.readAllBytes(dir.resolve(e.getName())), z.getInputStream(e).readAllBytes(),
                        e.getName());
            }
        }
        assertEquals(List.of("a/D.class", "a/b/C.class", "empty.txt"), names.stream().sorted().toList());
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(List.of(jar), s.toList(), "only the jar is left in the cache (no temporary file)");
        }
    }

    @Test
    void theSameDirectoryGivesTheSameJarAndAChangedOneANewJar() throws Exception {
        Path f = dir.resolve("E.class");
        Files.write(f, new byte[] {4, 5});
        Path first = CdsKeys.snapshotJar(dir, cache);
        assertEquals(first, CdsKeys.snapshotJar(dir, cache));
        Files.write(f, new byte[] {4, 5, 6});
        Path second = CdsKeys.snapshotJar(dir, cache);
        assertTrue(!second.equals(first), "a changed directory gets a jar of its own");
        try (ZipFile z = new ZipFile(second.toFile())) {
            assertArrayEquals(new byte[] {4, 5, 6}, z.getInputStream(z.getEntry("E.class")).readAllBytes());
        }
    }
}
