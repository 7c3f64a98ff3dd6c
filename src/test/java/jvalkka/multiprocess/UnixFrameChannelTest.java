package jvalkka.multiprocess;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The transport seam's contract on a Unix-domain socket: the channel between a frontend and its local backend. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UnixFrameChannelTest extends FrameChannelContract {
    @TempDir
    Path dir;

    @Override
    FrameChannel[] connectPair() throws Exception {
        UnixDomainSocketAddress addr = UnixDomainSocketAddress.of(dir.resolve("s"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(addr);
            MessagePipe a = new MessagePipe("a");
            MessagePipe b = new MessagePipe("b");
            a.connect(SocketChannel.open(addr));
            b.connect(server.accept());
            return new FrameChannel[] {a, b};
        }
    }
}
