package jvalkka.testing;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Another user's program (JDK classes only, so that it runs with nothing but the
 * test classes on its class path): listens where a backend is told to connect and
 * reports what the backend gave it. {@code Impostor <socket path>} prints
 * {@code listening}, then {@code received N bytes} for the first connection
 * (until 17 bytes, the hello with the token, or the end), and exits; it gives up
 * after 25 s.
 */
public final class Impostor {
    private Impostor() {
    }

    public static void main(String[] args) throws Exception {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(25_000);
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("impostor gave up");
            System.exit(5);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(Path.of(args[0])));
            System.out.println("listening");
            try (SocketChannel c = server.accept()) {
                ByteBuffer b = ByteBuffer.allocate(17);
                while (b.hasRemaining() && c.read(b) >= 0) {
                    // until the hello is complete or the backend hangs up
                }
                System.out.println("received " + b.position() + " bytes");
            }
        }
    }
}
