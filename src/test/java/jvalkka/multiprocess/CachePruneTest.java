package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The class-data cache's pruning and its snapshot jars, in this JVM (no backend is started). A snapshot jar's
 * time must never change once it is made: the JVM passes over an archive whose class path jar has another time
 * than the one it was made with, so a jar rewritten or touched by one JVM turns off the archive of every other
 * that shares the cache.
 */
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

    @Test
    void aSnapshotJarInUseKeepsItsOwnTimeAndIsMarkedInUseInstead() throws Exception {
        Path cache = CdsCacheDir.get();
        Path jar = Files.createTempFile(cache, "classes-test-in-use-", ".jar");
        Path marker = Path.of(jar + CdsCacheDir.IN_USE_SUFFIX);
        try {
            long twoHoursAgo = (System.currentTimeMillis() - 7_200_000L) / 1000 * 1000;
            assertTrue(jar.toFile().setLastModified(twoHoursAgo));
            assertTrue(CdsCacheDir.touchedIfPresent(List.of(jar.toString())));
            assertEquals(twoHoursAgo, jar.toFile().lastModified(), "the jar's own time was changed");
            assertTrue(Files.isRegularFile(marker), "the jar was not marked in use");
        } finally {
            Files.deleteIfExists(jar);
            Files.deleteIfExists(marker);
        }
    }

    @Test
    void aSnapshotJarThatAnotherJvmMadeMeanwhileIsNotReplaced() throws Exception {
        Path dir = Files.createTempDirectory("jvalkka-snapshot");
        try {
            Path classes = Files.createDirectories(dir.resolve("classes"));
            Path cls = Files.writeString(classes.resolve("A.class"), "not really a class");
            Path cache = Files.createDirectories(dir.resolve("cache"));
            Path jar = Files.writeString(cache.resolve("classes-theirs.jar"), "the other JVM's jar");
            long past = (System.currentTimeMillis() - 60_000L) / 1000 * 1000;
            assertTrue(jar.toFile().setLastModified(past));
            Object inode = Files.getAttribute(jar, "unix:ino");
            Path tmp = cache.resolve("classes-theirs.jar.mine.tmp");
            CdsKeys.writeJar(classes, List.of(cls), jar, tmp); // lost the race: the jar appeared after the check
            assertEquals(inode, Files.getAttribute(jar, "unix:ino"), "the jar was replaced");
            assertEquals(past, jar.toFile().lastModified(), "the jar's time changed");
            assertFalse(Files.exists(tmp), "the temporary jar was left");
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void pruningKeepsAnOldFileMarkedInUseAndRemovesWhatBelongedToThoseItRemoved() throws Exception {
        Path dir = Files.createTempDirectory("jvalkka-prune");
        try {
            long twoHoursAgo = System.currentTimeMillis() - 7_200_000L;
            for (int i = 0; i < 30; i++) {
                Path old = Files.createFile(dir.resolve("classes-old" + i + ".jar"));
                assertTrue(old.toFile().setLastModified(twoHoursAgo - i * 1000L));
            }
            Path archive = Files.createFile(dir.resolve("backend-old.aot"));
            Path list = Files.createFile(dir.resolve("backend-old.aot" + CdsTraining.CLASSES_SUFFIX));
            Path oldMarker = Files.createFile(dir.resolve("classes-old29.jar" + CdsCacheDir.IN_USE_SUFFIX));
            for (Path p : List.of(archive, list, oldMarker)) {
                assertTrue(p.toFile().setLastModified(twoHoursAgo - 100_000L));
            }
            CdsCacheDir.markInUse(dir.resolve("classes-old25.jar"));
            ClassDataSharing.prune(dir);
            assertTrue(Files.exists(dir.resolve("classes-old25.jar")), "a jar in use was removed");
            assertTrue(Files.exists(dir.resolve("classes-old25.jar" + CdsCacheDir.IN_USE_SUFFIX)));
            assertFalse(Files.exists(archive), "an old archive stayed");
            assertFalse(Files.exists(list), "the class list of a removed archive stayed");
            assertFalse(Files.exists(oldMarker), "the marker of a removed jar stayed");
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void aNewArchiveTakesOnlyAFewProcessClassesFromTheCachesOtherArchives() throws Exception {
        Path dir = Files.createTempDirectory("jvalkka-classes");
        try {
            for (int a = 0; a < 3; a++) {
                List<String> names = new java.util.ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    names.add("other.Archive" + a + "$P" + i);
                }
                Files.write(dir.resolve("backend-other" + a + ".aot" + CdsTraining.CLASSES_SUFFIX), names);
            }
            Files.write(dir.resolve("backend-mine.aot" + CdsTraining.CLASSES_SUFFIX), List.of("mine.P"));
            List<String> names = CdsTraining.classesToTrain(dir.resolve("backend-mine.aot"));
            assertTrue(names.contains("mine.P"), names.toString());
            assertTrue(names.stream().filter(n -> n.startsWith("other.")).count() <= CdsTraining.MAX_OTHERS,
                    "the other archives' classes filled this one: " + names);
            assertTrue(names.size() <= CdsTraining.MAX_CLASSES, names.toString());
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }
}
