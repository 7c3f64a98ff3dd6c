package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The transport seam's contract on a TCP connection over the loopback interface. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpFrameChannelTest extends FrameChannelContract {
    @Override
    FrameChannel[] connectPair() throws Exception {
        return loopbackPair();
    }

    /** Two pipes joined by a TCP connection over the loopback interface: {@code a} connected, {@code b} accepted. */
    static MessagePipe[] loopbackPair() throws Exception {
        try (ServerSocketChannel server = TcpChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            CompletableFuture<MessagePipe> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return TcpChannels.accept("b", server, 10_000);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            MessagePipe a = TcpChannels.connect("a", at);
            return new MessagePipe[] {a, within(accepted, 10, "accepting the connection")};
        }
    }

    @Test
    void nothingListensOnTheWildcardAddress() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TcpChannels.listen(new InetSocketAddress(0)));
        assertTrue(e.getMessage().contains("wildcard"), e.getMessage());
    }
}
