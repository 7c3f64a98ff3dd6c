package jvalkka.cluster;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Keys for the cluster tests, made with {@code scripts/node-keys} once and kept
 * in {@code target/cluster-test-keys/NAME} (keytool takes seconds): each NAME
 * is a cluster of its own, with its own certificate authority. They live in the
 * build directory, not in /tmp, because a test host's /tmp is private.
 */
public final class TestKeys {
    private TestKeys() {
    }

    /**
     * The keys of cluster {@code name}, made now if they are not there. Test JVMs that run side by side
     * (surefire's two forks) take turns by a file lock in {@code target/cluster-test-keys}: two of them
     * making "tls-other" at once deleted and rewrote each other's files (keytool -certreq failed, a
     * store could not be read with its password; seen in RemoteTlsTest, RemoteBackendTest and
     * TlsFrameChannelTest running in two forks).
     */
    public static synchronized Path of(String name) throws IOException, InterruptedException {
        Path dir = Path.of("target", "cluster-test-keys", name).toAbsolutePath();
        Files.createDirectories(dir.getParent());
        try (FileChannel lockFile = FileChannel.open(dir.getParent().resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            // the other JVM's keytool runs take seconds; 180 s covers its 120 s bound
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (lockFile.tryLock() == null) { // released when lockFile closes
                if (System.nanoTime() > deadline) {
                    throw new IOException("another test JVM held " + dir.getParent().resolve(".lock") + " for 180 s");
                }
                Thread.sleep(50); // a lock another JVM holds: no event to wait on
            }
            return make(dir);
        }
    }

    private static Path make(Path dir) throws IOException, InterruptedException {
        if (Files.isRegularFile(dir.resolve("node.p12")) && Files.isRegularFile(dir.resolve("password"))
                && Files.isRegularFile(dir.resolve("trust.p12"))) {
            return dir;
        }
        if (Files.exists(dir)) {
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Process p = new ProcessBuilder("bash", Path.of("scripts", "node-keys").toString(), dir.toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("scripts/node-keys " + dir + " failed: " + out);
        }
        return dir;
    }
}
