package jvalkka.multiprocess;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * How a {@link MessagePipe}'s bytes move on its socket: reading and writing
 * without waiting, and waiting for the socket to become readable or writable.
 * The pipe's two sides call it under their own locks: {@link #read} and
 * {@link #awaitReadable} under the receive lock, {@link #write} and
 * {@link #awaitWritable} under the send lock; {@link #close()} from any thread.
 *
 * <p>{@link Plain} passes the bytes straight to the socket; {@link TlsLink}
 * encrypts them. Both keep the socket non-blocking, so the pipe stays selectable
 * beside other channels. A link may hold bytes it read from the socket that
 * {@link #read} has not given yet ({@link #hasBufferedInput()}: no selector sees
 * them), and bytes it accepted that are not on the socket yet
 * ({@link #hasPendingOutput()}).
 */
abstract class ByteLink {
    final SocketChannel ch;
    private volatile boolean closed;
    /** Waits for readability; made and used under the receive lock. */
    private volatile Selector readSelector;
    /** Waits for writability; made and used under the send lock. */
    private volatile Selector writeSelector;
    private SelectionKey writeKey;

    /**
     * Whether a wait for readability spins first, briefly, while an answer is likely
     * (see {@code PipeReceiver}): a plain TCP link, whose peer is on another host. A local
     * pipe (a Unix-domain socket) never spins here, nor does a TLS link unless
     * {@code -Djvalkka.remoteSpinTls=true}.
     */
    final boolean spins;

    /**
     * Whether a wait in {@code safeSelect} on this link's pipe alone spins first (see
     * {@code PipeReceiver.spinForMessage}): every link that {@link #spins}, and a TLS link with
     * {@code -Djvalkka.remoteSpinTls=select} (see {@link TlsLink#SPIN}), which then spins only
     * right after its pipe wrote (a request-reply on this pipe).
     */
    final boolean spinsInSelect;

    /** Whether this is a local pipe (a Unix-domain socket), whose waits spin only where its pipe asks. */
    final boolean local;

    ByteLink(SocketChannel ch) {
        this(ch, true, true);
    }

    /**
     * {@code maySpin}: false for a link whose waits never spin on their own; {@code maySpinInSelect}:
     * whether its waits in {@code safeSelect} on its pipe alone spin (TCP links only, either way).
     */
    ByteLink(SocketChannel ch, boolean maySpin, boolean maySpinInSelect) {
        this.ch = ch;
        boolean tcp = isTcp(ch);
        this.spins = maySpin && tcp;
        this.spinsInSelect = (maySpin || maySpinInSelect) && tcp;
        this.local = !tcp;
    }

    private static boolean isTcp(SocketChannel ch) {
        try {
            return ch.getLocalAddress() instanceof java.net.InetSocketAddress;
        } catch (IOException | RuntimeException e) {
            return false; // closed already: nothing to wait for
        }
    }

    /**
     * Under the receive lock: reads what the socket has into {@code dst} (which
     * has room) without waiting.
     *
     * @return the bytes read, 0 when none came, -1 at the end of the stream
     */
    abstract int read(ByteBuffer dst) throws IOException;

    /**
     * Under the send lock: writes from {@code src} (and whatever this link
     * holds) as far as the socket takes it now, without waiting.
     *
     * @return the bytes the socket took: 0 when it is full
     */
    abstract int write(ByteBuffer src) throws IOException;

    /** Whether {@link #read} would give bytes without the socket bringing more (a selector cannot see them). */
    boolean hasBufferedInput() {
        return false;
    }

    /** Whether bytes {@link #write} accepted (or the link must send itself) are not on the socket yet. */
    boolean hasPendingOutput() {
        return false;
    }

    /** Whether the socket is still open (not released, not closed). */
    final boolean isOpen() {
        return ch.isOpen();
    }

    /** Ends a wait in {@link #awaitReadable} now (or the next one, at once); any thread. */
    final void wakeReader() {
        Selector s = readSelector;
        if (s != null) {
            s.wakeup();
        }
    }

    /** Under the receive lock: waits at most {@code millis} (at least 1) for the socket to become readable. */
    final void awaitReadable(long millis) throws IOException {
        Selector s = readSelector;
        if (s == null) {
            s = Selector.open();
            readSelector = s;
            if (closed) {
                s.close(); // close() may have run before it could see this selector
                throw new ClosedChannelException();
            }
            ch.register(s, SelectionKey.OP_READ);
        }
        s.select(millis);
        s.selectedKeys().clear();
    }

    /**
     * Under the send lock, the socket full: waits at most {@code millis} (at least
     * 1) until it takes more, or, with {@code orReadable}, until bytes arrive.
     */
    final void awaitWritable(boolean orReadable, long millis) throws IOException {
        Selector s = writeSelector;
        if (s == null) {
            s = Selector.open();
            writeSelector = s;
            if (closed) {
                s.close(); // close() may have run before it could see this selector
                throw new ClosedChannelException();
            }
            writeKey = ch.register(s, SelectionKey.OP_WRITE);
        }
        int ops = orReadable ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_WRITE;
        if (writeKey.interestOps() != ops) {
            writeKey.interestOps(ops);
        }
        s.select(millis);
        s.selectedKeys().clear();
        if (!ch.isOpen()) {
            throw new ClosedChannelException();
        }
    }

    /**
     * Closes the socket and the selectors, which gives their descriptors back and
     * wakes a thread waiting in them. Idempotent; waits for nobody.
     *
     * @throws UncheckedIOException naming {@code label} when closing failed
     */
    final void release(String label) {
        closed = true;
        IOException failed = null;
        for (Closeable c : new Closeable[] {ch, readSelector, writeSelector}) {
            try {
                if (c != null) {
                    c.close(); // a selector wakes the thread waiting in it
                }
            } catch (IOException e) {
                failed = e;
            }
        }
        if (failed != null) {
            throw new UncheckedIOException(label + ": closing failed", failed);
        }
    }

    /**
     * Under the send lock, this end about to close: tells the peer so, as far as
     * the socket takes it now (TLS: {@code close_notify}); never waits.
     */
    void closeOutbound() {
    }

    /** The bytes straight on the socket: the link of a local process's pipes and of plain TCP. */
    static final class Plain extends ByteLink {
        Plain(SocketChannel ch) {
            super(ch);
        }

        @Override
        int read(ByteBuffer dst) throws IOException {
            return ch.read(dst);
        }

        @Override
        int write(ByteBuffer src) throws IOException {
            return ch.write(src);
        }
    }
}
