package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A backend that listens to a TCP socket besides its pipe, by overriding readPipes__. */
@Timeout(120)
class CustomReadPipesTest {
    static class TcpBackend extends MessageProcess {
        private transient ServerSocketChannel server;
        private transient List<SocketChannel> clients;

        TcpBackend() {
            super("tcp");
        }

        @Override
        protected void preRun__() throws IOException {
            server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            clients = new ArrayList<>();
            send_out__(new MessageObject("listening", "port", ((InetSocketAddress) server.getLocalAddress()).getPort()));
        }

        @Override
        protected void postRun__() throws IOException {
            for (SocketChannel c : clients) {
                c.close();
            }
            server.close();
        }

        @Override
        protected void readPipes__(double timeout) {
            List<Object> reads = new ArrayList<>();
            reads.add(backPipe__());
            reads.add(server);
            reads.addAll(clients);
            Select.Ready r = Select.safeSelect(reads, List.of(), List.of(), timeout);
            for (Object o : r.reads()) {
                if (o == backPipe__()) {
                    handleBackPipe__(backPipe__());
                } else if (o == server) {
                    accept();
                } else {
                    readClient((SocketChannel) o);
                }
            }
        }

        private void accept() {
            try {
                SocketChannel c = server.accept();
                if (c != null) {
                    c.configureBlocking(false);
                    clients.add(c);
                }
            } catch (IOException e) {
                logger.warn("accept failed: {}", e.toString());
            }
        }

        private void readClient(SocketChannel c) {
            ByteBuffer b = ByteBuffer.allocate(256);
            try {
                int n = c.read(b);
                if (n < 0) {
                    clients.remove(c);
                    c.close();
                    return;
                }
                send_out__(new MessageObject("tcp", "text", new String(b.array(), 0, n, StandardCharsets.UTF_8)));
            } catch (IOException e) {
                clients.remove(c);
            }
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    static MessageObject next(MessageProcess p) {
        assertTrue(p.getPipe().poll(30), "no message within 30 s");
        return p.getPipe().recv();
    }

    @Test
    void theBackendServesItsPipeAndATcpSocket() throws Exception {
        TcpBackend p = new TcpBackend();
        p.start();
        try {
            MessageObject listening = next(p);
            int port = (Integer) listening.get("port");
            try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                c.write(ByteBuffer.wrap("hello backend".getBytes(StandardCharsets.UTF_8)));
                MessageObject m = next(p);
                assertEquals("tcp", m.command());
                assertEquals("hello backend", m.get("text"));
                p.sendMessageToBack(new MessageObject("ping", "i", 5));
                assertEquals(5, next(p).get("i"));
            }
        } finally {
            p.stop();
        }
        assertEquals(0, p.exitCode());
    }
}
