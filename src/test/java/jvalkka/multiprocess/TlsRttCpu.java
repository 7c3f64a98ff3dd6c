package jvalkka.multiprocess;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

import javax.net.ssl.SSLContext;

import jvalkka.cluster.TestKeys;
import jvalkka.internal.NodeKeys;

/**
 * A measuring tool, not a test: the round trip of a loopback pipe (plain TCP or
 * mutual TLS, {@link PipePingPong#pair}) to an echoing thread, N round trips to warm
 * up and N timed; prints the timed median and the CPU time per round trip of the
 * sending and the echoing thread. With {@code -Djvalkka.remoteSpinMicros=0} the CPU
 * figures are work, not spinning; a small N shows what a JVM whose record path is
 * not compiled yet pays.
 *
 * <pre>
 * java -cp ... jvalkka.multiprocess.TlsRttCpu plain|tls N
 * </pre>
 */
public final class TlsRttCpu {
    private TlsRttCpu() {
    }

    public static void main(String[] args) throws Exception {
        boolean tls = args[0].equals("tls");
        int n = Integer.parseInt(args[1]);
        SSLContext keys = tls ? NodeKeys.context(TestKeys.of("bench")) : null;
        MessagePipe[] pair = PipePingPong.pair(keys);
        MessagePipe client = pair[0];
        MessagePipe echo = pair[1];
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] echoCpu = new long[1];
        Thread echoer = new Thread(() -> {
            MessageObject m;
            long c0 = 0;
            int k = 0;
            while ((m = echo.recv(60_000)) != null) {
                if (++k == n) {
                    c0 = mx.getCurrentThreadCpuTime();
                }
                echo.send(m);
            }
            echoCpu[0] = mx.getCurrentThreadCpuTime() - c0;
        }, "echo");
        echoer.start();
        MessageObject ping = new MessageObject("ping", "i", 1);
        for (int pass = 0; pass < 2; pass++) {
            long[] rtt = new long[n];
            long c0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                client.send(ping);
                client.recv(60_000);
                rtt[i] = System.nanoTime() - t;
            }
            long c1 = mx.getCurrentThreadCpuTime();
            Arrays.sort(rtt);
            if (pass == 1) {
                client.send(null);
                client.flush();
                echoer.join(60_000);
                System.out.printf("%s p50 %.1f us, client cpu %.1f us/rt, echo cpu %.1f us/rt%n", args[0],
                        rtt[n / 2] / 1e3, (c1 - c0) / 1e3 / n, echoCpu[0] / 1e3 / n);
            }
        }
        client.close();
        echo.close();
    }
}
