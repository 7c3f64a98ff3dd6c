package jvalkka.multiprocess;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;

import jvalkka.cluster.TestKeys;
import jvalkka.internal.NodeKeys;

/**
 * What an {@link SSLEngine} costs per small record, in memory (no socket): a
 * client and a server engine from the cluster's keys, handshaken, then records of
 * {@code SIZE} bytes wrapped by one and unwrapped by the other, after a warm-up.
 * Prints {@code ns per wrap} and {@code ns per unwrap} for each cipher suite and for
 * heap and direct buffers. A measuring tool, not a test: run it with the JVM flags
 * whose cost is in question (for example {@code -XX:TieredStopAtLevel=1}).
 *
 * <pre>
 * java -cp ... jvalkka.multiprocess.TlsEngineCost [SIZE [RECORDS]]   defaults 64 200000
 * </pre>
 */
public final class TlsEngineCost {
    private TlsEngineCost() {
    }

    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int records = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        Path keysDir = TestKeys.of("bench");
        SSLContext tls13 = NodeKeys.context(keysDir);
        String[][] suites = {
            {"TLSv1.3", "TLS_AES_128_GCM_SHA256"},
            {"TLSv1.3", "TLS_AES_256_GCM_SHA384"},
            {"TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"},
            {"TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
            {"TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
        };
        SSLContext any = SSLContext.getInstance("TLS");
        // the same key material, any protocol: the context of NodeKeys is made for TLSv1.3
        any = contextOf(keysDir);
        for (int round = 0; round < 2; round++) {
            for (String[] s : suites) {
                for (boolean direct : new boolean[] {false, true}) {
                    try {
                        run(s[0].equals("TLSv1.3") ? tls13 : any, s[0], s[1], direct, size, records, round == 1);
                    } catch (Exception e) {
                        if (round == 1) {
                            System.out.printf("%s %s: %s%n", s[0], s[1], e);
                        }
                    }
                }
            }
        }
    }

    private static SSLContext contextOf(Path keysDir) throws Exception {
        // NodeKeys.context asks for "TLSv1.3"; an SSLContext of that name still enables 1.2 when asked
        return NodeKeys.context(keysDir);
    }

    private static SSLEngine engine(SSLContext c, boolean server, String protocol, String suite) {
        SSLEngine e = c.createSSLEngine();
        e.setUseClientMode(!server);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {protocol});
        p.setCipherSuites(new String[] {suite});
        p.setNeedClientAuth(server);
        e.setSSLParameters(p);
        return e;
    }

    private static ByteBuffer alloc(int n, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
    }

    private static void run(SSLContext c, String protocol, String suite, boolean direct, int size, int records,
            boolean print) throws Exception {
        SSLEngine client = engine(c, false, protocol, suite);
        SSLEngine server = engine(c, true, protocol, suite);
        int pkt = client.getSession().getPacketBufferSize();
        int app = client.getSession().getApplicationBufferSize();
        ByteBuffer c2s = alloc(pkt * 4, direct);
        ByteBuffer s2c = alloc(pkt * 4, direct);
        ByteBuffer capp = alloc(app * 2, direct);
        ByteBuffer sapp = alloc(app * 2, direct);
        handshake(client, server, c2s, s2c, capp, sapp);
        ByteBuffer src = alloc(size, direct);
        ByteBuffer dst = alloc(app, direct);
        ByteBuffer[] net = new ByteBuffer[records];
        for (int i = 0; i < records; i++) {
            net[i] = alloc(pkt, direct);
        }
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long wrapNs = 0;
        long unwrapNs = 0;
        for (int pass = 0; pass < 3; pass++) { // the first two warm up
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < records; i++) {
                src.clear();
                src.putInt(0, i);
                net[i].clear();
                SSLEngineResult r = client.wrap(src, net[i]);
                if (r.bytesConsumed() != size) {
                    throw new IllegalStateException("wrap " + i + ": " + r);
                }
                net[i].flip();
            }
            long t1 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < records; i++) {
                dst.clear();
                SSLEngineResult u = server.unwrap(net[i], dst);
                if (u.bytesProduced() != size || dst.getInt(0) != i) {
                    throw new IllegalStateException("unwrap " + i + ": " + u);
                }
            }
            long t2 = mx.getCurrentThreadCpuTime();
            wrapNs = t1 - t0;
            unwrapNs = t2 - t1;
        }
        if (print) {
            System.out.printf("%-8s %-40s %-6s size %5d: wrap %6.0f ns, unwrap %6.0f ns CPU, record %d bytes%n",
                    protocol, suite, direct ? "direct" : "heap", size, (double) wrapNs / records,
                    (double) unwrapNs / records, net[0].limit());
        }
    }

    /**
     * {@link TlsWarmUp#handshake}, then what the engines wrote after it (a TLS 1.3
     * server's session tickets) taken in, so that the timed records start from empty buffers.
     */
    private static void handshake(SSLEngine client, SSLEngine server, ByteBuffer c2s, ByteBuffer s2c, ByteBuffer capp,
            ByteBuffer sapp) throws Exception {
        TlsWarmUp.handshake(client, server, c2s, s2c, capp, sapp);
        takeIn(client, s2c, capp);
        takeIn(server, c2s, sapp);
        if (c2s.position() != 0 || s2c.position() != 0) {
            throw new IllegalStateException("bytes left after the handshake: " + c2s.position() + " " + s2c.position());
        }
    }

    /** Unwraps into {@code app} (discarded) what the peer wrote to {@code in} (write mode, left empty). */
    private static void takeIn(SSLEngine e, ByteBuffer in, ByteBuffer app) throws Exception {
        in.flip();
        while (in.hasRemaining() && e.unwrap(in, app).bytesConsumed() > 0) {
            app.clear();
        }
        in.compact();
    }
}
