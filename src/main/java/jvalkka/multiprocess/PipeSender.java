package jvalkka.multiprocess;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending side of a {@link MessagePipe}: frames are encoded into one
 * coalescing buffer under the send lock and written through the pipe's
 * {@link ByteLink}. A burst of messages costs a few system calls instead of one
 * each: bytes written less than {@link #COALESCE_NANOS} after the last write wait
 * for the next ones, for {@link #COALESCE_LIMIT} bytes, for a wait, or for the
 * shared {@link Flusher}. Not so a send after the pipe read bytes from the socket
 * since its last write ({@link #tookIn()}): that is an answer (request/response,
 * ping-pong), whose peer waits for it, not a burst; it is written at once. A send that finds the socket full takes in what the
 * other side sent ({@link PipeReceiver#takeIn()}) while it waits, so that two ends
 * that both send a burst before reading do not deadlock.
 */
final class PipeSender {
    static final long COALESCE_NANOS = Long.getLong("jvalkka.coalesceMicros", 10) * 1000;
    static final int COALESCE_LIMIT = 64 * 1024;
    /** How often a send that waits retries taking in while another thread receives. */
    private static final long TAKE_IN_RETRY_MILLIS = 10;
    private static final Object LATE_STOP = new Object();

    private final MessagePipe pipe;
    private final PipeReceiver receiver;
    private final ReentrantLock sendLock = new ReentrantLock();
    private final WireCodec.Encoder out = new WireCodec.Encoder();
    private volatile long lastWriteNanos;
    /**
     * Whether the last frame given to {@link #send} was a reply to a call ({@link WireProtocol#REPLY}):
     * a pipe that answered a call does not expect an answer back, so a link that spins only in select
     * does not spin for the next call ({@code PipeReceiver.spinRead}). Written under sendLock; read
     * without it, as a hint (not volatile: a fence on every send for a hint is not worth it).
     */
    private boolean lastFrameReply;
    /**
     * The receiving side read bytes from the socket since the last write began: the
     * next send answers them and is not deferred. Set by the receiving thread, cleared
     * under sendLock before a write.
     */
    private volatile boolean tookIn;
    /** Messages sent (not stop markers): a plain count for JMX, written under sendLock. */
    private long messagesSent;
    /** Frames given to {@link #send} (stop markers too), written under sendLock; see {@link #framesSent()}. */
    private volatile long framesSent;
    private boolean flushScheduled;
    private volatile int maxMessageBytes = MessagePipe.DEFAULT_MAX_MESSAGE_BYTES;
    /** Error reports (or a stop marker) that found the send lock taken: whoever holds it next sends them. */
    private final ConcurrentLinkedQueue<Object> lateReports = new ConcurrentLinkedQueue<>();

    PipeSender(MessagePipe pipe, PipeReceiver receiver) {
        this.pipe = pipe;
        this.receiver = receiver;
    }

    void maxMessageBytes(int max) {
        this.maxMessageBytes = max;
    }

    long messagesSent() {
        return messagesSent;
    }

    /**
     * Frames {@link #send} took so far, stop markers too: a thread that compares the count before
     * and after its own work knows whether it sent anything meanwhile (see {@code Backend#reply}).
     */
    long framesSent() {
        return framesSent;
    }

    long lastWriteNanos() {
        return lastWriteNanos;
    }

    /** See {@link #lastFrameReply}. */
    boolean lastFrameReply() {
        return lastFrameReply;
    }

    /** See {@link MessagePipe#deferredBytes()}. */
    int deferredBytes() {
        sendLock.lock();
        try {
            return out.size();
        } finally {
            sendLock.unlock();
        }
    }

    /** See {@link MessagePipe#send(MessageObject)}: one frame of {@code kind}, call id {@code id}. */
    void send(byte kind, long id, MessageObject m) {
        send(kind, id, m, false);
    }

    /**
     * As {@link #send(byte, long, MessageObject)}; {@code now}: written at once, never
     * deferred to coalesce (a synchronous call, whose caller waits for the answer next:
     * deferring it would only wake the flusher for nothing before the caller's flush).
     */
    void send(byte kind, long id, MessageObject m, boolean now) {
        sendLock.lock();
        try {
            if (!lateReports.isEmpty()) {
                appendLateReports();
            }
            out.append(kind, id, m, maxMessageBytes);
            if (now) {
                writeAll();
            } else {
                sendOrDefer();
            }
            if (m != null) {
                messagesSent++;
            }
            framesSent++; // one writer: the send lock's holder
            lastFrameReply = kind == WireProtocol.REPLY;
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Writes now, unless the last write was less than {@link #COALESCE_NANOS}
     * ago: then the bytes wait to go out with the next ones. Deferred bytes go
     * out on the next write, past {@link #COALESCE_LIMIT} bytes, before the pipe
     * waits for anything (as far as the socket takes them without waiting), on
     * {@link #flush()}, and otherwise from the shared flusher thread within about a
     * hundred microseconds.
     */
    private void sendOrDefer() {
        if (COALESCE_NANOS > 0 && !tookIn && out.size() < COALESCE_LIMIT
                && System.nanoTime() - lastWriteNanos < COALESCE_NANOS) {
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

    /** The link has bytes of its own to send (a TLS key update's answer): the flusher sends them. */
    void linkWantsToWrite() {
        Flusher.schedule(this);
    }

    /**
     * The receiving side read bytes from the socket: the next send is an answer,
     * written at once (see the class comment). Any thread; a volatile write.
     */
    void tookIn() {
        if (!tookIn) {
            tookIn = true;
        }
    }

    /** Under sendLock: whether bytes wait to be written, in {@code out} or in the link. */
    private boolean pending(ByteLink link) {
        return !out.isEmpty() || (link != null && link.hasPendingOutput());
    }

    /** See {@link MessagePipe#flush()}. */
    void flush() {
        sendLock.lock();
        try {
            if (!lateReports.isEmpty()) {
                appendLateReports();
            }
            if (pending(pipe.link)) {
                writeAll();
            }
        } finally {
            sendLock.unlock();
        }
    }

    /** See {@link MessagePipe#flush(long)}. */
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
            return !pending(pipe.link) || writeAll(deadline);
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
            ByteLink link = pipe.link;
            if (link == null || !pending(link) || pipe.closedReason() != null) {
                return false;
            }
            writeSome();
            if (pending(link)) {
                flushScheduled = true;
                return true;
            }
            return false;
        } finally {
            sendLock.unlock();
        }
    }

    /** See {@link MessagePipe#sendRaw}. */
    void sendRaw(byte kind, byte[] payload) {
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
        ByteLink link = pipe.linkOrThrow();
        ByteBuffer b = ByteBuffer.wrap(out.buf(), 0, out.size());
        boolean interrupted = false;
        tookIn = false; // what is read from now on, the next send answers
        try {
            while (b.hasRemaining() || link.hasPendingOutput()) {
                if (link.write(b) == 0) {
                    long left = deadline == Long.MAX_VALUE ? 1000 : (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        out.compactFrom(b.position());
                        scheduleFlush();
                        return false;
                    }
                    // a frame is never left half-written: the wait ignores interrupts and keeps the status
                    interrupted |= Thread.interrupted();
                    awaitWritable(link, Math.min(left, 1000));
                }
            }
            out.clear();
            return true;
        } catch (IOException | ClosedSelectorException | CancelledKeyException e) {
            out.clear();
            throw pipe.closed("send failed: " + e); // close() in another thread closes the selector and the key
        } finally {
            lastWriteNanos = System.nanoTime();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** See {@link MessagePipe#trySendNow}. */
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
            ByteLink link = pipe.linkOrThrow();
            writeSome();
            if (pending(link)) {
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
        ByteLink link = pipe.link;
        if (link == null || !pending(link)) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(out.buf(), 0, out.size());
        int n;
        tookIn = false;
        try {
            n = link.write(b);
        } catch (IOException e) {
            out.clear(); // the pipe is broken: the receiving side reports it
            return;
        }
        if (b.position() > 0) {
            out.compactFrom(b.position());
        }
        if (n > 0) {
            lastWriteNanos = System.nanoTime();
        }
    }

    /** See {@link MessagePipe#flushBeforeWait()}. */
    void flushBeforeWait() {
        if (pending(pipe.link) && sendLock.tryLock()) { // a racy read is fine: the flusher has the last word
            try {
                if (pending(pipe.link) && pipe.closedReason() == null) {
                    writeSome();
                    if (pending(pipe.link)) {
                        scheduleFlush();
                    }
                }
            } finally {
                sendLock.unlock();
            }
        }
    }

    /** Under sendLock, the socket full: takes in what the other side sent, then waits until the socket takes more. */
    private void awaitWritable(ByteLink link, long maxMillis) throws IOException {
        int took = receiver.takeIn();
        link.awaitWritable(took > 0, Math.max(1, took == 0 ? Math.min(maxMillis, TAKE_IN_RETRY_MILLIS) : maxMillis));
    }

    /** This end closes: the link tells the peer (TLS close_notify) if no sender is busy; never waits. */
    void closeOutbound(ByteLink link) {
        if (sendLock.tryLock()) {
            try {
                link.closeOutbound();
            } finally {
                sendLock.unlock();
            }
        }
    }
}
