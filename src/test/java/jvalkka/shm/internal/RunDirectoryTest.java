package jvalkka.shm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The run directory is computed in one place: the records and the socket files live under it. */
@Timeout(30)
class RunDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void recordsAndSocketsShareOneRunDirectoryThatThePropertyMoves() throws Exception {
        Path root = tmp.resolve("jv");
        String before = System.getProperty(RunRecord.DIR_PROPERTY);
        System.setProperty(RunRecord.DIR_PROPERTY, root.toString());
        try {
            assertEquals(root.resolve("run"), RunRecord.defaultDirectory());
            Path sock = RunRecord.privateDirectory("sock");
            assertEquals(root.resolve("sock"), sock);
            assertEquals(sock, RunRecord.socketDirectory(), "the property moves the sockets too");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        } finally {
            if (before == null) {
                System.clearProperty(RunRecord.DIR_PROPERTY);
            } else {
                System.setProperty(RunRecord.DIR_PROPERTY, before);
            }
        }
    }

    @Test
    void withoutThePropertyBothAreInThisUsersDirectoryInTheTemporaryDirectory() {
        String before = System.getProperty(RunRecord.DIR_PROPERTY);
        System.clearProperty(RunRecord.DIR_PROPERTY);
        try {
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "jvalkka-" + Proc.uid());
            assertEquals(root.resolve("run"), RunRecord.defaultDirectory());
            assertEquals(root, RunRecord.runDirectory());
        } finally {
            if (before != null) {
                System.setProperty(RunRecord.DIR_PROPERTY, before);
            }
        }
    }

    @Test
    void onADiskTemporaryDirectoryTheSocketsAreInMemory() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                !Files.getFileStore(Path.of("/tmp")).type().equals("tmpfs")
                        && Files.getFileStore(Path.of("/dev/shm")).type().equals("tmpfs")
                        && System.getProperty("java.io.tmpdir").equals("/tmp"),
                "this machine's /tmp is in memory (or /dev/shm is not), or java.io.tmpdir is set");
        String before = System.getProperty(RunRecord.DIR_PROPERTY);
        System.clearProperty(RunRecord.DIR_PROPERTY);
        try {
            Path sock = RunRecord.socketDirectory();
            assertEquals(Path.of("/dev/shm", "jvalkka-" + Proc.uid(), "sock"), sock);
            assertEquals("tmpfs", Files.getFileStore(sock).type());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent())));
        } finally {
            if (before != null) {
                System.setProperty(RunRecord.DIR_PROPERTY, before);
            }
        }
    }
}
