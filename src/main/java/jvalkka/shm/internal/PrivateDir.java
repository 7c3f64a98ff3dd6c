package jvalkka.shm.internal;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one place that decides whether a directory or a file in the shared
 * temporary directory is this user's own, private one. {@code /tmp} is shared:
 * another user can create {@code /tmp/jvalkka-<uid>} first, or put a symbolic
 * link there. So nothing is created in, chmodded, entered or trusted from a
 * path that is a symbolic link, or that another user owns.
 *
 * <p>Only this user's own directories are ever chmodded (to 0700), and only after
 * the owner check: an entry in a sticky {@code /tmp} cannot be replaced by another
 * user between the check and the chmod, and an entry inside our 0700 directory
 * cannot be touched by another user at all.
 */
final class PrivateDir {
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private PrivateDir() {
    }

    /** This user's run root: {@code <java.io.tmpdir>/jvalkka-<uid>} (not created here). */
    static Path root() {
        return Path.of(System.getProperty("java.io.tmpdir", "/tmp"), "jvalkka-" + Proc.uid());
    }

    /**
     * Makes {@code dir} a private directory of this user: creates what is missing
     * (it and its parent) with mode 0700, refuses a symbolic link or a directory
     * of another user, and sets our own directory's mode to 0700. Its parent
     * must be this user's (not a link), or root's and not writable by others
     * unless sticky ({@code /tmp} itself); a missing parent is created the same way.
     *
     * @throws IOException naming the path and the reason when it cannot be trusted
     */
    static Path ensure(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            if (!Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
                requireSafeParent(parent.getParent());
                mkdir(parent);
                requireOwnDirectory(parent, true);
            } else {
                requireSafeParent(parent);
            }
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            mkdir(dir);
        }
        requireOwnDirectory(dir, true);
        return dir;
    }

    /**
     * A directory that holds one of ours: this user's (never a symbolic link), or
     * root's and either not writable by others or sticky, so that nobody else can
     * rename our entry away and plant their own.
     */
    private static void requireSafeParent(Path p) throws IOException {
        if (p == null) {
            return;
        }
        PosixFileAttributes a = attributes(p);
        int owner = ownerOf(p);
        if (owner == Proc.uid() && a.isDirectory() && !a.isSymbolicLink()) {
            return;
        }
        if (a.isSymbolicLink()) {
            // the shared temporary directory may be a link (macOS' /tmp); judge where it leads
            if (owner != 0) {
                throw new IOException(p + " is a symbolic link of uid " + owner + "; refusing to use it");
            }
            a = Files.readAttributes(p, PosixFileAttributes.class);
            owner = ((Number) Files.getAttribute(p, "unix:uid")).intValue();
        }
        Set<PosixFilePermission> perms = a.permissions();
        boolean othersWrite = perms.contains(PosixFilePermission.OTHERS_WRITE)
                || perms.contains(PosixFilePermission.GROUP_WRITE);
        int mode = ((Number) Files.getAttribute(p, "unix:mode")).intValue();
        boolean sticky = (mode & 01000) != 0;
        if (!a.isDirectory() || owner != 0 && owner != Proc.uid() || othersWrite && !sticky) {
            throw new IOException(p + " (uid " + owner + ", mode " + Integer.toOctalString(mode & 07777)
                    + ") is not a safe place for a private directory of uid " + Proc.uid() + ": another user"
                    + " could replace what we create there. Another user may have created it: remove it, or set"
                    + " -Djava.io.tmpdir to a directory of your own");
        }
    }

    /**
     * Refuses {@code dir} unless it is a directory (not a symbolic link) that
     * this user owns; with {@code makePrivate}, then sets its mode to 0700.
     */
    private static void requireOwnDirectory(Path dir, boolean makePrivate) throws IOException {
        PosixFileAttributes a = attributes(dir);
        if (a.isSymbolicLink()) {
            throw new IOException(dir + " is a symbolic link; refusing to use it");
        }
        if (!a.isDirectory()) {
            throw new IOException(dir + " is not a directory; refusing to use it");
        }
        int owner = ownerOf(dir);
        if (owner != Proc.uid()) {
            throw new IOException(dir + " belongs to uid " + owner + ", not to this user (uid " + Proc.uid()
                    + "); refusing to use it. Another user may have created it: remove it, or set"
                    + " -Djava.io.tmpdir to a directory of your own");
        }
        if (makePrivate && !a.permissions().equals(DIR_MODE)) {
            Files.setPosixFilePermissions(dir, DIR_MODE);
        }
    }

    /** Whether {@code dir} is a directory (not a link) of this user with mode 0700: trusted for reading. */
    static boolean isTrustedDirectory(Path dir) {
        try {
            PosixFileAttributes a = attributes(dir);
            return a.isDirectory() && !a.isSymbolicLink() && ownerOf(dir) == Proc.uid()
                    && a.permissions().equals(DIR_MODE);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code file} is a regular file (not a link) of this user with mode 0600: trusted for reading. */
    static boolean isTrustedFile(Path file) {
        try {
            PosixFileAttributes a = attributes(file);
            return a.isRegularFile() && !a.isSymbolicLink() && ownerOf(file) == Proc.uid()
                    && a.permissions().equals(FILE_MODE);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code file} is a socket (not a link) of this user. */
    static boolean isOwnSocket(Path file) {
        try {
            PosixFileAttributes a = attributes(file);
            return a.isOther() && !a.isSymbolicLink() && ownerOf(file) == Proc.uid();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static PosixFileAttributes attributes(Path p) throws IOException {
        return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private static int ownerOf(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue();
    }

    private static void mkdir(Path p) throws IOException {
        try {
            Files.createDirectory(p, PosixFilePermissions.asFileAttribute(DIR_MODE));
        } catch (FileAlreadyExistsException raced) {
            // another JVM (or another user: checked next) made it at the same moment
        }
    }
}
