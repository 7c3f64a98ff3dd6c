package jvalkka.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;

/**
 * A plain TCP ping-pong, the floor a remote round trip is measured against.
 *
 * <pre>
 * TcpPingPong server ADDR PORT           echo 8-byte pings from one connection until it closes
 * TcpPingPong client ADDR PORT N WARMUP  N timed round trips after WARMUP; prints
 *                                        "tcp_floor_rtt_p50_us V us" and "tcp_floor_rtt_p99_us V us"
 * </pre>
 *
 * The server binds ADDR only and prints {@code listening ADDR:PORT} when it accepts.
 * TCP_NODELAY on both ends, one 8-byte message each way, as a small MessageObject frame would go.
 */
public final class TcpPingPong {
    private TcpPingPong() {
    }

    public static void main(String[] args) throws IOException {
        InetAddress addr = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        if (args[0].equals("server")) {
            try (ServerSocket ss = new ServerSocket()) {
                ss.setReuseAddress(true);
                ss.bind(new InetSocketAddress(addr, port));
                System.out.println("listening " + args[1] + ":" + port);
                System.out.flush();
                try (Socket s = ss.accept()) {
                    s.setTcpNoDelay(true);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    while (true) {
                        long v;
                        try {
                            v = in.readLong();
                        } catch (java.io.EOFException e) {
                            return;
                        }
                        out.writeLong(v);
                        out.flush();
                    }
                }
            }
        }
        int n = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(addr, port), 5000);
            s.setSoTimeout(5000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            long[] rtt = new long[n];
            for (int i = 0; i < warmup + n; i++) {
                long t0 = System.nanoTime();
                out.writeLong(i);
                out.flush();
                if (in.readLong() != i) {
                    throw new IOException("echo out of order at " + i);
                }
                if (i >= warmup) {
                    rtt[i - warmup] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(rtt);
            System.out.printf("tcp_floor_rtt_p50_us %.1f us%n", rtt[n / 2] / 1000.0);
            System.out.printf("tcp_floor_rtt_p99_us %.1f us%n", rtt[Math.min(n - 1, n * 99 / 100)] / 1000.0);
        }
    }
}
