package jvalkka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

import javax.net.ssl.SSLEngine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import jvalkka.cluster.TestKeys;

/** The keys of scripts/node-keys as a TLS 1.3 context: what is refused, and how clearly. */
@Timeout(120)
class NodeKeysTest {

    /**
     * The keystores need no slow key derivation: a backend JVM loads them at its
     * start, cold, where PKCS12's default 10,000 iterations cost hundreds of ms
     * (the password is random bytes, which iterations do not make harder to guess).
     */
    @Test
    void nodeKeysMakesKeystoresWithOneKeyDerivationIteration(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        Process p = new ProcessBuilder("bash", Path.of("scripts", "node-keys").toString(), keys.toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(100, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, out);
        for (String f : new String[] {"node.p12", "trust.p12"}) {
            assertEquals(1, macIterations(Files.readAllBytes(keys.resolve(f))), f + "'s MAC key derivation iterations");
        }
        NodeKeys.clientEngine(NodeKeys.context(keys)); // and they still load
    }

    /** PFX ::= SEQUENCE { version, authSafe ContentInfo, macData SEQUENCE { DigestInfo, salt, iterations DEFAULT 1 } }. */
    private static int macIterations(byte[] der) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(der);
        enter(b, 0x30);
        skip(b); // version
        skip(b); // authSafe
        enter(b, 0x30); // macData
        skip(b); // DigestInfo
        skip(b); // macSalt
        if (!b.hasRemaining()) {
            return 1;
        }
        int len = enter(b, 0x02);
        int v = 0;
        for (int i = 0; i < len; i++) {
            v = (v << 8) | (b.get() & 0xFF);
        }
        return v;
    }

    /** Reads a tag (which must be {@code tag}) and its length; returns the length, positioned at the contents. */
    private static int enter(java.nio.ByteBuffer b, int tag) {
        int t = b.get() & 0xFF;
        assertEquals(tag, t, "DER tag");
        return length(b);
    }

    private static void skip(java.nio.ByteBuffer b) {
        b.get();
        int len = length(b);
        b.position(b.position() + len);
    }

    private static int length(java.nio.ByteBuffer b) {
        int l = b.get() & 0xFF;
        if (l < 0x80) {
            return l;
        }
        int v = 0;
        for (int i = 0; i < (l & 0x7F); i++) {
            v = (v << 8) | (b.get() & 0xFF);
        }
        return v;
    }

    @Test
    void theEnginesSpeakOnlyTls13AndTheServerNeedsTheClientsCertificate() throws Exception {
        var c = NodeKeys.context(TestKeys.of("tls"));
        SSLEngine server = NodeKeys.serverEngine(c);
        SSLEngine client = NodeKeys.clientEngine(c);
        assertTrue(server.getNeedClientAuth() && !server.getUseClientMode());
        assertTrue(client.getUseClientMode());
        assertEquals(java.util.List.of("TLSv1.3"), java.util.List.of(server.getEnabledProtocols()));
        assertEquals(java.util.List.of("TLSv1.3"), java.util.List.of(client.getEnabledProtocols()));
    }

    @Test
    void aPasswordThatDoesNotOpenTheKeystoresIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path keys = TestKeys.of("tls");
        for (String f : new String[] {"node.p12", "trust.p12"}) {
            Files.copy(keys.resolve(f), dir.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path pw = dir.resolve("password");
        Files.writeString(pw, "not-the-password\n");
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
        IOException e = assertThrows(IOException.class, () -> NodeKeys.context(dir));
        assertTrue(e.getMessage().contains(dir.resolve("node.p12") + " cannot be read with the password"), e.getMessage());
    }

    @Test
    void aPasswordFileOthersCanReadOrAMissingKeyIsRefused(@TempDir Path dir) throws Exception {
        Path pw = dir.resolve("password");
        Files.writeString(pw, "secret\n");
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-r-----"));
        IOException open = assertThrows(IOException.class, () -> NodeKeys.context(dir));
        assertTrue(open.getMessage().contains("readable by other users"), open.getMessage());
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
        assertEquals("secret", NodeKeys.password(dir));
        IOException missing = assertThrows(IOException.class, () -> NodeKeys.context(dir));
        assertTrue(missing.getMessage().contains("missing " + dir.resolve("node.p12")), missing.getMessage());
    }
}
