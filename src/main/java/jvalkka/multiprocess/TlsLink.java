package jvalkka.multiprocess;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * A {@link ByteLink} through TLS ({@link SSLEngine}) on the same non-blocking
 * socket: what the pipe writes is encrypted into records, what arrives is
 * decrypted, and the pipe above sees the same bytes as over a plain link. The
 * socket stays selectable; decrypted bytes and whole records read ahead are
 * reported by {@link #hasBufferedInput()}, which the pipe drains after each read,
 * since no selector sees them.
 *
 * <p>Post-handshake messages: a session ticket is taken in by {@link #read} and
 * gives no bytes; a key update the peer asks for makes the engine want to write,
 * which the receiving side passes on ({@code wantsToWrite}: the pipe's flusher
 * writes it under the send lock). The peer's {@code close_notify}, or a bare end
 * of the TCP stream, is the end of the stream; {@link #closeOutbound()} sends ours.
 *
 * <p>Threads: {@link #read} under the pipe's receive lock, {@link #write} and
 * {@link #closeOutbound()} under its send lock; the engine serialises its own
 * wrap and unwrap.
 */
final class TlsLink extends ByteLink {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    /** TLS record content types: change_cipher_spec 20 .. application_data 23 (24: heartbeat, refused by the engine). */
    private static final int FIRST_CONTENT_TYPE = 20;
    private static final int LAST_CONTENT_TYPE = 24;
    private static final int RECORD_HEADER = 5;

    private final String label;
    private final SSLEngine engine;
    private final Runnable wantsToWrite;
    private final int packetSize;
    /** Room {@code dst} needs for a record to be decrypted straight into it. */
    private int appSize;
    // receiving (under the receive lock): both in read mode, bytes from position to limit
    private ByteBuffer netIn;
    private ByteBuffer appIn;
    private boolean inboundDone;
    // sending (under the send lock): in read mode, encrypted bytes not on the socket yet
    private final ByteBuffer netOut;
    /** The engine has bytes of its own to send (a key update, an answer to one). */
    private volatile boolean wrapWanted;
    /** Records wrapped and the application bytes they carried (under the send lock; read by tests). */
    private long recordsOut;
    private long bytesOut;

    /**
     * Which waits on a TLS link spin first, as plain TCP ones do ({@code -Djvalkka.remoteSpinTls}, in
     * both JVMs): {@code false} (the default), none; {@code select}, a wait in {@code safeSelect} on its
     * pipe alone right after this pipe wrote (a frontend's wait for the reply to its message, a
     * backend's {@code readPipes__} after it answered one); {@code true}, every wait, as over plain
     * TCP. Measured (scripts/bench cluster, 4+4+3 interleaved pairs against 04108f2, ends on two
     * cores): {@code select} made the round trip 14-19 us against 41-54 us parked, at 25-43 us of CPU
     * per round trip against 50-83 (waking a parked thread on another core of the VM costs more CPU
     * than the spin), and the one-way rate higher in 9 of 13 pairs; but the synchronous proxy calls/s
     * (unpinned, a path that does not spin) lower in 10 of 11 pairs, median 23k against 30k/s, so it
     * is not the default. {@code true} also lowered the proxy calls/s: a backend spun for its next call.
     */
    static final String SPIN = System.getProperty("jvalkka.remoteSpinTls", "false");
    /** The mode links made from now on take: {@link #SPIN}, changed only by tests. */
    static volatile String spin = SPIN;

    private TlsLink(String label, SocketChannel ch, SSLEngine engine, Runnable wantsToWrite) {
        super(ch, spin.equals("true"), spin.equals("select"));
        this.label = label;
        this.engine = engine;
        this.wantsToWrite = wantsToWrite;
        this.packetSize = engine.getSession().getPacketBufferSize();
        this.appSize = engine.getSession().getApplicationBufferSize();
        // the records' buffers are direct: the socket reads and writes them as they are (a heap buffer is copied
        // through a temporary direct one on each call), and the engine encrypts and decrypts in them in place
        // (measured with TlsEngineCost: no dearer than heap buffers for AES-GCM). 4 records each, ~130 KiB a link
        this.netIn = ByteBuffer.allocateDirect(4 * packetSize).flip();
        this.appIn = ByteBuffer.allocate(appSize).flip();
        this.netOut = ByteBuffer.allocateDirect(4 * packetSize).flip();
    }

    /**
     * Runs the handshake of {@code engine} on {@code ch} (non-blocking) for at most
     * {@code timeoutMillis}; on any failure {@code ch} is closed.
     *
     * @param wantsToWrite called (by the receiving thread) when the engine has bytes of its own to send
     * @throws SSLHandshakeException when the peer or this end refused the handshake
     * @throws SocketTimeoutException when it did not finish in time
     */
    static TlsLink handshake(String label, SocketChannel ch, SSLEngine engine, long timeoutMillis,
            Runnable wantsToWrite) throws IOException {
        TlsLink l = null;
        try {
            l = new TlsLink(label, ch, engine, wantsToWrite);
            l.runHandshake(System.nanoTime() + timeoutMillis * 1_000_000, timeoutMillis);
            return l;
        } catch (IOException | RuntimeException e) {
            if (l != null) {
                l.sendAlertQuietly();
            }
            ch.close();
            throw e;
        }
    }

    private void runHandshake(long deadline, long timeoutMillis) throws IOException {
        engine.beginHandshake();
        boolean firstRead = true;
        try (Selector s = Selector.open()) {
            SelectionKey key = ch.register(s, 0);
            while (true) {
                if (System.nanoTime() - deadline > 0) { // also bounds an engine that makes no progress
                    throw new SocketTimeoutException(label + ": the TLS handshake did not finish within "
                            + timeoutMillis + " ms");
                }
                HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    runTasks();
                } else if (hs == HandshakeStatus.NEED_WRAP) {
                    wrapWanted = true;
                    wrapInto(EMPTY);
                } else if (netOut.hasRemaining()) {
                    // a flight is sent whole before waiting for the answer, or before the handshake ends
                    if (ch.write(netOut) == 0) {
                        await(s, key, SelectionKey.OP_WRITE, deadline, timeoutMillis);
                    }
                } else if (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                    if (!unwrapHandshake()) {
                        int n = readNet();
                        if (n < 0) {
                            throw new SSLHandshakeException(label + ": the peer closed the connection during the TLS "
                                    + "handshake (it refused this end's certificate, or does not speak TLS)");
                        }
                        if (n == 0) {
                            await(s, key, SelectionKey.OP_READ, deadline, timeoutMillis);
                        } else if (firstRead) {
                            firstRead = false;
                            refuseNonTls();
                        }
                    }
                } else {
                    return; // FINISHED or NOT_HANDSHAKING, the last flight written
                }
            }
        } catch (SSLException e) {
            if (e instanceof SSLHandshakeException && String.valueOf(e.getMessage()).startsWith(label + ": ")) {
                throw e;
            }
            throw handshakeFailed(e);
        }
    }

    private SSLHandshakeException handshakeFailed(SSLException e) {
        SSLHandshakeException h = new SSLHandshakeException(label + ": TLS handshake failed: " + e.getMessage());
        h.initCause(e);
        return h;
    }

    /** The first bytes from the peer are not a TLS record: say so, instead of a parser's complaint. */
    private void refuseNonTls() throws SSLHandshakeException {
        int type = netIn.get(netIn.position());
        if (type != 22 && type != 21) { // handshake, alert
            throw new SSLHandshakeException(label + ": the peer does not speak TLS (a plain TCP connection to a TLS "
                    + "endpoint?): refused");
        }
    }

    /** During the handshake: unwraps one record if a whole one is here; false when the socket must bring more. */
    private boolean unwrapHandshake() throws IOException {
        if (!wholeRecord()) {
            return false;
        }
        appIn.compact();
        SSLEngineResult r;
        try {
            r = engine.unwrap(netIn, appIn);
        } finally {
            appIn.flip();
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLHandshakeException(label + ": the peer closed the TLS session during the handshake");
        }
        return r.getStatus() != SSLEngineResult.Status.BUFFER_UNDERFLOW;
    }

    private int readNet() throws IOException {
        netIn.compact();
        try {
            return ch.read(netIn);
        } finally {
            netIn.flip();
        }
    }

    private void await(Selector s, SelectionKey key, int op, long deadline, long timeoutMillis) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException(label + ": the TLS handshake did not finish within " + timeoutMillis + " ms");
        }
        key.interestOps(op);
        s.select(left);
        s.selectedKeys().clear();
    }

    /** After a failed handshake: the engine's alert goes out if the socket takes it now. */
    private void sendAlertQuietly() {
        try {
            engine.closeOutbound();
            wrapWanted = true;
            netOut.clear().flip();
            wrapInto(EMPTY);
            ch.write(netOut);
        } catch (IOException | RuntimeException e) {
            // the handshake's own error is the one that counts
        }
    }

    /** Whether a whole record (or bytes that cannot start one: the engine refuses them) starts at netIn's position. */
    private boolean wholeRecord() {
        int avail = netIn.remaining();
        if (avail < RECORD_HEADER) {
            return false;
        }
        int at = netIn.position();
        int type = netIn.get(at);
        int len = netIn.getShort(at + 3) & 0xFFFF;
        return type < FIRST_CONTENT_TYPE || type > LAST_CONTENT_TYPE || avail >= RECORD_HEADER + len
                || RECORD_HEADER + len > netIn.capacity();
    }

    private void runTasks() {
        Runnable t;
        while ((t = engine.getDelegatedTask()) != null) {
            t.run();
        }
    }

    // ------------------------------------------------------------ receiving

    @Override
    boolean hasBufferedInput() {
        return appIn.hasRemaining() || (!inboundDone && wholeRecord());
    }

    @Override
    int read(ByteBuffer dst) throws IOException {
        int start = dst.position();
        give(dst);
        boolean readSocket = false;
        while (dst.hasRemaining() && !inboundDone) {
            if (!wholeRecord()) {
                if (dst.position() > start || readSocket) {
                    break; // what the socket has now is the selector's to report
                }
                readSocket = true;
                int n = readNet();
                if (n < 0) {
                    endOfInput();
                }
                if (n <= 0) {
                    break;
                }
                continue;
            }
            if (!unwrap(dst)) {
                break;
            }
            give(dst);
        }
        int given = dst.position() - start;
        return given == 0 && inboundDone && !appIn.hasRemaining() ? -1 : given;
    }

    /**
     * Unwraps one record into {@code dst} (when it has room for a whole one) or
     * into {@code appIn}.
     * @return false when the record is not whole yet (the socket must bring more)
     */
    private boolean unwrap(ByteBuffer dst) throws IOException {
        boolean direct = dst.remaining() >= appSize && !appIn.hasRemaining();
        SSLEngineResult r;
        if (direct) {
            r = engine.unwrap(netIn, dst);
        } else {
            appIn.compact();
            try {
                r = engine.unwrap(netIn, appIn);
            } finally {
                appIn.flip();
            }
        }
        switch (r.getStatus()) {
            case CLOSED:
                inboundDone = true; // the peer's close_notify
                break;
            case BUFFER_UNDERFLOW:
                return false;
            case BUFFER_OVERFLOW:
                if (direct) {
                    appSize = dst.remaining() + 1; // the record needs more: it goes through appIn
                } else {
                    appIn = ByteBuffer.allocate(Math.max(appIn.capacity() * 2,
                            engine.getSession().getApplicationBufferSize())).put(appIn).flip();
                }
                break;
            default:
                break;
        }
        HandshakeStatus hs = r.getHandshakeStatus();
        afterEngineCall(hs);
        // an engine that took nothing and has no task to run will not take more now
        return r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW || r.bytesConsumed() > 0
                || r.bytesProduced() > 0 || hs == HandshakeStatus.NEED_TASK;
    }

    /** Copies decrypted bytes held in {@code appIn} into {@code dst}. */
    private int give(ByteBuffer dst) {
        int n = Math.min(appIn.remaining(), dst.remaining());
        if (n > 0) {
            int lim = appIn.limit();
            appIn.limit(appIn.position() + n);
            dst.put(appIn);
            appIn.limit(lim);
        }
        return n;
    }

    /** The TCP stream ended: with or without the peer's close_notify, nothing more comes. */
    private void endOfInput() {
        inboundDone = true;
        try {
            engine.closeInbound();
        } catch (SSLException e) {
            // no close_notify before the end: the frames are self-delimiting, a cut one is reported as such
        }
    }

    private void afterEngineCall(HandshakeStatus hs) {
        if (hs == HandshakeStatus.NEED_TASK) {
            runTasks();
            hs = engine.getHandshakeStatus();
        }
        if (hs == HandshakeStatus.NEED_WRAP && !wrapWanted) {
            wrapWanted = true;
            wantsToWrite.run();
        }
    }

    // ------------------------------------------------------------ sending

    @Override
    boolean hasPendingOutput() {
        return netOut.hasRemaining() || wrapWanted;
    }

    @Override
    int write(ByteBuffer src) throws IOException {
        int put = 0;
        while (true) {
            if (!netOut.hasRemaining()) {
                wrapInto(src);
                if (!netOut.hasRemaining()) {
                    return put;
                }
            }
            int n = ch.write(netOut);
            put += n;
            if (netOut.hasRemaining()) {
                return put; // the socket is full
            }
        }
    }

    /** Under the send lock, {@code netOut} empty: encrypts from {@code src} (and what the engine must send) into it. */
    private void wrapInto(ByteBuffer src) throws IOException {
        netOut.compact();
        try {
            while (netOut.remaining() >= packetSize && (src.hasRemaining() || wrapWanted)) {
                wrapWanted = false;
                SSLEngineResult r = engine.wrap(src, netOut);
                if (r.bytesConsumed() > 0) {
                    recordsOut++;
                    bytesOut += r.bytesConsumed();
                }
                if (r.getStatus() == SSLEngineResult.Status.CLOSED && src.hasRemaining()) {
                    throw new ClosedChannelException();
                }
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasks();
                }
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                    wrapWanted = true;
                }
                if (r.bytesProduced() == 0) {
                    break;
                }
            }
        } finally {
            netOut.flip();
        }
    }

    @Override
    void closeOutbound() {
        try {
            engine.closeOutbound();
            if (!netOut.hasRemaining()) {
                wrapWanted = true;
                wrapInto(EMPTY);
            }
            ch.write(netOut);
        } catch (IOException | RuntimeException e) {
            // the peer sees the end of the stream without close_notify: the same end for it
        }
    }

    /** Records of application bytes wrapped so far (for the tests). */
    long recordsOut() {
        return recordsOut;
    }

    /** Application bytes wrapped so far (for the tests). */
    long bytesOut() {
        return bytesOut;
    }

    /** The negotiated cipher suite. */
    String cipherSuite() {
        return engine.getSession().getCipherSuite();
    }

    /** Test hook: asks the peer for a key update (TLS 1.3), sent with the next write. */
    void requestKeyUpdate() throws SSLException {
        engine.beginHandshake();
        wrapWanted = true;
        wantsToWrite.run();
    }
}
