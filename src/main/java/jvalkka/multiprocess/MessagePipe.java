package jvalkka.multiprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One end of a process channel: length-prefixed frames over a Unix-domain
 * socket, each carrying a {@link MessageObject} (or {@code null}, the stop
 * marker). {@link MessageProcess#getPipe()} gives the frontend's end; select on
 * it with {@link Select#safeSelect} (or register {@link #channel()} with your own
 * selector) and {@link #recv()} what arrived.
 *
 * <h2>Frames</h2>
 *
 * <p>The frame header, the frame kinds and the reserved events are declared in
 * {@code WireProtocol}; {@code WireCodec.Encoder} writes the frames and
 * {@code WireCodec.Decoder} reads them (and resynchronises past garbage), so that this
 * class only moves bytes. After the start handshake a pipe carries messages,
 * stop markers, proxy calls and their replies, and the backend's last words.
 *
 * <h2>Threads and waiting</h2>
 *
 * <p>Sending and receiving have separate locks: any number of threads may send
 * (one at a time), one thread at a time receives ({@code recv}, {@code poll}),
 * and neither waits for the other. {@link #hasBufferedMessage()} and
 * {@link #close()} never wait for either.
 *
 * <p>A send waits only while the socket is full. While it waits it takes in what
 * the other side sent (into this pipe's receive buffer, where {@code recv} and
 * {@code safeSelect} find it), unless another thread is receiving at that moment.
 * So two ends that each send a burst before reading cannot deadlock; what a
 * waiting send takes in is held in memory until it is received.
 *
 * <p>Every timed wait ({@code poll}, {@code safeSelect}) honours its timeout: a
 * wait first tries to write the bytes deferred for coalescing without blocking,
 * and leaves what does not fit to the shared flusher thread.
 *
 * <p>Several messages may arrive in one read: {@link #hasBufferedMessage()}
 * tells whether {@code recv()} will return without touching the socket, which
 * {@code Select.safeSelect} takes into account.
 */
public final class MessagePipe extends FrameChannel {
    static final int MAX_TEXT_BYTES = WireProtocol.MAX_TEXT_BYTES;

    /** Default limit of one encoded message; bulk data belongs in shared memory. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = WireProtocol.DEFAULT_MAX_MESSAGE_BYTES;

    private final String label;
    private volatile SocketChannel channel;
    private volatile String closedReason;
    private volatile int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    /** {@link #close()} was called: nothing more is read, not even what was buffered. */
    private volatile boolean closedHere;

    // receiving side: guarded by recvLock
    private final ReentrantLock recvLock = new ReentrantLock();
    private final WireCodec.Decoder decoder;
    private volatile Selector readSelector;
    private Consumer<String> faultListener = WireCodec.Decoder.IGNORE_FAULTS;
    private boolean eof;
    private volatile String lastWords;
    private volatile java.util.function.Supplier<MessageObject> exitEvent;
    private boolean exitDelivered;
    /** A frame taken from the buffer ahead of recv (by poll, or to settle past a fault). */
    private WireCodec.Frame ahead;
    /** The receiving thread was interrupted while it waited: its status is set again when it leaves. */
    private boolean interruptedWhileWaiting;
    /** Whether recv() returns without waiting: a whole frame at readPos, or the end of the stream. */
    private volatile boolean buffered;
    /** The selector of the last safeSelect on this pipe, woken when a send takes messages in. */
    private volatile Selector watcher;

    // sending side: guarded by sendLock
    static final long COALESCE_NANOS = Long.getLong("jvalkka.coalesceMicros", 10) * 1000;
    static final int COALESCE_LIMIT = 64 * 1024;
    /** How often a send that waits retries taking in while another thread receives. */
    private static final long TAKE_IN_RETRY_MILLIS = 10;
    /** How long {@link #release()} waits for a receiving thread before it leaves the release to it. */
    private static final long RELEASE_WAIT_MILLIS = 2000;
    private final ReentrantLock sendLock = new ReentrantLock();
    private final WireCodec.Encoder out = new WireCodec.Encoder();
    private volatile long lastWriteNanos;
    /** Messages sent and received (not stop markers): plain counts for JMX, written under sendLock / recvLock. */
    private long messagesSent;
    private long messagesReceived;
    /** The "exited" event recv() gave, or null (for JMX). */
    private volatile MessageObject exitReported;
    private boolean flushScheduled;
    private volatile Selector writeSelector;
    private SelectionKey writeKey;
    /** Error reports (or a stop marker) that found the send lock taken: whoever holds it next sends them. */
    private final ConcurrentLinkedQueue<Object> lateReports = new ConcurrentLinkedQueue<>();
    private static final Object LATE_STOP = new Object();

    MessagePipe(String label) {
        this.label = label;
        this.decoder = new WireCodec.Decoder(label);
    }

    void connect(SocketChannel ch) throws IOException {
        ch.configureBlocking(false);
        this.channel = ch;
    }

    /**
     * Start handshake only: gives up the connected socket, open, for another pipe
     * to {@link #connect} (a remote backend's hello frame, read on this pipe, said
     * which pipe it belongs to). Its selectors are closed; this pipe is closed.
     *
     * @throws IllegalStateException when bytes past the frames read are buffered here
     */
    SocketChannel handOver() throws IOException {
        recvLock.lock();
        try {
            if (decoder.hasBytes()) {
                throw new IllegalStateException(label + ": bytes after the handshake would be lost");
            }
            SocketChannel ch = channel;
            channel = null;
            closedHere = true;
            for (Selector s : new Selector[] {readSelector, writeSelector}) {
                if (s != null) {
                    s.close(); // deregisters ch; the socket stays open
                }
            }
            return ch;
        } finally {
            recvLock.unlock();
        }
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

    /**
     * Where faults on this pipe are reported: garbage, truncated or undecodable
     * frames. Called by the receiving thread; the listener must not block (it may
     * {@link #trySendNow}).
     */
    void onFault(Consumer<String> listener) {
        this.faultListener = listener;
        decoder.onFault(listener);
    }

    void maxMessageBytes(int max) {
        this.maxMessageBytes = max;
        decoder.maxMessageBytes(max);
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
     * @return the selectable channel under this pipe, to register with a {@link Selector} for {@code OP_READ}
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

    /**
     * Whether a whole message is already buffered (or the end of the stream was
     * seen), so that {@link #recv()} returns at once. Never waits.
     *
     * @return whether a whole message is already buffered (or the end of the stream was seen), so that {@link #recv()} returns at once
     */
    public boolean hasBufferedMessage() {
        return buffered;
    }

    /** safeSelect is about to wait on this pipe with {@code selector}: a send that takes messages in wakes it. */
    void watchedBy(Selector selector) {
        if (watcher != selector) {
            watcher = selector;
        }
    }

    // ------------------------------------------------------------------ sending

    /**
     * Sends a message ({@code null} is the stop marker). Waits only while the
     * socket is full (the other side is not reading); meanwhile it takes in what
     * the other side sends, so that it cannot deadlock with a backend that is
     * itself waiting to send to us. Several threads may send; each message goes
     * out whole.
     *
     * @throws IllegalArgumentException when the message cannot be encoded or is larger
     *         than the pipe's limit; nothing is sent then
     * @throws PipeClosedException when the other end is gone
     * @param m the message
     */
    public void send(MessageObject m) {
        send(WireProtocol.MESSAGE, 0, m);
    }

    /**
     * Sends a proxy call: {@code m} in a {@link WireProtocol.Kind#CALL} frame of call
     * {@code id}, which the backend answers with a reply of that id. As {@link #send}.
     */
    void sendCall(long id, MessageObject m) {
        send(WireProtocol.CALL, id, m);
    }

    /** Sends the reply to call {@code id}: see {@link WireProtocol#replyValue(Object)}. As {@link #send}. */
    void sendReply(long id, MessageObject reply) {
        send(WireProtocol.REPLY, id, reply);
    }

    private void send(byte kind, long id, MessageObject m) {
        sendLock.lock();
        try {
            if (!lateReports.isEmpty()) {
                appendLateReports();
            }
            out.append(kind, id, m, maxMessageBytes);
            sendOrDefer();
            if (m != null) {
                messagesSent++;
            }
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Writes now, unless the last write was less than {@link #COALESCE_NANOS}
     * ago: then the bytes wait to go out with the next ones (a burst of messages
     * costs a few system calls instead of one each). Deferred bytes go out on the
     * next write, past {@link #COALESCE_LIMIT} bytes, before this pipe waits for
     * anything (as far as the socket takes them without waiting), on
     * {@link #flush()}, and otherwise from the shared flusher thread within about a
     * hundred microseconds.
     */
    private void sendOrDefer() {
        if (COALESCE_NANOS > 0 && out.size() < COALESCE_LIMIT && System.nanoTime() - lastWriteNanos < COALESCE_NANOS) {
            scheduleFlush();
            return;
        }
        writeAll();
    }

    /** Under sendLock: bytes stay in {@code out}; the flusher sends them. */
    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            Flusher.schedule(this);
        }
    }

    /**
     * Writes whatever is pending, waiting while the socket is full (and taking in
     * meanwhile, as {@link #send} does).
     */
    public void flush() {
        sendLock.lock();
        try {
            if (!lateReports.isEmpty()) {
                appendLateReports();
            }
            if (!out.isEmpty()) {
                writeAll();
            }
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Writes whatever is pending, as {@link #flush()} does, for at most
     * {@code timeoutMillis} (waiting for other senders included); what is left then
     * goes out later, from the flusher.
     *
     * @return whether all was written
     * @throws PipeClosedException when the other end is gone
     */
    boolean flush(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        try {
            if (!sendLock.tryLock(timeoutMillis, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            if (!lateReports.isEmpty()) {
                appendLateReports();
            }
            return out.isEmpty() || writeAll(deadline);
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Called by the flusher: writes deferred bytes without waiting for the socket.
     * @return whether the flusher should come back (bytes remain, or a sender held the lock)
     */
    boolean flushDeferred() {
        try {
            if (!sendLock.tryLock(100, TimeUnit.MICROSECONDS)) {
                return true; // a sender waits for the socket: it writes these bytes with its own
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
        try {
            flushScheduled = false;
            if (!lateReports.isEmpty()) {
                appendLateReports();
            }
            if (out.isEmpty() || channel == null || closedReason != null) {
                return false;
            }
            writeSome();
            if (!out.isEmpty()) {
                flushScheduled = true;
                return true;
            }
            return false;
        } finally {
            sendLock.unlock();
        }
    }

    /** The messages sent so far (for JMX; read without a lock, so possibly a few behind). */
    long messagesSent() {
        return messagesSent;
    }

    /** The messages received so far (for JMX; read without a lock, so possibly a few behind). */
    long messagesReceived() {
        return messagesReceived;
    }

    /** The "exited" event {@link #recv()} gave, or null. */
    MessageObject exitReported() {
        return exitReported;
    }

    long lastWriteNanos() {
        return lastWriteNanos;
    }

    void sendRaw(byte kind, byte[] payload) {
        if (kind == WireProtocol.EXIT && payload.length > MAX_TEXT_BYTES) {
            payload = java.util.Arrays.copyOf(payload, MAX_TEXT_BYTES);
        }
        sendLock.lock();
        try {
            out.appendRaw(kind, payload);
            writeAll();
        } finally {
            sendLock.unlock();
        }
    }

    /** Test hook: puts arbitrary bytes on the wire. */
    void writeRawBytes(byte[] bytes) {
        sendLock.lock();
        try {
            out.write(bytes, 0, bytes.length);
            writeAll();
        } finally {
            sendLock.unlock();
        }
    }

    /** Under sendLock: writes all of {@code out}, waiting (and taking in) while the socket is full. */
    private void writeAll() {
        writeAll(Long.MAX_VALUE);
    }

    /**
     * Under sendLock: writes {@code out}, waiting (and taking in) while the socket is
     * full, until {@code deadline} (a {@link System#nanoTime} value): what is left
     * then stays for the flusher.
     * @return whether all was written
     */
    private boolean writeAll(long deadline) {
        SocketChannel ch = channelOrThrow();
        ByteBuffer b = ByteBuffer.wrap(out.buf(), 0, out.size());
        boolean interrupted = false;
        try {
            while (b.hasRemaining()) {
                if (ch.write(b) == 0) {
                    long left = deadline == Long.MAX_VALUE ? 1000 : (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        out.compactFrom(b.position());
                        scheduleFlush();
                        return false;
                    }
                    // a frame is never left half-written: the wait ignores interrupts and keeps the status
                    interrupted |= Thread.interrupted();
                    awaitWritable(ch, Math.min(left, 1000));
                }
            }
            out.clear();
            return true;
        } catch (IOException | ClosedSelectorException | CancelledKeyException e) {
            out.clear();
            throw closed("send failed: " + e); // close() in another thread closes the selector and the key
        } finally {
            lastWriteNanos = System.nanoTime();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Sends a message ({@code null}: the stop marker) as far as the socket takes it
     * now, and never waits, not even for another sender: what does not fit goes out
     * later (on the next send, or from the flusher). For error reports, which must
     * never block the backend, and for the stop request, which must not wait for a
     * backend that stopped reading.
     *
     * @return whether it was all written at once
     */
    boolean trySendNow(MessageObject m) {
        if (!sendLock.tryLock()) {
            lateReports.add(m == null ? LATE_STOP : m);
            Flusher.schedule(this);
            return false;
        }
        try {
            appendLateReports();
            if (!append(m)) {
                return false;
            }
            channelOrThrow();
            writeSome();
            if (!out.isEmpty()) {
                scheduleFlush();
                return false;
            }
            return true;
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Under sendLock: encodes a message ({@code null}: the stop marker) into
     * {@code out}; false (nothing added) if it cannot be encoded.
     */
    private boolean append(MessageObject m) {
        try {
            out.append(WireProtocol.MESSAGE, 0, m, maxMessageBytes);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void appendLateReports() {
        Object m;
        while ((m = lateReports.poll()) != null) {
            append(m == LATE_STOP ? null : (MessageObject) m);
        }
    }

    /** Under sendLock: writes pending bytes as far as the socket takes them now. */
    private void writeSome() {
        SocketChannel ch = channel;
        if (out.isEmpty() || ch == null) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(out.buf(), 0, out.size());
        try {
            ch.write(b);
        } catch (IOException e) {
            out.clear(); // the pipe is broken: the receiving side reports it
            return;
        }
        if (b.position() > 0) {
            out.compactFrom(b.position());
            lastWriteNanos = System.nanoTime();
        }
    }

    /**
     * A pipe about to wait for the other side first sends what it deferred, or both
     * could wait: as far as the socket takes it without waiting, and not at all if
     * another thread is sending (that thread writes it). The flusher sends the rest.
     */
    void flushBeforeWait() {
        if (!out.isEmpty() && sendLock.tryLock()) { // a racy read is fine: the flusher has the last word
            try {
                if (!out.isEmpty() && closedReason == null) {
                    writeSome();
                    if (!out.isEmpty()) {
                        scheduleFlush();
                    }
                }
            } finally {
                sendLock.unlock();
            }
        }
    }

    /**
     * Under sendLock, the socket full: takes in what the other side sent, then
     * waits until the socket takes more, or more arrives to take in.
     */
    private void awaitWritable(SocketChannel ch, long maxMillis) throws IOException {
        int took = takeIn();
        Selector s = writeSelector;
        if (s == null) {
            s = Selector.open();
            writeSelector = s;
            if (closedReason != null) {
                s.close(); // close() may have run before it could see this selector
                throw new ClosedChannelException();
            }
            writeKey = ch.register(s, SelectionKey.OP_WRITE);
        }
        int ops = took > 0 ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_WRITE;
        if (writeKey.interestOps() != ops) {
            writeKey.interestOps(ops);
        }
        s.select(Math.max(1, took == 0 ? Math.min(maxMillis, TAKE_IN_RETRY_MILLIS) : maxMillis));
        s.selectedKeys().clear();
        if (!ch.isOpen()) {
            throw new ClosedChannelException();
        }
    }

    /**
     * A waiting send reads what arrived into the receive buffer, so that the other
     * side, perhaps itself waiting to send to us, can go on.
     *
     * @return 1 when it read all there was (the wait may include readability), 0 when
     *         another thread is receiving (it drains the socket; try again soon), -1 at
     *         the end of the stream
     */
    private int takeIn() {
        if (recvLock.isHeldByCurrentThread() || !recvLock.tryLock()) {
            return 0;
        }
        boolean took = false;
        try {
            if (eof) {
                return -1;
            }
            for (int i = 0; i < 16 && fill(0); i++) {
                took = true;
            }
            if (took) {
                noteBuffered(false); // the receiving thread reports faults, in its turn
            }
            return eof ? -1 : 1;
        } finally {
            recvLock.unlock();
            if (took) {
                Selector w = watcher;
                if (w != null) {
                    w.wakeup();
                }
            }
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
     * <p>One thread receives at a time (a second one waits for the first); a
     * receiving thread never holds up a sending one.
     *
     * @return the message, or {@code null} for the stop marker (the backend
     *         sends one when its loop ends)
     * @throws PipeClosedException when the other end closed the channel, or this
     *         pipe was closed
     */
    public MessageObject recv() {
        return recv(-1);
    }

    /**
     * Whether a message can be received within {@code timeoutSeconds} (0 polls).
     * True also when the other end has closed (then {@code recv} throws). Returns
     * within the timeout also while another thread waits to send; it waits longer
     * only while another thread is in {@code recv} or {@code poll} on this pipe.
     *
     * @param timeoutSeconds the longest wait, in seconds
     * @return whether a message can be received within {@code timeoutSeconds} (0 polls)
     */
    public boolean poll(double timeoutSeconds) {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        recvLock.lock();
        try {
            while (true) {
                if (ahead == null) {
                    ahead = nextDeliverable();
                }
                if (closedHere || ahead != null || eof) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (timeoutSeconds > 0 && left <= 0) {
                    return false;
                }
                flushBeforeWait();
                if (!fill(timeoutSeconds <= 0 ? 0 : Math.max(1, Math.min(left / 1_000_000, 1000)))
                        && timeoutSeconds <= 0) {
                    ahead = nextDeliverable();
                    return ahead != null || eof;
                }
            }
        } finally {
            noteBuffered(true);
            leaveReceiving();
        }
    }

    /**
     * {@link #poll(double)} with a {@link java.time.Duration}.
     *
     * @param timeout the longest wait ({@code Duration.ZERO} polls)
     * @return whether a message can be received (or the other end has closed)
     */
    public boolean poll(java.time.Duration timeout) {
        return poll(jvalkka.internal.Seconds.of(timeout));
    }

    /** Receives with a timeout in milliseconds ({@code <0}: forever); see {@link #recv()}. */
    MessageObject recv(long timeoutMillis) {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        recvLock.lock();
        try {
            while (true) {
                if (closedHere) {
                    throw closedByClose();
                }
                WireCodec.Frame f = ahead;
                if (f != null) {
                    ahead = null;
                } else {
                    f = nextDeliverable();
                }
                if (f != null) {
                    if (f.message() != null) {
                        messagesReceived++;
                    }
                    return f.message(); // null for the stop marker
                }
                if (eof) {
                    java.util.function.Supplier<MessageObject> ev = exitEvent;
                    if (ev != null && !exitDelivered) {
                        exitDelivered = true;
                        MessageObject m = ev.get();
                        if (m != null) {
                            exitReported = m;
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
        } finally {
            noteBuffered(true);
            leaveReceiving();
        }
    }

    /**
     * Under recvLock: the next message or stop frame in the buffer (faults reported
     * and skipped, last words kept), or null when none is complete.
     */
    private WireCodec.Frame nextDeliverable() {
        while (true) {
            WireCodec.Frame f = decoder.next();
            if (f == null) {
                return null;
            }
            if (f.kind() != WireProtocol.EXIT) {
                return f; // a message, call, reply or stop marker
            }
            lastWords = new String(f.payload(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Under recvLock: publishes whether recv() would return at once. With
     * {@code settle}, bytes at the read position that are not the start of a
     * sound frame (garbage, a bad or cut-short frame) are dealt with now, so that
     * a message after them does not wait for the socket to bring more.
     */
    private void noteBuffered(boolean settle) {
        if (settle && ahead == null && decoder.hasBytes() && !decoder.hasWholeFrame()) {
            ahead = nextDeliverable();
        }
        boolean b = closedHere || ahead != null || decoder.hasWholeFrame() || (eof && channel != null);
        if (buffered != b) {
            buffered = b;
        }
    }

    /** Under recvLock: releases it, with the interrupt status that a wait cleared set again. */
    private void leaveReceiving() {
        boolean interrupted = interruptedWhileWaiting;
        interruptedWhileWaiting = false;
        recvLock.unlock();
        if (interrupted) {
            Thread.currentThread().interrupt();
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
    WireCodec.Frame recvFrame(long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        recvLock.lock();
        try {
            while (true) {
                WireCodec.Frame f = decoder.nextRaw();
                if (f != null) {
                    return f;
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
        } finally {
            noteBuffered(false);
            leaveReceiving();
        }
    }

    /**
     * Under recvLock: reads what the socket has; waits up to {@code waitMillis} (0:
     * no wait). Returns whether bytes arrived.
     */
    private boolean fill(long waitMillis) {
        SocketChannel ch = channel; // readable until the end of stream, even after the other side exited
        if (ch == null) {
            throw new IllegalStateException(label + ": the process has not started yet; call start() first");
        }
        try {
            int n = ch.read(decoder.writable());
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
            Selector s = readSelector;
            if (s == null) {
                s = Selector.open();
                readSelector = s;
                if (closedReason != null) {
                    s.close(); // close() may have run before it could see this selector
                    throw new ClosedChannelException();
                }
                ch.register(s, SelectionKey.OP_READ);
            }
            interruptedWhileWaiting |= Thread.interrupted(); // else select returns at once, again and again
            s.select(waitMillis);
            s.selectedKeys().clear();
            n = ch.read(decoder.writable());
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
     * {@code Select.safeSelect} reports it ready. Idempotent. Any thread may
     * call it, and it waits for nobody: a thread blocked in this pipe's send or
     * receive wakes and gets a {@link PipeClosedException}.
     *
     * <p>A frontend pipe need not be closed by hand: when its backend has exited,
     * the pipe reads what the backend sent and releases its descriptors itself
     * (see {@link #release()}); stopping the process does the same.
     */
    @Override
    public void close() {
        closedBecause("closed");
        closedHere = true;
        buffered = true; // a reader that selects on it finds out at once
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
    void release() {
        boolean locked;
        try {
            locked = recvLock.tryLock(RELEASE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            return; // a thread is receiving: it reads up to the end of the stream, which releases them
        }
        try {
            SocketChannel ch = channel;
            if (ch == null || !ch.isOpen()) {
                eof = ch != null || eof;
                return;
            }
            try {
                while (!eof) {
                    int n = ch.read(decoder.writable());
                    if (n <= 0) {
                        eof = true;
                    }
                }
            } catch (IOException e) {
                eof = true;
            }
            releaseDescriptors();
            noteBuffered(false);
        } finally {
            recvLock.unlock();
        }
    }

    /** Whether the pipe's socket and selectors are closed (released or closed). */
    boolean isReleased() {
        SocketChannel ch = channel;
        return ch != null && !ch.isOpen();
    }

    private void releaseDescriptors() {
        Selector w = watcher;
        if (w != null) {
            w.wakeup(); // a safeSelect waiting on this pipe finds it closed now, not at a timer tick
        }
        IOException failed = null;
        for (java.io.Closeable c : new java.io.Closeable[] {channel, readSelector, writeSelector}) {
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
}
