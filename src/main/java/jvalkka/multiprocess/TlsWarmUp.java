package jvalkka.multiprocess;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

import jvalkka.internal.NodeKeys;

/**
 * Compiles a JVM's TLS record path before its remote pipes need it: a daemon
 * thread handshakes a client and a server engine of the cluster's context in
 * memory and passes small records through them, {@link #RECORDS} times, then ends.
 *
 * <p>Why: the record path (JSSE's wrap and unwrap, AES-GCM and GHASH) is long, and
 * until C2 compiles it (after some thousands of records per method with the JVM's
 * usual thresholds) it runs interpreted or in C1's profiling code, several times
 * slower: measured on a loopback pipe, 30-50 us of CPU per thread per round trip
 * for the first 10,000 round trips, 17-19 once compiled (plain TCP: 13-15). A frontend
 * that talks to a remote backend sends one record and takes one per round trip,
 * so without this its first seconds of remote messages pay that. The cost: about
 * {@link #RECORDS} records' worth of CPU once per JVM (100-200 ms, on a daemon
 * thread, after the first TLS context of a cluster is loaded), nothing on the
 * pipes' own paths. {@code -Djvalkka.tlsWarmUp=0} turns it off; another number sets
 * the records. Remote backends compile the same path early by their JVM options
 * instead ({@link RemoteConnection#REMOTE_JVM}).
 */
final class TlsWarmUp {
    /** Records passed through the engine pair (each wrapped by one engine and unwrapped by the other). */
    static final int RECORDS = Integer.getInteger("jvalkka.tlsWarmUp", 12_000);
    private static final int RECORD_BYTES = 64;
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private TlsWarmUp() {
    }

    /**
     * Starts the warm-up with {@code context}'s engines, the first time only in
     * this JVM (and not when {@link #RECORDS} is 0 or less).
     *
     * @return the thread started, or null
     */
    static Thread startOnce(SSLContext context) {
        if (RECORDS <= 0 || !STARTED.compareAndSet(false, true)) {
            return null;
        }
        Thread t = new Thread(() -> {
            try {
                run(context, RECORDS);
            } catch (SSLException | RuntimeException e) {
                // a warm-up only: the pipes report their own TLS failures
            }
        }, "jvalkka-tls-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
        return t;
    }

    /**
     * Handshakes an engine pair of {@code context} in memory and passes {@code records}
     * records of {@value #RECORD_BYTES} bytes from client to server and back.
     *
     * @return the records that arrived intact (each way counted once: {@code records} on success)
     * @throws SSLException when the engines refuse each other (keys that do not fit)
     */
    static int run(SSLContext context, int records) throws SSLException {
        SSLEngine client = NodeKeys.clientEngine(context);
        SSLEngine server = NodeKeys.serverEngine(context);
        int pkt = client.getSession().getPacketBufferSize();
        int app = client.getSession().getApplicationBufferSize();
        ByteBuffer c2s = ByteBuffer.allocate(4 * pkt);
        ByteBuffer s2c = ByteBuffer.allocate(4 * pkt);
        ByteBuffer capp = ByteBuffer.allocate(app);
        ByteBuffer sapp = ByteBuffer.allocate(app);
        handshake(client, server, c2s, s2c, capp, sapp);
        ByteBuffer src = ByteBuffer.allocate(RECORD_BYTES);
        int ok = 0;
        for (int i = 0; i < records; i++) {
            boolean back = (i & 1) == 1; // both engines wrap and unwrap
            SSLEngine from = back ? server : client;
            SSLEngine to = back ? client : server;
            ByteBuffer net = back ? s2c : c2s;
            ByteBuffer dst = back ? capp : sapp;
            src.clear().putInt(0, i);
            // the buffers stay in write mode between records: what the handshake left (a session ticket) goes first
            for (int k = 0; k < 4 && src.hasRemaining(); k++) {
                from.wrap(src, net);
            }
            net.flip();
            dst.clear();
            for (int k = 0; k < 4 && net.hasRemaining(); k++) {
                if (to.unwrap(net, dst).getStatus() != SSLEngineResult.Status.OK) {
                    break;
                }
            }
            net.compact();
            if (dst.position() == RECORD_BYTES && dst.getInt(0) == i) {
                ok++;
            }
        }
        return ok;
    }

    /**
     * The handshake of two engines in memory; out buffers in write mode. What the server
     * sends after it (a TLS 1.3 session ticket) may be left in {@code s2c}. Also the
     * handshake of the {@code TlsEngineCost} measuring tool (test scope).
     */
    static void handshake(SSLEngine client, SSLEngine server, ByteBuffer c2s, ByteBuffer s2c,
            ByteBuffer capp, ByteBuffer sapp) throws SSLException {
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 200; i++) {
            if (done(client) && done(server)) {
                return;
            }
            step(client, c2s, s2c, capp);
            step(server, s2c, c2s, sapp);
        }
        throw new SSLException("the warm-up handshake did not finish: " + client.getHandshakeStatus() + ", "
                + server.getHandshakeStatus());
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus h = e.getHandshakeStatus();
        return h == HandshakeStatus.NOT_HANDSHAKING || h == HandshakeStatus.FINISHED;
    }

    /** Runs {@code e} until it needs bytes the peer has not written yet. */
    private static void step(SSLEngine e, ByteBuffer out, ByteBuffer in, ByteBuffer app) throws SSLException {
        ByteBuffer empty = ByteBuffer.allocate(0);
        for (int guard = 0; guard < 100; guard++) {
            HandshakeStatus h = e.getHandshakeStatus();
            if (h == HandshakeStatus.NEED_TASK) {
                Runnable t;
                while ((t = e.getDelegatedTask()) != null) {
                    t.run();
                }
            } else if (h == HandshakeStatus.NEED_WRAP) {
                e.wrap(empty, out);
            } else if (h == HandshakeStatus.NEED_UNWRAP || h == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                in.flip();
                SSLEngineResult r = e.unwrap(in, app);
                in.compact();
                app.clear();
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                        || r.bytesConsumed() == 0 && h != HandshakeStatus.NEED_UNWRAP_AGAIN) {
                    return;
                }
            } else {
                return;
            }
        }
    }
}
