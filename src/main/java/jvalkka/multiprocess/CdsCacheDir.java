package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory of {@link ClassDataSharing}'s archives and snapshot jars,
 * {@code $XDG_CACHE_HOME/jvalkka/cds} (default {@code ~/.cache/jvalkka/cds}):
 * found and trusted only when it is this user's alone, and pruned to its newest
 * files. Thread-safe.
 */
final class CdsCacheDir {
    private static final Logger LOG = LoggerFactory.getLogger(CdsCacheDir.class);
    private static final int KEEP_FILES = 24; // a class path has a snapshot per directory
    /**
     * Pruning never removes a file younger than this: a snapshot jar may stand on
     * the class path of a backend that a long-lived JVM (a node agent) is starting
     * right now, while other builds fill the cache (plans in use refresh their jars'
     * time, see {@link #touchedIfPresent}).
     */
    static final long PRUNE_AGE_MILLIS = 3_600_000L;

    /** The cache directory's path and a separator, once known: the snapshot jars' prefix. */
    private static volatile String prefix;

    private CdsCacheDir() {
    }

    /**
     * The cache directory, made if needed. Its snapshot jars stand on backends'
     * class paths for directories, so it must be this user's alone: the directory
     * and its parent must be this user's (not links) and writable by nobody else
     * (group and others' write bits are removed from ours); otherwise this throws,
     * and says why in the log: class-data sharing is then off.
     */
    static Path get() throws IOException {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        Path dir = Files.createDirectories(base.resolve("jvalkka").resolve("cds"));
        UserPrincipal me = Files.getOwner(Path.of("/proc/self"));
        for (Path p : List.of(dir.getParent(), dir)) {
            requireOurs(p, me);
        }
        prefix = dir + File.separator;
        return dir;
    }

    private static void requireOurs(Path p, UserPrincipal me) throws IOException {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink() || !a.isDirectory() || !a.owner().equals(me)) {
            LOG.warn("class-data sharing is off: {} is not a directory of this user (owner {}{})", p,
                    a.owner().getName(), a.isSymbolicLink() ? ", a symbolic link" : "");
            throw new IOException(p + " is not this user's cache directory");
        }
        var perms = EnumSet.copyOf(a.permissions());
        if (perms.remove(PosixFilePermission.GROUP_WRITE) | perms.remove(PosixFilePermission.OTHERS_WRITE)) {
            Files.setPosixFilePermissions(p, perms); // ours: nobody else may put classes there
        }
    }

    /** The suffix of the marker that says a file of the cache is in use ({@link #touchedIfPresent}). */
    static final String IN_USE_SUFFIX = ".used";

    /**
     * Whether every file of {@code paths} that lies in the cache directory is
     * still there (pruning, in this JVM or another, may remove an old one); those
     * not marked in use for half the pruning age get their marker ({@link #markInUse})
     * refreshed, so that the pruning of a JVM that outlives an hour keeps them. A
     * file's own time is never changed: the JVM checks a class path jar's time
     * against the one its archive was made with, and passes the archive over when
     * they differ (and the archive's key holds it too). Files elsewhere are not
     * looked at.
     */
    static boolean touchedIfPresent(List<String> paths) {
        String cache = prefix;
        long now = System.currentTimeMillis();
        for (String j : paths) {
            if (cache != null && j.startsWith(cache)) {
                File f = new File(j);
                long modified = f.lastModified(); // 0: gone
                if (modified == 0L) {
                    return false;
                }
                // the marker is looked at only for a jar older than that itself (the common case needs no look)
                if (now - modified > PRUNE_AGE_MILLIS / 2
                        && now - new File(j + IN_USE_SUFFIX).lastModified() > PRUNE_AGE_MILLIS / 2) {
                    markInUse(f.toPath());
                }
            }
        }
        return true;
    }

    /** Marks {@code file} of the cache in use now, for {@link #prune}: its marker's time, not its own. */
    static void markInUse(Path file) {
        Path marker = file.resolveSibling(file.getFileName() + IN_USE_SUFFIX);
        try {
            if (!marker.toFile().setLastModified(System.currentTimeMillis())) {
                Files.createFile(marker);
            }
        } catch (IOException e) {
            // another JVM made it just now, or the directory is read-only: the file is pruned by its own time
        }
    }

    /**
     * Keeps the newest few archives and snapshots of {@code dir}: every build of the code makes new ones. A
     * file's time is the later of its own and its in-use marker's; files younger than an hour stay. The files
     * that belong to a removed one (its marker, the list of an archive's classes) go with it, and are removed
     * on their own when they are older than an hour and what they belong to is gone.
     */
    static void prune(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            long hourAgo = System.currentTimeMillis() - PRUNE_AGE_MILLIS;
            List<Path> files = s.toList();
            java.util.Set<String> names = new java.util.HashSet<>();
            for (Path f : files) {
                names.add(f.getFileName().toString());
            }
            List<Path> all = files.stream().filter(f -> f.toString().endsWith(".jsa") || f.toString().endsWith(".aot")
                            || f.toString().endsWith(".jar") || f.toString().endsWith(".tmp"))
                    .sorted(Comparator.comparingLong(CdsCacheDir::usedAt).reversed()).toList();
            for (Path old : all.subList(Math.min(all.size(), KEEP_FILES), all.size())) {
                if (usedAt(old) < hourAgo) { // a young one may be on a starting backend's path
                    Files.deleteIfExists(old);
                    names.remove(old.getFileName().toString());
                }
            }
            for (Path f : files) {
                String n = f.getFileName().toString();
                String of = n.endsWith(IN_USE_SUFFIX) ? n.substring(0, n.length() - IN_USE_SUFFIX.length())
                        : n.endsWith(CdsTraining.CLASSES_SUFFIX)
                                ? n.substring(0, n.length() - CdsTraining.CLASSES_SUFFIX.length()) : null;
                if (of != null && !names.contains(of) && f.toFile().lastModified() < hourAgo) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // pruning is best effort
        }
    }

    /** When {@code f} was last written or marked in use. */
    private static long usedAt(Path f) {
        return Math.max(f.toFile().lastModified(), new File(f + IN_USE_SUFFIX).lastModified());
    }
}
