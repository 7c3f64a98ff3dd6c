package jvalkka.multiprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import jvalkka.shm.internal.RunRecord;

/**
 * This user's private run directory ({@code /tmp/jvalkka-<uid>}, mode 0700; see
 * {@link RunRecord#privateDirectory}, the one place that checks owner, mode and
 * links): the process channels' socket files live in {@code sock/} for the
 * moment of the handshake (in {@code /dev/shm/jvalkka-<uid>/sock} when {@code /tmp}
 * is on a disk: {@link RunRecord#socketDirectory}); the record of started backends lets
 * {@code scripts/cleanup} find what a crashed program left.
 */
final class RunDir {
    private static volatile Path sockets;

    private RunDir() {
    }

    /**
     * The private socket directory. The first call also removes the socket files
     * of frontends that died during {@code start()} (named {@code <pid>-<n>},
     * removed when that pid no longer runs).
     */
    static Path sockets() {
        Path s = sockets;
        if (s == null) {
            synchronized (RunDir.class) {
                if (sockets == null) {
                    try {
                        Path dir = RunRecord.socketDirectory();
                        sweepDeadSockets(dir);
                        sockets = dir;
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot use the private socket directory: " + e.getMessage(),
                                e);
                    }
                }
                s = sockets;
            }
        }
        return s;
    }

    /** Removes the socket files in {@code dir} whose frontend pid no longer runs; returns how many. */
    static int sweepDeadSockets(Path dir) {
        int removed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                int dash = n.indexOf('-');
                String pidText = dash > 0 ? n.substring(0, dash) : "";
                if (n.startsWith(".")) {
                    pidText = n.substring(1, Math.max(1, n.indexOf('-', 1)));
                }
                if (!pidText.matches("[0-9]{1,10}") || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                long pid = Long.parseLong(pidText);
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive)
                        .orElse(false)) {
                    continue;
                }
                if (pid != ProcessHandle.current().pid() && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // a leftover socket file in our private directory is harmless
        }
        return removed;
    }

    /** Records a started backend, so that a sweep ends it if this JVM dies without doing so. */
    static void addChild(Process p, String label) {
        RunRecord.get().addChild(p.pid(), "backend " + label);
    }

    /** {@link #addChild(Process, String)} for a backend launched here with {@code command}. */
    static void addChild(Process p, String label, java.util.List<String> command) {
        RunRecord.get().addChild(p.pid(), "backend " + label, command);
    }

    static void removeChild(Process p) {
        RunRecord.get().removeChild(p.pid());
    }
}
