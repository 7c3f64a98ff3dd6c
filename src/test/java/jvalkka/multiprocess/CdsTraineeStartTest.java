package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The frontend side of a class-data training JVM's start is a frontend's own: a connection must come from the
 * training JVM (its pid), not only carry the token.
 */
@Timeout(60)
class CdsTraineeStartTest {
    private Process trainer;
    private BackendConnection connection;
    private final SocketChannel[] clients = new SocketChannel[2];

    @AfterEach
    void cleanUp() throws Exception {
        for (SocketChannel c : clients) {
            if (c != null) {
                c.close();
            }
        }
        if (connection != null) {
            connection.close();
        }
        if (trainer != null) {
            trainer.destroyForcibly();
            trainer.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aConnectionWithTheTokenThatDoesNotComeFromTheTrainerIsRefused() throws Exception {
        trainer = new ProcessBuilder("sleep", "60").start(); // the training JVM, which never connects
        connection = new BackendConnection(LoggerFactory.getLogger(CdsTraineeStartTest.class));
        connection.open();
        String[] boot = new String(connection.bootLine(), StandardCharsets.UTF_8).strip().split(" ");
        CompletableFuture<MessagePipe[]> played = CompletableFuture.supplyAsync(() -> {
            try {
                return CdsTrainer.playTrainee(connection, trainer, new CdsTrainer.Trainee(), 1, false);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // this JVM knows the socket and the token, as another process of this user could, and connects as a
        // backend does: both its connections are closed, unread
        Path socket = Path.of(boot[0]);
        byte[] token = HexFormat.of().parseHex(boot[1]);
        for (int which = 0; which < 2; which++) {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            clients[which] = c;
            c.bind(UnixDomainSocketAddress.of(PeerCheck.clientName(socket, which)));
            c.connect(UnixDomainSocketAddress.of(socket));
            c.write(ByteBuffer.allocate(17).put(token).put((byte) which).flip());
        }
        for (SocketChannel c : clients) {
            assertEquals(-1, readWithin(c, 20_000), "a connection from another process was taken");
        }
        trainer.destroyForcibly();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> played.get(30, TimeUnit.SECONDS));
        assertInstanceOf(BackendConnection.Failed.class, failed.getCause());
        assertTrue(failed.getCause().getMessage().contains("exited"), failed.getCause().getMessage());
        assertTrue(Files.notExists(socket), "the listener's socket is left");
    }

    /** Reads one byte within {@code millis}: the byte, -1 at the end (or a reset), or -2 when nothing came in time. */
    private static int readWithin(SocketChannel c, long millis) throws Exception {
        c.configureBlocking(false);
        try (Selector sel = Selector.open()) {
            c.register(sel, SelectionKey.OP_READ);
            long end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                sel.select(Math.max(1, (end - System.nanoTime()) / 1_000_000));
                ByteBuffer b = ByteBuffer.allocate(1);
                int n;
                try {
                    n = c.read(b);
                } catch (java.net.SocketException reset) {
                    return -1; // closed with our hello unread
                }
                if (n != 0) {
                    return n < 0 ? -1 : b.get(0) & 0xff;
                }
            }
            return -2;
        }
    }
}
