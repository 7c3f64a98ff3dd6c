package jvalkka.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    public static synchronized Path of(String name) throws IOException, InterruptedException {
        Path dir = Path.of("target", "cluster-test-keys", name).toAbsolutePath();
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
        Files.createDirectories(dir.getParent());
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
