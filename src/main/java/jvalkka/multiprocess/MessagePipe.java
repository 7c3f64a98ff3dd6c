package jvalkka.multiprocess;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * One end of a process channel: length-prefixed frames over a Unix-domain
 * socket, each carrying a {@link MessageObject} (or {@code null}, the stop
 * marker). {@link MessageProcess#getPipe()} gives the frontend's end; select on
 * it with {@link Select#safeSelect} (or register {@link #channel()} with your own
 * selector) and {@link #recv()} what arrived.
 *
 * <p>A frame is {@code FF FE 'J' 'V'}, a 4-byte length, a kind byte, then the
 * payload (UTF-8 JSON for messages, which never contains the byte {@code FF}).
 * That lets a reader that meets garbage or a truncated frame report it and find
 * the next frame instead of losing the channel.
 *
 * <p>Thread-safety: sending is synchronized, so several threads may send;
 * receiving is meant for one thread at a time (it is synchronized too, so a
 * second receiver waits). Several messages may arrive in one read:
 * {@link #hasBufferedMessage()} tells whether {@code recv()} will return without
 * touching the socket, which {@code Select.safeSelect} takes into account.
 */
public final class MessagePipe implements AutoCloseable {
    static final int MAGIC = 0xFFFE4A56;
    static final int HEADER = 9;
    static final byte KIND_MESSAGE = 1;
    static final byte KIND_STOP = 2;
    static final byte KIND_BOOT = 3;
    static final byte KIND_READY = 4;
    static final byte KIND_FAIL = 5;
    /** The backend's last words: why its loop ended (UTF-8 text), sent just before it exits. */
    static final byte KIND_EXIT = 6;

    /** Default limit of one encoded message; bulk data belongs in shared memory. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 << 20;

    private final String label;
    private volatile SocketChannel channel;
    private volatile String closedReason;
    /** {@link #close()} was called: nothing more is read, not even what was buffered. */
    private boolean closedHere;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

    // receiving side
    private ByteBuffer in = ByteBuffer.allocate(64 * 1024); // data between position 0 and in.position()
    private int readPos;      // start of the next unread frame within in
    private int scannedTo;    // how far the partial frame at readPos was checked for an embedded magic
    private Selector readSelector;
    private static final Consumer<String> IGNORE_FAULTS = new Consumer<>() { // not a lambda: see Select
        @Override
        public void accept(String reason) {
        }
    };
    private Consumer<String> faultListener = IGNORE_FAULTS;
    private boolean eof;
    private long garbageRun;   // garbage bytes skipped since the last good frame, not yet reported
    private boolean resyncing; // the bytes being skipped follow a fault that was already reported
    private volatile String lastWords;
    private volatile java.util.function.Supplier<MessageObject> exitEvent;
    private boolean exitDelivered;

    // sending side
    static final long COALESCE_NANOS = Long.getLong("jvalkka.coalesceMicros", 10) * 1000;
    static final int COALESCE_LIMIT = 64 * 1024;
    private final Out out = new Out();
    private long lastWriteNanos;
    private boolean flushScheduled;
    private Selector writeSelector;

    MessagePipe(String label) {
        this.label = label;
    }

    void connect(SocketChannel ch) throws IOException {
        ch.configureBlocking(false);
        this.channel = ch;
    }

    /**
     * What {@link #recv()} returns once at the end of the stream, before it throws
     * {@link PipeClosedException}: the frontend's "exited" event (the supplier may
     * return null for none, and may wait briefly for the exit status).
     */
    void onEndOfStream(java.util.function.Supplier<MessageObject> event) {
        this.exitEvent = event;
    }

    /** The reason the other side sent with its last frame before exiting, or null. */
    String lastWords() {
        return lastWords;
    }

    /** Where faults on this pipe are reported: garbage, truncated or undecodable frames. */
    void onFault(Consumer<String> listener) {
        this.faultListener = listener;
    }

    void maxMessageBytes(int max) {
        this.maxMessageBytes = max;
    }

    /** A short name for logs, such as {@code MyProcess.my-process main pipe (frontend)}. */
    @Override
    public String toString() {
        return "<MessagePipe " + label + ">";
    }

    /**
     * The selectable channel under this pipe, to register with a {@link Selector}
     * for {@code OP_READ}. It is in non-blocking mode and exists once the process
     * has started.
     *
     * @throws IllegalStateException before the process has started
     */
    public SelectableChannel channel() {
        SocketChannel ch = channel;
        if (ch == null) {
            throw new IllegalStateException(label + ": the process has not started yet; call start() first");
        }
        return ch;
    }

    boolean isConnected() {
        return channel != null;
    }

    /** Whether a whole message is already buffered, so that {@link #recv()} returns at once. */
    public synchronized boolean hasBufferedMessage() {
        return completeFrameAt(readPos) || (eof && channel != null);
    }

    // ------------------------------------------------------------------ sending

    /**
     * Sends a message ({@code null} is the stop marker). Blocks only while the
     * socket buffer is full (the other side is not reading).
     *
     * @throws IllegalArgumentException when the message cannot be encoded or is larger
     *         than the pipe's limit; nothing is sent then
     * @throws PipeClosedException when the other end is gone
     */
    public synchronized void send(MessageObject m) {
        int start = out.size;
        out.reserveHeader();
        byte kind = KIND_STOP;
        if (m != null) {
            kind = KIND_MESSAGE;
            try {
                Codec.encode(m, out);
            } catch (IOException | RuntimeException e) {
                out.size = start;
                throw new IllegalArgumentException("cannot send " + m + ": " + e.getMessage(), e);
            }
        }
        int len = out.size - start - HEADER;
        if (len > maxMessageBytes) {
            out.size = start;
            throw new IllegalArgumentException("cannot send " + shortForm(m) + ": it encodes to " + len
                    + " bytes, over this pipe's limit of " + maxMessageBytes
                    + " bytes; carry bulk data in SharedMemory/SharedArray and send its name");
        }
        out.patchHeader(start, len, kind);
        sendOrDefer();
    }

    /**
     * Writes now, unless the last write was less than {@link #COALESCE_NANOS}
     * ago: then the bytes wait to go out with the next ones (a burst of messages
     * costs a few system calls instead of one each). Deferred bytes go out on the
     * next write, past {@link #COALESCE_LIMIT} bytes, before this pipe waits for
     * anything, on {@link #flush()}, and otherwise from the shared flusher thread
     * within about a hundred microseconds.
     */
    private void sendOrDefer() {
        if (COALESCE_NANOS > 0 && out.size < COALESCE_LIMIT && System.nanoTime() - lastWriteNanos < COALESCE_NANOS) {
            if (!flushScheduled) {
                flushScheduled = true;
                Flusher.schedule(this);
            }
            return;
        }
        writeAll();
    }

    /** Writes whatever is pending, waiting while the socket is full. */
    public synchronized void flush() {
        if (out.size > 0) {
            writeAll();
        }
    }

    /** Called by the flusher: writes deferred bytes without waiting; returns whether some remain. */
    synchronized boolean flushDeferred() {
        flushScheduled = false;
        if (out.size == 0 || channel == null || closedReason != null) {
            return false;
        }
        flushSome();
        if (out.size > 0) {
            flushScheduled = true;
            return true;
        }
        return false;
    }

    long lastWriteNanos() {
        return lastWriteNanos;
    }

    private static String shortForm(MessageObject m) {
        String s = String.valueOf(m);
        return s.length() > 120 ? s.substring(0, 120) + "...>" : s;
    }

    synchronized void sendRaw(byte kind, byte[] payload) {
        int start = out.size;
        out.reserveHeader();
        out.write(payload, 0, payload.length);
        out.patchHeader(start, payload.length, kind);
        writeAll();
    }

    /** Test hook: puts arbitrary bytes on the wire. */
    synchronized void writeRawBytes(byte[] bytes) {
        out.write(bytes, 0, bytes.length);
        writeAll();
    }

    private void writeAll() {
        SocketChannel ch = channelOrThrow();
        ByteBuffer b = ByteBuffer.wrap(out.buf, 0, out.size);
        try {
            while (b.hasRemaining()) {
                if (ch.write(b) == 0) {
                    awaitWritable(ch);
                }
            }
        } catch (IOException e) {
            out.size = 0;
            throw closed("send failed: " + e.getMessage());
        } finally {
            out.size = 0;
            lastWriteNanos = System.nanoTime();
        }
    }

    /**
     * Writes as much as the socket takes now, without waiting.
     * @return whether everything pending was written
     */
    synchronized boolean trySendNow(MessageObject m) {
        int start = out.size;
        out.reserveHeader();
        try {
            Codec.encode(m, out);
        } catch (IOException | RuntimeException e) {
            out.size = start;
            return false;
        }
        out.patchHeader(start, out.size - start - HEADER, KIND_MESSAGE);
        SocketChannel ch = channelOrThrow();
        ByteBuffer b = ByteBuffer.wrap(out.buf, 0, out.size);
        try {
            ch.write(b);
        } catch (IOException e) {
            out.size = 0;
            return false;
        }
        out.compactFrom(b.position());
        return out.size == 0;
    }

    /** Writes pending bytes without waiting. */
    synchronized void flushSome() {
        if (out.size == 0 || channel == null) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(out.buf, 0, out.size);
        try {
            channel.write(b);
        } catch (IOException e) {
            out.size = 0;
            return;
        }
        out.compactFrom(b.position());
    }

    private void awaitWritable(SocketChannel ch) throws IOException {
        if (writeSelector == null) {
            writeSelector = Selector.open();
            ch.register(writeSelector, SelectionKey.OP_WRITE);
        }
        writeSelector.select(1000);
        writeSelector.selectedKeys().clear();
        if (!ch.isOpen()) {
            throw new ClosedChannelException();
        }
    }

    // ---------------------------------------------------------------- receiving

    /**
     * Receives the next message, waiting as long as it takes.
     *
     * <p>On a frontend's {@link MessageProcess#getPipe() pipe}, a backend that
     * ends without being asked to ({@code requestStop}) — an exception that
     * escaped its loop, {@code System.exit}, a signal, out of memory, its loop
     * ending by itself — is reported once, after the last messages it sent, as
     * {@code MessageObject("exited", name=..., pid=..., status=..., reason=...)}
     * ({@code status} is the exit status, or -1 if the process still had not
     * ended a second after it closed its channel); the next call throws.
     *
     * @return the message, or {@code null} for the stop marker (the backend
     *         sends one when its loop ends)
     * @throws PipeClosedException when the other end closed the channel
     */
    public MessageObject recv() {
        return recv(-1);
    }

    /**
     * Whether a message can be received within {@code timeoutSeconds} (0 polls).
     * True also when the other end has closed (then {@code recv} throws).
     */
    public synchronized boolean poll(double timeoutSeconds) {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        while (true) {
            if (completeFrameAt(readPos) || eof) {
                return true;
            }
            long left = deadline - System.nanoTime();
            flushBeforeWait();
            if (!fill(timeoutSeconds <= 0 ? 0 : Math.max(1, left / 1_000_000))) {
                if (timeoutSeconds <= 0 || System.nanoTime() >= deadline) {
                    return completeFrameAt(readPos) || eof;
                }
            }
        }
    }

    /** Receives with a timeout in milliseconds ({@code <0}: forever); see {@link #recv()}. */
    synchronized MessageObject recv(long timeoutMillis) {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            if (closedHere) {
                throw closedByClose();
            }
            Frame f = nextFrame();
            if (f != null) {
                if (f.kind == KIND_STOP) {
                    return null;
                }
                if (f.kind == KIND_MESSAGE) {
                    MessageObject m = f.message;
                    if (m != null) {
                        return m;
                    }
                    continue; // undecodable: reported, skipped
                }
                if (f.kind == KIND_EXIT) {
                    lastWords = new String(f.payload, StandardCharsets.UTF_8);
                    continue;
                }
                faultListener.accept("unexpected frame kind " + f.kind + " on " + label + ": skipped");
                continue;
            }
            if (eof) {
                java.util.function.Supplier<MessageObject> ev = exitEvent;
                if (ev != null && !exitDelivered) {
                    exitDelivered = true;
                    MessageObject m = ev.get();
                    if (m != null) {
                        return m;
                    }
                }
                throw closed("the other end closed the channel");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutWaiting(label + ": no message within " + timeoutMillis + " ms");
            }
            flushBeforeWait();
            fill(Math.max(1, Math.min(left / 1_000_000, 1000)));
        }
    }

    /** A pipe about to wait for the other side first sends what it deferred, or both could wait. */
    void flushBeforeWait() {
        if (out.size > 0) {
            try {
                flush();
            } catch (PipeClosedException e) {
                // the receive reports the closed pipe
            }
        }
    }

    /** Thrown by timed receives. */
    static final class TimeoutWaiting extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TimeoutWaiting(String m) {
            super(m);
        }
    }

    /** Reads the next raw frame (for the start handshake); {@code null} on timeout. */
    synchronized Frame recvFrame(long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            int at = readPos;
            if (completeFrameAt(at)) {
                int len = in.getInt(at + 4);
                byte kind = in.get(at + 8);
                byte[] payload = new byte[len];
                in.get(at + HEADER, payload, 0, len);
                consume(HEADER + len);
                return new Frame(kind, payload, null);
            }
            if (eof) {
                throw closed("the other end closed the channel");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            fill(Math.max(1, Math.min(left / 1_000_000, 1000)));
        }
    }

    record Frame(byte kind, byte[] payload, MessageObject message) {
    }

    private boolean completeFrameAt(int at) {
        int avail = in.position() - at;
        if (avail < HEADER || in.getInt(at) != MAGIC) {
            return false;
        }
        int len = in.getInt(at + 4);
        return len >= 0 && len <= maxMessageBytes && avail >= HEADER + len;
    }

    /** The next frame in the buffer, resynchronising past garbage; {@code null} when none is complete. */
    private Frame nextFrame() {
        while (true) {
            int avail = in.position() - readPos;
            if (avail < 4) {
                return null;
            }
            if (in.getInt(readPos) != MAGIC) {
                skipGarbage();
                continue;
            }
            if (garbageRun > 0 || resyncing) {
                endGarbageRun();
            }
            if (avail < HEADER) {
                return null;
            }
            int len = in.getInt(readPos + 4);
            byte kind = in.get(readPos + 8);
            if (len < 0 || len > maxMessageBytes) {
                faultListener.accept("a frame on " + label + " claims " + Integer.toUnsignedString(len)
                        + " bytes, over the limit of " + maxMessageBytes + ": garbage or an oversized message; skipped");
                resyncing = true;
                consume(1);
                continue;
            }
            if (avail < HEADER + len) {
                if (kind == KIND_MESSAGE || kind == KIND_STOP) {
                    // a message payload never holds 0xFF: a magic inside means this frame was cut short
                    int from = Math.max(readPos + HEADER, scannedTo);
                    int end = in.position();
                    for (int i = from; i + 4 <= end; i++) {
                        if (in.get(i) == (byte) 0xFF && in.getInt(i) == MAGIC) {
                            faultListener.accept("a truncated frame on " + label + " (" + (i - readPos - HEADER)
                                    + " of " + len + " bytes): skipped");
                            consume(i - readPos);
                            scannedTo = 0;
                            return nextFrame();
                        }
                    }
                    scannedTo = Math.max(readPos + HEADER, end - 3);
                }
                ensureRoom(HEADER + len);
                return null;
            }
            scannedTo = 0;
            int payloadAt = readPos + HEADER;
            if (kind != KIND_MESSAGE) {
                byte[] payload = new byte[len];
                in.get(payloadAt, payload, 0, len);
                consume(HEADER + len);
                return new Frame(kind, payload, null);
            }
            MessageObject m = null;
            try {
                m = Codec.decode(in.array(), payloadAt, len);
            } catch (IOException | RuntimeException e) {
                String preview = new String(in.array(), payloadAt, Math.min(len, 80), StandardCharsets.UTF_8);
                faultListener.accept("an undecodable message on " + label + " (" + e.getMessage().lines().findFirst()
                        .orElse("") + "), " + len + " bytes starting '" + preview + "': skipped");
                // resync after the bad header: a frame that was cut short hides the next one
                resyncing = true;
                consume(1);
                continue;
            }
            consume(HEADER + len);
            return new Frame(kind, null, m);
        }
    }

    /**
     * Skips bytes up to the next frame magic. One run of garbage is reported once,
     * with its length, when its end is found; bytes skipped to resynchronise after
     * a fault already reported are not reported again.
     */
    private void skipGarbage() {
        int end = in.position();
        int i = readPos + 1;
        while (i + 4 <= end && !(in.get(i) == (byte) 0xFF && in.getInt(i) == MAGIC)) {
            i++;
        }
        boolean found = i + 4 <= end;
        if (!found) {
            i = Math.max(readPos + 1, end - 3); // keep a possible partial magic
        }
        garbageRun += i - readPos;
        consume(i - readPos);
        if (found) {
            endGarbageRun();
        }
    }

    private void endGarbageRun() {
        if (garbageRun > 0 && !resyncing) {
            faultListener.accept(garbageRun + " bytes of garbage on " + label + ": skipped");
        }
        garbageRun = 0;
        resyncing = false;
    }

    private void consume(int n) {
        readPos += n;
        if (readPos == in.position()) {
            in.clear();
            readPos = 0;
            scannedTo = 0;
        }
    }

    private void ensureRoom(int frameBytes) {
        if (in.capacity() - readPos >= frameBytes) {
            return;
        }
        int used = in.position() - readPos;
        ByteBuffer bigger = in.capacity() >= frameBytes ? in : ByteBuffer.allocate(Math.max(frameBytes, in.capacity() * 2));
        int shift = readPos;
        byte[] src = in.array();
        System.arraycopy(src, readPos, bigger.array(), 0, used);
        bigger.position(used);
        in = bigger;
        readPos = 0;
        if (scannedTo > 0) {
            scannedTo -= shift;
        }
    }

    /** Reads what the socket has; waits up to {@code waitMillis} (0: no wait). Returns whether bytes arrived. */
    private boolean fill(long waitMillis) {
        SocketChannel ch = channel; // readable until the end of stream, even after the other side exited
        if (ch == null) {
            throw new IllegalStateException(label + ": the process has not started yet; call start() first");
        }
        try {
            if (!in.hasRemaining()) {
                ensureRoom(in.capacity() + 1);
            }
            int n = ch.read(in);
            if (n > 0) {
                return true;
            }
            if (n < 0) {
                endOfStream();
                return false;
            }
            if (waitMillis <= 0) {
                return false;
            }
            if (readSelector == null) {
                readSelector = Selector.open();
                ch.register(readSelector, SelectionKey.OP_READ);
            }
            readSelector.select(waitMillis);
            readSelector.selectedKeys().clear();
            n = ch.read(in);
            if (n < 0) {
                endOfStream();
            }
            return n > 0;
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            endOfStream(); // closed under us, or a broken connection: the end either way
            return false;
        }
    }

    /** Nothing more can come: the descriptors go back now; what was read stays for recv. */
    private void endOfStream() {
        eof = true;
        try {
            releaseDescriptors();
        } catch (UncheckedIOException e) {
            faultListener.accept(e.getMessage() + ": " + e.getCause());
        }
    }

    private SocketChannel channelOrThrow() {
        SocketChannel ch = channel;
        if (ch == null) {
            throw new IllegalStateException(label + ": the process has not started yet; call start() first");
        }
        if (closedReason != null) {
            throw new PipeClosedException(label + ": " + closedReason);
        }
        return ch;
    }

    /** Marks why the pipe closed (for the exception messages), e.g. the backend's exit status. */
    void closedBecause(String reason) {
        if (closedReason == null) {
            closedReason = reason;
        }
    }

    private PipeClosedException closedByClose() {
        String why = closedReason;
        return new PipeClosedException(label + ": the pipe was closed"
                + (why == null || why.equals("closed") ? "" : " (" + why + ")"));
    }

    private PipeClosedException closed(String what) {
        String why = closedReason != null ? closedReason : what;
        return new PipeClosedException(label + ": " + why);
    }

    /**
     * Closes the pipe: its socket and selectors are released, what was buffered
     * is dropped, and from then on {@link #recv()} throws
     * {@link PipeClosedException} (saying the pipe was closed), {@link #poll}
     * returns true at once (so that a reader finds out), and
     * {@code Select.safeSelect} reports it ready. Idempotent.
     *
     * <p>A frontend pipe need not be closed by hand: when its backend has exited,
     * the pipe reads what the backend sent and releases its descriptors itself
     * (see {@link #release()}); stopping the process does the same.
     */
    @Override
    public synchronized void close() {
        closedBecause("closed");
        closedHere = true;
        eof = true;
        in.clear();
        readPos = 0;
        scannedTo = 0;
        releaseDescriptors();
    }

    /**
     * The other side is gone: reads what it sent up to the end of the stream
     * into this pipe's buffer, then closes the socket and the selectors, which
     * gives their descriptors back. {@link #recv()} still returns every message
     * read (and a frontend's "exited" event after them), then throws
     * {@link PipeClosedException}; sending throws it at once. Called by the
     * frontend when its backend has exited; a pipe that reads the end of the
     * stream releases itself too. Idempotent.
     *
     * <p>The backend has exited when this is called, so what is left is bounded
     * by the socket's buffer; a socket that gives no end of stream (another
     * process shares the backend's end) is closed after what it had.
     */
    synchronized void release() {
        SocketChannel ch = channel;
        if (ch == null || !ch.isOpen()) {
            eof = ch != null || eof;
            return;
        }
        try {
            while (!eof) {
                if (!in.hasRemaining()) {
                    ensureRoom(in.capacity() + 1);
                }
                int n = ch.read(in);
                if (n <= 0) {
                    eof = true;
                }
            }
        } catch (IOException e) {
            eof = true;
        }
        releaseDescriptors();
    }

    /** Whether the pipe's socket and selectors are closed (released or closed). */
    boolean isReleased() {
        SocketChannel ch = channel;
        return ch != null && !ch.isOpen();
    }

    private void releaseDescriptors() {
        IOException failed = null;
        for (java.io.Closeable c : new java.io.Closeable[] {readSelector, writeSelector, channel}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                failed = e;
            }
        }
        if (failed != null) {
            throw new UncheckedIOException(label + ": closing failed", failed);
        }
    }

    /** A growable byte buffer that Jackson writes into, with room for the frame header. */
    private static final class Out extends OutputStream implements Codec.Sink {
        byte[] buf = new byte[8192];
        int size;

        void reserveHeader() {
            ensure(HEADER);
            size += HEADER;
        }

        void patchHeader(int at, int len, byte kind) {
            ByteBuffer.wrap(buf).putInt(at, MAGIC).putInt(at + 4, len).put(at + 8, kind);
        }

        void compactFrom(int written) {
            System.arraycopy(buf, written, buf, 0, size - written);
            size -= written;
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(size + more, buf.length * 2));
            }
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }
    }
}
