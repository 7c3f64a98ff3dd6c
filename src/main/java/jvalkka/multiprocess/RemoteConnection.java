package jvalkka.multiprocess;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;

import jvalkka.internal.RemoteBackend;
import jvalkka.internal.RemoteLauncher;
import jvalkka.internal.RemoteLaunchers;

/**
 * The frontend's side of connecting to a backend on another host (a process
 * whose options carry a {@link Placement}): a TCP listening socket on the
 * cluster's {@link RemoteLauncher#frontendAddress()} (an ephemeral port, never a
 * wildcard address), the launch through the installed {@link RemoteLauncher},
 * and the backend's two connections, each proven by a {@link WireProtocol.Kind#HELLO}
 * frame that carries the boot line's one-time token. No peer check by pid or
 * user is possible across hosts: the token is the proof (compared in constant
 * time), so the boot line must reach the backend only through the node that
 * starts it. A connection with a wrong token or no hello within
 * {@link #HELLO_MILLIS} is closed, and the wait for the right ones goes on until
 * the start deadline.
 *
 * <h2>The boot line</h2>
 *
 * <pre>
 *   tcp:&lt;host&gt;:&lt;port&gt; &lt;token&gt; &lt;frontend pid&gt;\n      (plain TCP)
 *   tls:&lt;host&gt;:&lt;port&gt; &lt;token&gt; &lt;frontend pid&gt;\n      (mutual TLS)
 * </pre>
 *
 * <p>{@code host} is the listening address as a literal (IPv6 in brackets),
 * {@code token} 32 lowercase hex digits, the pid that of the frontend's JVM on
 * its own host (the backend does not use it: its parent is the node's agent).
 * The launcher hands the line unchanged to the node, which writes it as the
 * first line of the new backend JVM's standard input and keeps that pipe open
 * for the backend's life (its end is the backend's parent-death signal).
 * {@link BackendMain} then connects over TCP ({@code TCP_NODELAY}) twice, main
 * first, and sends each pipe's hello.
 *
 * <p>TLS: when the launcher names the cluster's keys ({@link RemoteLauncher#keysDir()}),
 * the scheme is {@code tls:} instead of {@code tcp:}, and each connection is
 * mutual TLS 1.3 ({@code jvalkka.internal.NodeKeys}: this end the server, needing
 * the backend's certificate of the same cluster) before its hello is read
 * ({@link #helloPipe}); the token then travels encrypted. The node must start a
 * {@code tls:} backend with {@code -Djvalkka.node.keys=<its keys directory>}
 * ({@link #KEYS_PROPERTY}); the backend is the TLS client ({@code BackendMain.connectTcp}).
 */
final class RemoteConnection implements BackendListener {
    /** The prefix of a boot line whose backend connects over plain TCP (the cluster has no keys). */
    static final String SCHEME = "tcp:";
    /** The prefix of a boot line whose backend connects over mutual TLS with its node's keys. */
    static final String TLS_SCHEME = "tls:";
    /**
     * The system property that names a TLS backend's keys directory (its node's
     * {@code scripts/node-keys} directory): the node adds it to the command line.
     */
    static final String KEYS_PROPERTY = "jvalkka.node.keys";
    /** How long an accepted connection may take to send its hello before it is closed. */
    static final long HELLO_MILLIS = 10_000;
    /** How many reads an accepted connection gets to complete its hello (bounds what a stranger makes us buffer). */
    private static final int HELLO_READS = 4;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Logger logger;
    private final RemoteLauncher launcher;
    private final Placement placement;
    private final byte[] token = new byte[WireProtocol.TOKEN_BYTES];
    private ServerSocketChannel server;
    private InetSocketAddress bound;
    /** The cluster's keys for mutual TLS, or null for plain TCP. */
    private javax.net.ssl.SSLContext keys;
    private String host = "another host";

    private RemoteConnection(Logger logger, RemoteLauncher launcher, Placement placement) {
        this.logger = logger;
        this.launcher = launcher;
        this.placement = placement;
    }

    /**
     * Opens the listening socket for a process to place at {@code placement}.
     *
     * @throws BackendStartException when no cluster driver runs in this JVM, or no socket can be opened
     */
    static RemoteConnection open(String owner, Placement placement, Logger logger) {
        RemoteLauncher launcher = RemoteLaunchers.installed();
        if (launcher == null) {
            throw new BackendStartException(owner + " cannot start at " + placement + ": no cluster driver runs in "
                    + "this JVM; join the cluster first (jvalkka.cluster.ClusterDriver.join), or start it on this "
                    + "host (no placement)");
        }
        RemoteConnection c = new RemoteConnection(logger, launcher, placement);
        InetAddress at = launcher.frontendAddress();
        try {
            RANDOM.nextBytes(c.token);
            if (launcher.keysDir() != null) {
                c.keys = jvalkka.internal.NodeKeys.context(launcher.keysDir());
            }
            c.server = TcpChannels.listen(new InetSocketAddress(at, 0));
            c.server.configureBlocking(false);
            c.bound = (InetSocketAddress) c.server.getLocalAddress();
        } catch (IOException | RuntimeException e) {
            c.close();
            throw new BackendStartException(owner + ": cannot listen for its backend on " + at + ": " + e.getMessage(),
                    e);
        }
        return c;
    }

    /**
     * Asks the launcher for the backend, and returns at once.
     *
     * @throws BackendStartException (and closes this) when the launcher refuses
     */
    RemoteBackend launch(String owner, String label, List<String> jvmArgs) {
        RemoteBackend b;
        try {
            b = launcher.launch(new RemoteLauncher.Request(placement.nodeName(), placement.labels(), label, jvmArgs,
                    new String(bootLine(), StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            close();
            throw new BackendStartException(owner + " cannot start at " + placement + ": " + e.getMessage(), e);
        }
        if (b == null) {
            close();
            throw new BackendStartException(owner + " cannot start at " + placement + ": the launcher gave no backend");
        }
        host = b.host();
        return b;
    }

    @Override
    public byte[] bootLine() {
        InetAddress a = bound.getAddress();
        String h = a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
        return ((keys != null ? TLS_SCHEME : SCHEME) + h + ":" + bound.getPort() + " " + HexFormat.of().formatHex(token) + " "
                + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Whether a boot line's first word names a frontend on another host ({@code tcp:} or {@code tls:}). */
    static boolean isRemote(String word) {
        return word.startsWith(SCHEME) || word.startsWith(TLS_SCHEME);
    }

    /** The address in a boot line's first word ({@code tcp:host:port} or {@code tls:host:port}). */
    static InetSocketAddress address(String word) {
        String hp = word.substring(SCHEME.length()); // both schemes are four characters
        int colon = hp.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not tcp:<host>:<port>: " + word);
        }
        String h = hp.substring(0, colon);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return new InetSocketAddress(h, Integer.parseInt(hp.substring(colon + 1)));
    }

    /** One accepted connection while its hello comes in. */
    private static final class Pending {
        final SocketChannel channel;
        final MessagePipe pipe;
        final long since = System.nanoTime();
        int reads;

        Pending(SocketChannel channel, MessagePipe pipe) {
            this.channel = channel;
            this.pipe = pipe;
        }
    }

    @Override
    public void acceptInto(MessagePipe main, MessagePipe internal, Process process, long deadlineNanos,
            long timeoutMillis) throws InterruptedException {
        ByteLink[] links = accept(process, deadlineNanos, timeoutMillis);
        main.connect(links[0]);
        internal.connect(links[1]);
    }

    private ByteLink[] accept(Process process, long deadlineNanos, long timeoutMillis) throws InterruptedException {
        ByteLink[] channels = new ByteLink[2];
        List<Pending> pending = new ArrayList<>();
        try (Selector sel = Selector.open()) {
            server.register(sel, SelectionKey.OP_ACCEPT);
            while (channels[0] == null || channels[1] == null) {
                if (!process.isAlive()) {
                    throw BackendConnection.Failed.statusTold("the backend on " + host + " " + ended(process)
                            + " before it connected");
                }
                if (System.nanoTime() > deadlineNanos) {
                    throw new BackendConnection.Failed("the backend on " + host + " did not connect to " + bound
                            + " within " + timeoutMillis + " ms");
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while the backend on " + host + " connected");
                }
                sel.select(20);
                for (SelectionKey k : sel.selectedKeys()) {
                    if (k.attachment() instanceof Pending p && k.isValid()) {
                        hello(k, p, pending, channels);
                    }
                }
                sel.selectedKeys().clear();
                acceptPending(sel, pending);
                dropStale(pending);
            }
            sel.selectNow(); // deregister the accepted channels before they go to the pipes
            return channels;
        } catch (IOException e) {
            closeAll(java.util.Arrays.asList(channels));
            throw new BackendConnection.Failed("the process channel failed: " + e);
        } catch (RuntimeException | InterruptedException e) {
            closeAll(java.util.Arrays.asList(channels));
            throw e;
        } finally {
            for (Pending p : pending) {
                p.pipe.close();
            }
            close();
        }
    }

    private void acceptPending(Selector sel, List<Pending> pending) throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            try {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Pending p = new Pending(c, helloPipe(c, keys));
                c.register(sel, SelectionKey.OP_READ, p);
                pending.add(p);
            } catch (IOException e) {
                logger.warn("start: a connection to {} was refused: {}", bound, e.toString());
                c.close();
            }
        }
    }

    /**
     * A pipe on an accepted connection, to read its hello on: over TLS (this end
     * the server, needing the backend's certificate of the same cluster) when the
     * cluster has keys. The handshake waits at most {@link #HANDSHAKE_MILLIS}.
     */
    private static MessagePipe helloPipe(SocketChannel c, javax.net.ssl.SSLContext keys) throws IOException {
        MessagePipe p = new MessagePipe("hello from " + c.getRemoteAddress());
        p.maxMessageBytes(WireProtocol.TOKEN_BYTES + 1); // a claim of more never completes: nothing big is buffered
        if (keys != null) {
            p.connect(c, jvalkka.internal.NodeKeys.serverEngine(keys), HANDSHAKE_MILLIS);
        } else {
            p.connect(c);
        }
        return p;
    }

    /** How long the TLS handshake of one accepted connection may take (the accepting loop waits for it). */
    static final long HANDSHAKE_MILLIS = 5_000;

    /** Reads {@code p}'s hello if it is in; a right one takes its pipe's place in {@code channels}. */
    private void hello(SelectionKey k, Pending p, List<Pending> pending, ByteLink[] channels) {
        WireCodec.Frame f;
        try {
            f = p.pipe.recvFrame(1);
        } catch (PipeClosedException | IOException e) { // a stranger's connection must not fail the start
            f = null;
            p.reads = HELLO_READS;
        }
        if (f == null) {
            if (++p.reads >= HELLO_READS) {
                refuse(k, p, pending, "it sent no hello");
            }
            return;
        }
        ByteBuffer b = f.payload() == null ? ByteBuffer.allocate(0) : ByteBuffer.wrap(f.payload());
        byte[] got = new byte[WireProtocol.TOKEN_BYTES];
        if (f.kind() != WireProtocol.HELLO || b.remaining() != got.length + 1) {
            refuse(k, p, pending, "its first frame was not a hello");
            return;
        }
        b.get(got);
        int which = b.get();
        if (!MessageDigest.isEqual(got, token) || which < 0 || which > 1 || channels[which] != null) {
            refuse(k, p, pending, "a wrong token");
            return;
        }
        k.cancel();
        pending.remove(p);
        channels[which] = p.pipe.handOver(); // the backend sends nothing more before the boot frame
    }

    private void refuse(SelectionKey k, Pending p, List<Pending> pending, String why) {
        logger.warn("start: a connection to {} from {} was refused: {}", bound, remote(p.channel), why);
        k.cancel();
        pending.remove(p);
        p.pipe.close();
    }

    private void dropStale(List<Pending> pending) {
        long now = System.nanoTime();
        for (Pending p : List.copyOf(pending)) {
            if (now - p.since > TimeUnit.MILLISECONDS.toNanos(HELLO_MILLIS)) {
                logger.warn("start: a connection to {} from {} was refused: no hello within {} ms", bound,
                        remote(p.channel), HELLO_MILLIS);
                pending.remove(p);
                p.pipe.close();
            }
        }
    }

    private static String remote(SocketChannel c) {
        try {
            return String.valueOf(c.getRemoteAddress());
        } catch (IOException e) {
            return "?";
        }
    }

    /** How a remote backend ended, naming its host, for messages: "was lost: node n2 unreachable". */
    static String ended(Process process) {
        String reason = process instanceof RemoteBackend rb ? rb.exitReason() : null;
        if (reason != null) {
            return "was lost (" + reason + ")";
        }
        return process.isAlive() ? "is running" : Lifecycle.describeStatus(process.exitValue());
    }

    private static void closeAll(List<ByteLink> links) {
        for (ByteLink l : links) {
            if (l != null) {
                try {
                    l.release("a refused connection");
                } catch (RuntimeException ignored) {
                    // it was never handed out
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // nothing was accepted from it
        }
    }
}
