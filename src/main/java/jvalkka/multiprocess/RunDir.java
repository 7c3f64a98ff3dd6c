package jvalkka.multiprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * This user's private run directory ({@code /tmp/jvalkka-<uid>}, mode 0700): the
 * process channels' socket files live in {@code sock/} for the moment of the
 * handshake; the record of started backends lets {@code scripts/cleanup} find
 * what a crashed program left.
 */
final class RunDir {
    private static volatile Path sockets;

    private RunDir() {
    }

    static Path sockets() {
        Path s = sockets;
        if (s == null) {
            synchronized (RunDir.class) {
                if (sockets == null) {
                    sockets = privateDir(root().resolve("sock"));
                }
                s = sockets;
            }
        }
        return s;
    }

    static Path root() {
        Object uid;
        try {
            uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            uid = System.getProperty("user.name");
        }
        return privateDir(Path.of(System.getProperty("java.io.tmpdir"), "jvalkka-" + uid));
    }

    private static Path privateDir(Path p) {
        try {
            if (!Files.isDirectory(p)) {
                try {
                    Files.createDirectories(p, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another JVM made it first
                }
            }
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the private directory " + p, e);
        }
    }

    /** Records a started backend, so that a sweep ends it if this JVM dies without doing so. */
    static void addChild(Process p, String label) {
        jvalkka.shm.RunRecord.get().addChild(p.pid(), "backend " + label);
    }

    static void removeChild(Process p) {
        jvalkka.shm.RunRecord.get().removeChild(p.pid());
    }
}
