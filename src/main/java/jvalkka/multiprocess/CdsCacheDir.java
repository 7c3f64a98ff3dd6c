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

    /**
     * Whether every file of {@code paths} that lies in the cache directory is
     * still there (pruning, in this JVM or another, may remove an old one); those
     * not touched for half the pruning age get their time refreshed, so that the
     * pruning of a JVM that outlives an hour keeps them. Files elsewhere are not
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
                if (now - modified > PRUNE_AGE_MILLIS / 2) {
                    f.setLastModified(now); // in use
                }
            }
        }
        return true;
    }

    /** Keeps the newest few archives and snapshots of {@code dir}: every build of the code makes new ones. */
    static void prune(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            long hourAgo = System.currentTimeMillis() - PRUNE_AGE_MILLIS;
            List<Path> all = s.filter(f -> f.toString().endsWith(".jsa") || f.toString().endsWith(".aot")
                            || f.toString().endsWith(".jar") || f.toString().endsWith(".tmp"))
                    .sorted(Comparator.comparingLong((Path f) -> f.toFile().lastModified()).reversed()).toList();
            for (Path old : all.subList(Math.min(all.size(), KEEP_FILES), all.size())) {
                if (old.toFile().lastModified() < hourAgo) { // a young one may be on a starting backend's path
                    Files.deleteIfExists(old);
                }
            }
        } catch (IOException ignored) {
            // pruning is best effort
        }
    }
}
