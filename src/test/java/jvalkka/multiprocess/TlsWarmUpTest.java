package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.cluster.TestKeys;
import jvalkka.internal.NodeKeys;

/**
 * The TLS warm-up ({@link TlsWarmUp}) and the JVM options that make a remote
 * backend compile its record path early ({@link RemoteConnection#REMOTE_JVM}).
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TlsWarmUpTest {
    static SSLContext keys;
    static SSLContext otherCluster;

    @BeforeAll
    static void makeKeys() throws Exception {
        keys = NodeKeys.context(TestKeys.of("tls"));
        otherCluster = NodeKeys.context(TestKeys.of("tls-other"));
    }

    @Test
    void aWarmUpPassesItsRecordsBothWaysThroughAnEnginePairOfTheClustersKeys() throws Exception {
        assertEquals(500, TlsWarmUp.run(keys, 500));
    }

    @Test
    void theWarmUpStartsOncePerJvmAndItsThreadEnds() throws Exception {
        Thread first = TlsWarmUp.startOnce(keys); // null when another test of this JVM started it already
        assertNull(TlsWarmUp.startOnce(keys), "a second warm-up was started");
        if (first != null) {
            assertTrue(first.isDaemon(), "the warm-up thread keeps the JVM alive");
            first.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(first.isAlive(), "the warm-up did not end within 60 s");
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jvalkka-tls-warmup")) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertFalse(t.isAlive(), "a warm-up thread did not end within 60 s");
            }
        }
    }

    @Test
    void aContextThatTrustsNoneOfItsOwnKeysFailsTheWarmUpWithoutHanging() throws Exception {
        // a hand-made context whose trust is another cluster's: the pair refuses each other
        SSLContext mixed = SSLContext.getInstance(NodeKeys.PROTOCOL);
        Path mine = TestKeys.of("tls");
        Path other = TestKeys.of("tls-other");
        char[] pw = NodeKeys.password(mine).toCharArray();
        java.security.KeyStore node = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(mine.resolve("node.p12"))) {
            node.load(in, pw);
        }
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(other.resolve("trust.p12"))) {
            trust.load(in, NodeKeys.password(other).toCharArray());
        }
        var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(node, pw);
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        mixed.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        assertThrows(SSLException.class, () -> TlsWarmUp.run(mixed, 10));
    }

    /** Prints "ok": the main run with a remote backend's JVM options below. */
    public static final class PrintOk {
        public static void main(String[] args) {
            System.out.println("ok");
        }
    }

    @Test
    void aRemoteBackendsJvmOptionsStartAJvmThatPrintsNothingOfItsOwnOnStdout() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(RemoteConnection.remoteJvmArgs(BackendOptions.SMALL_JVM));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PrintOk.class.getName());
        assertTrue(cmd.stream().anyMatch(a -> a.startsWith("-XX:CompileCommand=CompileThresholdScaling,sun.security.ssl")),
                "the remote options do not compile JSSE early: " + cmd);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM did not end");
            assertEquals(0, p.exitValue(), "the JVM refused the options: " + cmd);
            // the backend's stdout carries its boot protocol: a CompileCommand echo there would break it
            assertEquals("ok\n", out);
        } finally {
            p.destroyForcibly();
        }
    }
}
