package jvalkka.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Set;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The keys of one cluster, as {@code scripts/node-keys DIR} makes them:
 * {@code node.p12} (this member's key and certificate, signed by the cluster's
 * certificate authority), {@code trust.p12} (that authority's certificate) and
 * {@code password} (the keystores' password, in a file only this user may read).
 * Both the cluster's Pekko transport and the frontend-backend data path
 * authenticate with them: a peer is accepted when its certificate was signed by
 * the cluster's authority, whatever its host name (every member shares one node key).
 *
 * <p>Mutual TLS 1.3 on a frame channel: the side that listens (the frontend) is
 * the TLS server and requires the client's certificate ({@link #serverEngine}),
 * the side that connects (the backend) is the client ({@link #clientEngine});
 * both from {@link #context(Path)} of their own copy of the keys.
 */
public final class NodeKeys {
    /** The only protocol spoken. */
    public static final String PROTOCOL = "TLSv1.3";
    /**
     * The cipher suites offered, the server's order deciding: AES-128-GCM first,
     * which costs a quarter less per record than AES-256-GCM with the processor's
     * AES instructions (and is TLS 1.3's mandatory suite), then AES-256-GCM.
     */
    static final String[] CIPHER_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"};

    private NodeKeys() {
    }

    /**
     * A TLS 1.3 context with this member's key ({@code node.p12}) that trusts the
     * cluster's authority ({@code trust.p12}) and nothing else.
     *
     * @param keysDir a directory made by {@code scripts/node-keys}
     * @return the context to make engines from ({@link #serverEngine}, {@link #clientEngine})
     * @throws IOException when a file is missing, the password file is unsafe (see
     *         {@link #password(Path)}), or the keystores cannot be read with it
     */
    public static SSLContext context(Path keysDir) throws IOException {
        char[] password = password(keysDir).toCharArray();
        KeyStore node = load(keysDir.resolve("node.p12"), password);
        KeyStore trust = load(keysDir.resolve("trust.p12"), password);
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(node, password);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext c = SSLContext.getInstance(PROTOCOL);
            c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException("the keys in " + keysDir + " cannot be used for TLS: " + e, e);
        }
    }

    /**
     * An engine for the listening end: TLS 1.3 only, and the peer must present a
     * certificate signed by the cluster's authority.
     *
     * @param context from {@link #context(Path)}
     * @return a server-mode engine that needs client authentication
     */
    public static SSLEngine serverEngine(SSLContext context) {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(false);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setCipherSuites(CIPHER_SUITES.clone());
        p.setUseCipherSuitesOrder(true);
        p.setNeedClientAuth(true);
        e.setSSLParameters(p);
        return e;
    }

    /**
     * An engine for the connecting end: TLS 1.3 only; it presents this member's
     * certificate and accepts a server whose certificate the cluster's authority signed.
     *
     * @param context from {@link #context(Path)}
     * @return a client-mode engine
     */
    public static SSLEngine clientEngine(SSLContext context) {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setCipherSuites(CIPHER_SUITES.clone());
        e.setSSLParameters(p);
        return e;
    }

    /**
     * The keystores' password, from {@code keysDir/password}, which must be a
     * regular file (not a link) of this user that no other user may read.
     *
     * @param keysDir a directory made by {@code scripts/node-keys}
     * @return the password, without surrounding white space
     * @throws IOException when the file is missing, readable by other users, or owned by another user
     */
    public static String password(Path keysDir) throws IOException {
        Path file = keysDir.resolve("password");
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("missing " + file + " (make the keys with scripts/node-keys)");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        for (PosixFilePermission p : perms) {
            if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                throw new IOException(file + " is readable by other users (mode " + perms + "); chmod 600 it");
            }
        }
        Object owner = Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!owner.equals(me)) {
            throw new IOException(file + " belongs to uid " + owner + ", not to this user (" + me + ")");
        }
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
    }

    private static KeyStore load(Path p, char[] password) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new IOException("missing " + p + " (make the keys with scripts/node-keys)");
        }
        try (InputStream in = Files.newInputStream(p)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            // a wrong password is an IOException from load(), which names no file
            throw new IOException(p + " cannot be read with the password in " + p.resolveSibling("password") + ": " + e,
                    e);
        }
    }
}
