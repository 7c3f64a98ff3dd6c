package jvalkka.multiprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import jvalkka.cluster.TestKeys;
import jvalkka.internal.NodeKeys;

/**
 * {@code scripts/bench tls}: what TLS costs a frame channel. In one JVM over the
 * loopback interface, a {@link MessagePipe} over plain TCP and one over mutual
 * TLS 1.3 ({@link TcpChannels#connectTls}), each measured the same way: the round
 * trip of a small message to an echoing thread and back, and the one-way rate of
 * a burst. Prints {@code name value unit} lines:
 * {@code pipe_tcp_rtt_p50_us}, {@code pipe_tcp_rtt_p99_us}, {@code tls_rtt_p50_us},
 * {@code tls_rtt_p99_us}, {@code pipe_tcp_oneway_msgs_per_s},
 * {@code tls_oneway_msgs_per_s}, {@code tls_handshake_ms} (connect, accept and the
 * mutual handshake on loopback, after a first one in the JVM).
 *
 * <pre>
 * PipePingPong [ROUND_TRIPS [WARMUP [ONEWAY_MESSAGES [KEYS_DIR]]]]   defaults 20000 5000 1000000, keys made by
 *                                                                   scripts/node-keys in target/cluster-test-keys/bench
 * </pre>
 */
public final class PipePingPong {
    private PipePingPong() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        int oneway = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        Path keysDir = args.length > 3 ? Path.of(args[3]) : TestKeys.of("bench");
        SSLContext keys = NodeKeys.context(keysDir);
        MessagePipe[] plain = pair(null);
        for (MessagePipe p : pair(keys)) {
            p.close(); // the first handshake in a JVM loads and compiles JSSE: not what a second one costs
        }
        long t0 = System.nanoTime();
        MessagePipe[] tls = pair(keys);
        double handshakeMs = (System.nanoTime() - t0) / 1e6;
        try {
            // interleaved: each figure is measured once after the other's warm-up, on the same loaded machine
            long[] plainRtt = roundTrips(plain, n, warmup);
            long[] tlsRtt = roundTrips(tls, n, warmup);
            double plainRate = oneWay(plain, oneway);
            double tlsRate = oneWay(tls, oneway);
            print("pipe_tcp_rtt_p50_us", plainRtt[n / 2] / 1000.0, "us");
            print("pipe_tcp_rtt_p99_us", plainRtt[Math.min(n - 1, n * 99 / 100)] / 1000.0, "us");
            print("tls_rtt_p50_us", tlsRtt[n / 2] / 1000.0, "us");
            print("tls_rtt_p99_us", tlsRtt[Math.min(n - 1, n * 99 / 100)] / 1000.0, "us");
            print("pipe_tcp_oneway_msgs_per_s", plainRate, "msgs/s");
            print("tls_oneway_msgs_per_s", tlsRate, "msgs/s");
            print("tls_handshake_ms", handshakeMs, "ms");
        } finally {
            for (MessagePipe p : new MessagePipe[] {plain[0], plain[1], tls[0], tls[1]}) {
                p.close();
            }
        }
    }

    private static void print(String name, double value, String unit) {
        System.out.printf("%s %.1f %s%n", name, value, unit);
    }

    /** A connected pair over the loopback interface: plain TCP when {@code keys} is null, else mutual TLS. */
    static MessagePipe[] pair(SSLContext keys) throws Exception {
        try (ServerSocketChannel server = TcpChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            CompletableFuture<MessagePipe> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return keys == null ? TcpChannels.accept("echo", server, 20_000)
                            : TcpChannels.acceptTls("echo", server, 20_000, keys);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            MessagePipe client = keys == null ? TcpChannels.connect("client", at)
                    : TcpChannels.connectTls("client", at, keys, 20_000);
            return new MessagePipe[] {client, accepted.get(30, TimeUnit.SECONDS)};
        }
    }

    /** Sorted round-trip times (ns) of {@code n} pings after {@code warmup}, to a thread that echoes them. */
    private static long[] roundTrips(MessagePipe[] pair, int n, int warmup) throws Exception {
        MessagePipe client = pair[0];
        MessagePipe echo = pair[1];
        Thread echoer = new Thread(() -> {
            MessageObject m;
            while ((m = echo.recv(60_000)) != null) {
                echo.send(m);
            }
        }, "echo");
        echoer.start();
        long[] rtt = new long[n];
        MessageObject ping = new MessageObject("ping", "i", 1);
        for (int i = 0; i < warmup + n; i++) {
            long t = System.nanoTime();
            client.send(ping);
            client.flush();
            if (!"ping".equals(client.recv(60_000).command())) {
                throw new IllegalStateException("the echo sent something else");
            }
            if (i >= warmup) {
                rtt[i - warmup] = System.nanoTime() - t;
            }
        }
        client.send(null);
        client.flush();
        echoer.join(60_000);
        Arrays.sort(rtt);
        return rtt;
    }

    /** Messages per second from one end to the other, a burst of {@code n} then a stop marker. */
    private static double oneWay(MessagePipe[] pair, int n) throws Exception {
        MessagePipe sender = pair[0];
        MessagePipe receiver = pair[1];
        CompletableFuture<Long> done = CompletableFuture.supplyAsync(() -> {
            int got = 0;
            while (receiver.recv(60_000) != null) {
                got++;
            }
            if (got != n) {
                throw new IllegalStateException(got + " of " + n + " messages arrived");
            }
            return System.nanoTime();
        });
        MessageObject m = new MessageObject("m", "i", 1);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            sender.send(m);
        }
        sender.send(null);
        sender.flush();
        long end = done.get(120, TimeUnit.SECONDS);
        return n / ((end - t0) / 1e9);
    }
}
