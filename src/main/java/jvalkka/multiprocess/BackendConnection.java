package jvalkka.multiprocess;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;

import jvalkka.log.LogConfig;

/**
 * The frontend's side of connecting to one backend: the listening socket in the
 * private run directory, the boot line the backend reads on its standard input,
 * accepting its two connections (each one's peer checked by {@link PeerCheck},
 * then its one-time token and pipe number read), the boot frame, and the wait
 * for the backend's ready frame.
 *
 * <p>Failures are thrown as {@link Failed}, which the caller turns into its
 * start failure (with the backend's stderr and exit status).
 */
final class BackendConnection implements BackendListener {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong SOCKET_SEQ = new AtomicLong();
    private static final int TOKEN_BYTES = WireProtocol.TOKEN_BYTES;

    private final Logger logger;
    private final byte[] token = new byte[TOKEN_BYTES];
    private Path socketPath;
    private ServerSocketChannel server;

    BackendConnection(Logger logger) {
        this.logger = logger;
    }

    /** Why a start failed, and (for a failed {@code preRun__}) the backend's exception. */
    static final class Failed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Throwable backendCause;
        /** Whether the message already gives the backend's exit status. */
        final boolean statusTold;

        Failed(String what) {
            this(what, null, false);
        }

        Failed(String what, Throwable backendCause) {
            this(what, backendCause, false);
        }

        Failed(String what, Throwable backendCause, boolean statusTold) {
            super(what, null, false, false);
            this.backendCause = backendCause;
            this.statusTold = statusTold;
        }

        /** A failure whose message gives the exit status (the start error does not add it again). */
        static Failed statusTold(String what) {
            return new Failed(what, null, true);
        }
    }

    /** Opens the listening socket, never more open than 0600 (see {@link PeerCheck#bindListener}). */
    void open() throws IOException {
        RANDOM.nextBytes(token);
        try {
            socketPath = RunDir.sockets().resolve(ProcessHandle.current().pid() + "-" + SOCKET_SEQ.incrementAndGet());
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            PeerCheck.bindListener(server, socketPath);
            server.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Where the listening socket is (null before {@link #open}). */
    Path socketPath() {
        return socketPath;
    }

    /**
     * The line the backend reads on its standard input: {@code <socket path> <token hex> <frontend pid>}.
     * A backend on another host gets {@code tcp:<host>:<port> <token hex> <frontend pid>} instead
     * (see {@link RemoteConnection#bootLine}).
     */
    @Override
    public byte[] bootLine() {
        String boot = socketPath + " " + HexFormat.of().formatHex(token) + " " + ProcessHandle.current().pid() + "\n";
        return boot.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Accepts the backend's two connections (main, then internal, in either
     * order) until {@code deadlineNanos}; every other connection is refused and
     * closed. Closes the listening socket and removes its names, whatever
     * happens.
     */
    @Override
    public void acceptInto(MessagePipe main, MessagePipe internal, Process process, long deadlineNanos,
            long timeoutMillis) throws InterruptedException, IOException {
        SocketChannel[] channels = accept(process, deadlineNanos, timeoutMillis);
        main.connect(channels[0]);
        internal.connect(channels[1]);
    }

    SocketChannel[] accept(Process process, long deadlineNanos, long timeoutMillis) throws InterruptedException {
        SocketChannel[] channels = new SocketChannel[2];
        try (Selector sel = Selector.open()) {
            server.register(sel, SelectionKey.OP_ACCEPT);
            // its death wakes the wait (a closed selector ignores the wakeup): no polling while a JVM boots, which
            // cost the frontend CPU for every backend waited for (several at once in startAll)
            process.onExit().thenRun(sel::wakeup);
            List<Hello> hellos = new ArrayList<>();
            while (channels[0] == null || channels[1] == null) {
                if (!process.isAlive()) {
                    throw Failed.statusTold("the backend JVM exited with exit status " + process.waitFor()
                            + " before it connected");
                }
                long left = deadlineNanos - System.nanoTime();
                if (left < 0) {
                    throw new Failed("the backend JVM did not connect within " + timeoutMillis + " ms");
                }
                // short rounds only while a connection waits for its twin (CHECK_WAIT_ROUNDS)
                sel.select(unchecked.isEmpty() && hellos.isEmpty() ? Math.max(1, Math.min(left / 1_000_000 + 1, 1000))
                        : 20);
                sel.selectedKeys().clear();
                acceptPending(sel, process.pid(), hellos);
                readHellos(sel, hellos, channels);
            }
            sel.selectNow(); // deregister the accepted channels before they go to the pipes
            return channels;
        } catch (IOException e) {
            closeAll(channels);
            throw new Failed("the process channel failed: " + e);
        } catch (RuntimeException | InterruptedException e) {
            closeAll(channels);
            throw e;
        } finally {
            closeAll(unchecked.toArray(new SocketChannel[0]));
            unchecked.clear();
            close();
        }
    }

    /** An accepted connection whose peer passed the check, while its token and pipe number come in. */
    private record Hello(SocketChannel channel, ByteBuffer bytes) {
    }

    /** Rounds an accepted connection waits for the backend's other one, to be checked with it. */
    private static final int CHECK_WAIT_ROUNDS = 2;
    private final List<SocketChannel> unchecked = new ArrayList<>();
    private int uncheckedRounds;

    /**
     * Accepts what is pending. The backend's two connections are checked
     * together, once both are in (or after {@link #CHECK_WAIT_ROUNDS} rounds):
     * one reading of the tables serves both.
     */
    private void acceptPending(Selector sel, long pid, List<Hello> hellos) throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            unchecked.add(c);
        }
        if (unchecked.isEmpty() || (unchecked.size() < 2 && ++uncheckedRounds < CHECK_WAIT_ROUNDS)) {
            return;
        }
        PeerCheck.UnixTable table = new PeerCheck.UnixTable();
        try {
            List<String> refused = PeerCheck.whyNotFrom(unchecked, socketPath, pid, table);
            for (int i = 0; i < unchecked.size(); i++) {
                SocketChannel u = unchecked.get(i);
                if (refused.get(i) != null) {
                    logger.warn("start: a connection on {} was refused: {}", socketPath, refused.get(i));
                    u.close();
                    continue;
                }
                u.configureBlocking(false);
                u.register(sel, SelectionKey.OP_READ);
                hellos.add(new Hello(u, ByteBuffer.allocate(TOKEN_BYTES + 1)));
            }
        } finally {
            unchecked.clear();
            uncheckedRounds = 0;
            table.release(); // its buffer serves the next check's table
        }
    }

    private void readHellos(Selector sel, List<Hello> hellos, SocketChannel[] channels) throws IOException {
        for (Hello h : List.copyOf(hellos)) {
            SocketChannel u = h.channel();
            ByteBuffer b = h.bytes();
            if (u.read(b) < 0) {
                hellos.remove(h);
                u.close();
                continue;
            }
            if (b.hasRemaining()) {
                continue;
            }
            hellos.remove(h);
            byte[] got = new byte[TOKEN_BYTES];
            b.flip();
            b.get(got);
            int which = b.get();
            if (!MessageDigest.isEqual(got, token) || which < 0 || which > 1 || channels[which] != null) {
                logger.warn("start: a connection with a wrong handshake on {} was refused", socketPath);
                u.close();
                continue;
            }
            u.keyFor(sel).cancel();
            channels[which] = u;
        }
    }

    private static void closeAll(SocketChannel[] channels) {
        for (SocketChannel c : channels) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // it was never handed out
                }
            }
        }
    }

    /** What the boot frame carries: the logging configuration, then the process object. */
    static byte[] bootPayload(byte[] processBytes) throws IOException {
        ByteArrayOutputStream boot = new ByteArrayOutputStream(processBytes.length + 256);
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(boot)) {
            out.writeUTF(LogConfig.snapshot().encode());
            out.writeInt(processBytes.length);
            out.write(processBytes);
        }
        return boot.toByteArray();
    }

    /**
     * Sends the boot frame on {@code main} and waits until {@code deadlineNanos}
     * for the backend's ready frame (its restored process object).
     */
    static void boot(MessagePipe main, byte[] processBytes, Process process, long deadlineNanos, long timeoutMillis)
            throws IOException, InterruptedException {
        main.sendRaw(WireProtocol.BOOT, bootPayload(processBytes));
        while (true) {
            long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new Failed("the backend JVM was not ready within " + timeoutMillis + " ms");
            }
            WireCodec.Frame f;
            try {
                f = main.recvFrame(Math.min(left, 250)); // its death closes the channel: this is a fallback
            } catch (PipeClosedException e) {
                process.waitFor(2, TimeUnit.SECONDS);
                throw new Failed("the backend JVM closed its channel"
                        + (process.isAlive() ? "" : " and exited with status " + process.exitValue()), null,
                        !process.isAlive());
            }
            if (f == null) {
                if (!process.isAlive()) {
                    throw Failed.statusTold("the backend JVM exited with exit status " + process.exitValue()
                            + " before it was ready");
                }
                continue;
            }
            if (f.kind() == WireProtocol.READY) {
                return;
            }
            if (f.kind() == WireProtocol.FAIL) {
                throw new Failed("the backend could not restore the process object:\n"
                        + new String(f.payload(), StandardCharsets.UTF_8));
            }
            throw new Failed("unexpected frame kind " + f.kind() + " during the handshake");
        }
    }

    /** Closes the listening socket and removes its names; the accepted connections stay. */
    @Override
    public void close() {
        try {
            if (server != null) {
                server.close();
            }
            if (socketPath != null) {
                PeerCheck.deleteNames(socketPath);
            }
        } catch (IOException ignored) {
            // a leftover socket file in our private directory is harmless
        }
    }
}
