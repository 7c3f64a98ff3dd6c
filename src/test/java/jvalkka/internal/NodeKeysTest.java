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
