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
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.slf4j.Logger;

import jvalkka.internal.NodeKeys;
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
 *   tcp:&lt;host&gt;:&lt;port&gt; &lt;token&gt; &lt;frontend pid&gt;[ tls]\n
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
 * <h2>Mutual TLS</h2>
 *
 * <p>When the cluster has keys ({@link RemoteLauncher#keysDir()} not null) the
 * boot line ends with the word {@code tls}, and each accepted connection runs
 * the TLS 1.3 server handshake, the client's certificate required
 * ({@link NodeKeys#serverEngine}), before a byte of hello is read; the backend
 * runs the client handshake before it sends one. TLS proves "a member of this
 * cluster" (its certificate was signed by the cluster's authority), the token
 * "the backend of this launch": both are needed. The backend finds its node's
 * keys directory in the environment variable {@value #KEYS_ENV}, which the node
 * agent sets ({@link NodeLaunch}); the password is read from the directory's file
 * with {@link NodeKeys#password}'s checks, never from a command line. A plain
 * connection to a TLS frontend is refused (it does not speak TLS), and so is a
 * TLS client to a plain frontend (its first bytes are no hello frame); the start
 * then fails with a message that names the refusal. Plain TCP only when the
 * cluster runs plain ({@code --insecure-plain-tcp}). One {@link SSLContext} per
 * keys directory per JVM ({@link #tlsContext}).
 */
final class RemoteConnection implements BackendListener {
    /** The prefix of a boot line whose backend connects over TCP. */
    static final String SCHEME = "tcp:";
    /** The boot line's last word when the data path runs over mutual TLS. */
    static final String TLS_WORD = "tls";
    /** The environment variable in which a node gives its backends its keys directory (a path, no secret). */
    static final String KEYS_ENV = "JVALKKA_KEYS_DIR";
    /** The TLS contexts of this JVM, one per keys directory: loading the keystores takes tens of ms. */
    private static final Map<Path, SSLContext> CONTEXTS = new ConcurrentHashMap<>();
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
    private String host = "another host";
    /** The cluster's TLS context; null when the cluster runs plain TCP. */
    private SSLContext tls;
    /** Why the last connection was refused, for the start's failure message; null while none was. */
    private String lastRefusal;

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
        Path keys = launcher.keysDir();
        if (keys != null) {
            try {
                c.tls = tlsContext(keys);
            } catch (IOException | RuntimeException e) {
                throw new BackendStartException(owner + " cannot start at " + placement + ": the cluster's TLS keys "
                        + "cannot be used: " + e.getMessage(), e);
            }
        }
        try {
            RANDOM.nextBytes(c.token);
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
            b = launcher.launch(new RemoteLauncher.Request(placement.nodeName(), placement.labels(), label,
                    remoteJvmArgs(jvmArgs),
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

    /**
     * The JVM options of a backend on another host: {@code jvmArgs}, except that
     * the default small JVM ({@link BackendOptions#SMALL_JVM}, at the head of the
     * list: the defaults, perhaps with options added) becomes {@link #REMOTE_JVM},
     * the same with the full (C2) compiler and its usual thresholds. A remote
     * backend's every message crosses TCP, over TLS AES-GCM, and only C2 compiles
     * AES and GHASH to the CPU's instructions: under C1 a 100-byte record took
     * 6-8 us to seal (0.5 us under C2), per message each way, and the codec and
     * dispatch run slower too; C2's few MB and some ms of boot CPU are small beside
     * a start across hosts. JSSE's and the AES-GCM provider's methods reach C2 at a
     * twentieth of the usual thresholds (a few hundred records instead of thousands:
     * until then each record costs several microseconds more in C1's profiling code,
     * at both ends of every round trip). Its young generation is 16 MiB instead of
     * the small JVM's ~2.7: the JDK's TLS engine leaves ~3 KiB of garbage per round
     * trip (a new cipher state per record), which made a young collection (0.3-1 ms)
     * every ~500 round trips; now one every few thousand. A list of one's own is
     * kept as it is.
     */
    static List<String> remoteJvmArgs(List<String> jvmArgs) {
        List<String> small = BackendOptions.SMALL_JVM;
        if (jvmArgs.size() < small.size() || !jvmArgs.subList(0, small.size()).equals(small)) {
            return jvmArgs;
        }
        List<String> args = new ArrayList<>(REMOTE_JVM);
        args.addAll(jvmArgs.subList(small.size(), jvmArgs.size()));
        return List.copyOf(args);
    }

    /**
     * The default JVM options of a backend on another host: {@link BackendOptions#SMALL_JVM}
     * without its C1-only compiler settings (see {@link #remoteJvmArgs}).
     */
    static final List<String> REMOTE_JVM = List.of("-XX:+UseSerialGC", "-Xms24m", "-Xmn16m", "-Xss512k",
            "-XX:-UsePerfData",
            "-XX:MaxMetaspaceSize=128m", "-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,sun.security.ssl.*::*,0.05",
            "-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.05",
            "-XX:CompileCommand=CompileThresholdScaling,javax.crypto.*::*,0.05");

    @Override
    public byte[] bootLine() {
        InetAddress a = bound.getAddress();
        String h = a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
        return (SCHEME + h + ":" + bound.getPort() + " " + HexFormat.of().formatHex(token) + " "
                + ProcessHandle.current().pid() + (tls != null ? " " + TLS_WORD : "") + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The TLS context for the keys in {@code keysDir}, made once per JVM and kept;
     * the first one made starts the JVM's TLS warm-up ({@link TlsWarmUp}).
     *
     * @throws IOException when the keys cannot be read (see {@link NodeKeys#context})
     */
    static SSLContext tlsContext(Path keysDir) throws IOException {
        Path key = keysDir.toAbsolutePath().normalize();
        SSLContext c = CONTEXTS.get(key);
        if (c == null) {
            c = NodeKeys.context(key); // two threads may both load it the first time: same keys, either one is kept
            SSLContext had = CONTEXTS.putIfAbsent(key, c);
            if (had != null) {
                c = had;
            }
            TlsWarmUp.startOnce(c); // the record path compiled before this JVM's remote pipes need it
        }
        return c;
    }

    /** The address in a boot line's first word ({@code tcp:host:port}). */
    static InetSocketAddress address(String word) {
        String hp = word.substring(SCHEME.length());
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
                            + " before it connected" + refusedMeanwhile());
                }
                if (System.nanoTime() > deadlineNanos) {
                    throw new BackendConnection.Failed("the backend on " + host + " did not connect to " + bound
                            + " within " + timeoutMillis + " ms" + refusedMeanwhile());
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while the backend on " + host + " connected");
                }
                sel.select(20);
                for (SelectionKey k : sel.selectedKeys()) {
                    if (k.attachment() instanceof Pending p && k.isValid()) {
                        hello(k, p, pending, channels, true);
                    }
                }
                sel.selectedKeys().clear();
                acceptPending(sel, pending, channels, deadlineNanos);
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

    private void acceptPending(Selector sel, List<Pending> pending, ByteLink[] channels, long deadlineNanos)
            throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            String from = remote(c);
            try {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Pending p = new Pending(c, helloPipe(c, from, deadlineNanos));
                SelectionKey k = c.register(sel, SelectionKey.OP_READ, p);
                pending.add(p);
                if (tls != null) {
                    // the handshake's last read may have brought the hello too: no selector would see it
                    hello(k, p, pending, channels, false);
                }
            } catch (javax.net.ssl.SSLException | java.net.SocketTimeoutException e) {
                refused(from, e.getMessage()); // the channel is closed
            } catch (IOException e) {
                logger.debug("start: an accepted connection failed at once: {}", e.toString());
                c.close();
            }
        }
    }

    /**
     * A pipe on an accepted connection, to read its hello on; with TLS, after the
     * server handshake (client certificate required), which takes at most
     * {@link #HELLO_MILLIS} and never past the start deadline.
     */
    private MessagePipe helloPipe(SocketChannel c, String from, long deadlineNanos) throws IOException {
        MessagePipe p = new MessagePipe("hello from " + from);
        p.maxMessageBytes(WireProtocol.TOKEN_BYTES + 1); // a claim of more never completes: nothing big is buffered
        if (tls == null) {
            p.connect(c);
        } else {
            long left = Math.max(1, Math.min(HELLO_MILLIS, (deadlineNanos - System.nanoTime()) / 1_000_000));
            p.connect(c, NodeKeys.serverEngine(tls), left);
        }
        return p;
    }

    /** Reads {@code p}'s hello if it is in; a right one takes its pipe's place in {@code channels}. */
    private void hello(SelectionKey k, Pending p, List<Pending> pending, ByteLink[] channels, boolean counted) {
        WireCodec.Frame f;
        try {
            f = p.pipe.recvFrame(1);
        } catch (PipeClosedException e) { // a stranger's connection must not fail the start
            refuse(k, p, pending, "it closed the connection before its hello");
            return;
        } catch (IOException e) {
            refuse(k, p, pending, "its first bytes were no hello frame (" + e.getMessage() + ")"
                    + (tls == null ? "; a TLS client? this frontend's cluster runs plain TCP (--insecure-plain-tcp)"
                            : ""));
            return;
        }
        if (f == null) {
            if (tls == null && p.pipe.receivedTlsRecord()) {
                refuse(k, p, pending, "it speaks TLS (a TLS client?), but this frontend's cluster runs plain TCP "
                        + "(--insecure-plain-tcp)");
                return;
            }
            if (counted && ++p.reads >= HELLO_READS) {
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
        refused(remote(p.channel), why);
        k.cancel();
        pending.remove(p);
        p.pipe.close();
    }

    private void dropStale(List<Pending> pending) {
        long now = System.nanoTime();
        for (Pending p : List.copyOf(pending)) {
            if (now - p.since > TimeUnit.MILLISECONDS.toNanos(HELLO_MILLIS)) {
                refused(remote(p.channel), "no hello within " + HELLO_MILLIS + " ms");
                pending.remove(p);
                p.pipe.close();
            }
        }
    }

    private void refused(String from, String why) {
        logger.warn("start: a connection to {} from {} was refused: {}", bound, from, why);
        lastRefusal = "a connection from " + from + " was refused: " + why;
    }

    private String refusedMeanwhile() {
        return lastRefusal == null ? "" : " (meanwhile " + lastRefusal + ")";
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
