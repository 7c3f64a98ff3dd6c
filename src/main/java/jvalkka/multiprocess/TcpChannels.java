package jvalkka.multiprocess;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import javax.net.ssl.SSLContext;

import jvalkka.internal.NodeKeys;

/**
 * Frame channels ({@link FrameChannel}) over TCP: the same {@link MessagePipe},
 * frames and flow control as between the two halves of a local process, carried
 * by a TCP connection instead of a Unix-domain socket. The byte path for
 * backends on other hosts.
 *
 * <p>{@link #connect(String, InetSocketAddress)} and {@link #accept(String,
 * ServerSocketChannel, long)} only make the connection; they do not authenticate
 * the peer. The TLS forms ({@link #connectTls}, {@link #acceptTls}) run a mutual
 * TLS 1.3 handshake under the pipe ({@link MessagePipe#connect(SocketChannel,
 * javax.net.ssl.SSLEngine, long)}): the accepting end is the TLS server and needs
 * the client's certificate; both trust only their cluster's authority
 * ({@link jvalkka.internal.NodeKeys}). Across hosts, authenticate before a byte of
 * the process object or a message is trusted. Nothing listens on a wildcard
 * address: {@link #listen} refuses one.
 */
final class TcpChannels {
    private TcpChannels() {
    }

    /**
     * A server socket on {@code address} (port 0: any free port).
     *
     * @throws IllegalArgumentException for a wildcard address (0.0.0.0, ::)
     */
    static ServerSocketChannel listen(InetSocketAddress address) throws IOException {
        InetAddress a = address.getAddress();
        if (a == null || a.isAnyLocalAddress()) {
            throw new IllegalArgumentException("refusing to listen on the wildcard address " + address
                    + ": name the interface to listen on (for example the loopback address)");
        }
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(address);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** Connects to {@code address}: a pipe named {@code label}, ready to send and receive. */
    static MessagePipe connect(String label, InetSocketAddress address) throws IOException {
        SocketChannel ch = SocketChannel.open(address);
        return pipe(label, ch);
    }

    /**
     * Connects to {@code address} as the TLS client of {@code keys} (from
     * {@link NodeKeys#context}): a pipe once the handshake finished within
     * {@code handshakeMillis}.
     *
     * @throws javax.net.ssl.SSLHandshakeException when either end refused the other
     * @throws java.net.SocketTimeoutException when the handshake took longer
     */
    static MessagePipe connectTls(String label, InetSocketAddress address, SSLContext keys, long handshakeMillis)
            throws IOException {
        SocketChannel ch = SocketChannel.open(address);
        return tlsPipe(label, ch, keys, false, handshakeMillis);
    }

    /**
     * Accepts one connection within {@code timeoutMillis} and runs the TLS
     * handshake as its server, needing the client's certificate, within as long again.
     *
     * @throws java.net.SocketTimeoutException when none came, or its handshake took longer
     * @throws javax.net.ssl.SSLHandshakeException when either end refused the other
     */
    static MessagePipe acceptTls(String label, ServerSocketChannel server, long timeoutMillis, SSLContext keys)
            throws IOException {
        return tlsPipe(label, acceptChannel(server, timeoutMillis), keys, true, timeoutMillis);
    }

    /**
     * Accepts one connection within {@code timeoutMillis}.
     *
     * @throws java.net.SocketTimeoutException when none came
     */
    static MessagePipe accept(String label, ServerSocketChannel server, long timeoutMillis) throws IOException {
        return pipe(label, acceptChannel(server, timeoutMillis));
    }

    private static SocketChannel acceptChannel(ServerSocketChannel server, long timeoutMillis) throws IOException {
        server.configureBlocking(false);
        try (Selector s = Selector.open()) {
            server.register(s, SelectionKey.OP_ACCEPT);
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
            while (true) {
                SocketChannel ch = server.accept();
                if (ch != null) {
                    return ch;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new java.net.SocketTimeoutException("no connection to " + server.getLocalAddress()
                            + " within " + timeoutMillis + " ms");
                }
                s.select(left);
                s.selectedKeys().clear();
            }
        }
    }

    private static MessagePipe tlsPipe(String label, SocketChannel ch, SSLContext keys, boolean server,
            long handshakeMillis) throws IOException {
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            MessagePipe p = new MessagePipe(label);
            p.connect(ch, server ? NodeKeys.serverEngine(keys) : NodeKeys.clientEngine(keys), handshakeMillis);
            return p;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static MessagePipe pipe(String label, SocketChannel ch) throws IOException {
        try {
            // frames are coalesced by the pipe already; Nagle's delay would only add latency to a lone request
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            MessagePipe p = new MessagePipe(label);
            p.connect(ch);
            return p;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }
}
