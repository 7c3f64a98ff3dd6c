package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The class-data cache's pruning, in this JVM (no backend is started). */
@Timeout(30)
class CachePruneTest {
    @Test
    void pruningNeverRemovesAYoungSnapshotThatAnotherJvmMayBeLaunchingWith() throws Exception {
        Path dir = Files.createTempDirectory("jvalkka-prune");
        try {
            long twoHoursAgo = System.currentTimeMillis() - 7_200_000L;
            for (int i = 0; i < 30; i++) {
                Files.createFile(dir.resolve("classes-young" + i + ".jar"));
            }
            for (int i = 0; i < 30; i++) {
                Path old = Files.createFile(dir.resolve("classes-old" + i + ".jar"));
                assertTrue(old.toFile().setLastModified(twoHoursAgo - i * 1000L));
            }
            ClassDataSharing.prune(dir);
            long young;
            long old;
            try (Stream<Path> s = Files.list(dir)) {
                young = s.filter(p -> p.getFileName().toString().startsWith("classes-young")).count();
            }
            try (Stream<Path> s = Files.list(dir)) {
                old = s.filter(p -> p.getFileName().toString().startsWith("classes-old")).count();
            }
            assertEquals(30, young, "files younger than an hour stay, however many there are");
            assertEquals(0, old, "old files beyond the newest ones kept are removed");
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }
}
