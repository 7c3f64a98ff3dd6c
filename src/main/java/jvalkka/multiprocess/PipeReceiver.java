package jvalkka.multiprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The receiving side of a {@link MessagePipe}: bytes read through the pipe's
 * {@link ByteLink} into a {@link WireCodec.Decoder} under the receive lock, whole
 * frames handed out by {@code recv} and {@code poll}, faults reported and resynchronised
 * past by the decoder, the end of the stream and the frontend's "exited" event after it.
 * A send that waits for the socket reads here too ({@link #takeIn()}), if no thread
 * is receiving.
 */
final class PipeReceiver {
    /**
     * How long a wait on a TCP link (a backend on another host), or on a local one whose
     * pipe asked ({@link #spinWhileAnswerLikely()}), reads the socket
     * in a loop before it parks in a selector, while an answer is likely: this pipe
     * wrote or took in bytes within the last {@link #SPIN_RECENT_NANOS} (a request
     * just sent, a reply just sent after a request). Waking a parked thread costs
     * 5-20 us at each end of a round trip, a third of it; a reply that comes within
     * the spin is read at once. 0 ({@code -Djvalkka.remoteSpinMicros=0}): no spin.
     */
    static final long SPIN_NANOS = Long.getLong("jvalkka.remoteSpinMicros", 50) * 1000;
    /** The spin in use: {@link #SPIN_NANOS}, changed only by tests (a spin long enough to see an end during it). */
    static volatile long spinNanos = SPIN_NANOS;
    /** How recent this pipe's last write or read must be for a wait to spin first. */
    static final long SPIN_RECENT_NANOS = 200_000;
    /** The most waits a run of spins that found nothing makes skip spinning. */
    private static final int SPIN_MAX_SKIP = 64;
    /** How long {@link #release()} waits for a receiving thread before it leaves the release to it. */
    private static final long RELEASE_WAIT_MILLIS = 2000;
    /**
     * How many bytes of other frames a caller reading for its reply ({@link #readForReply}) keeps
     * for {@code recv} before it stops reading (memory stays bounded; the backend then waits, as
     * for any reader that does not read, until {@code recv} takes them).
     */
    static final long KEEP_AHEAD_BYTES = 4 << 20;
    /**
     * How long a caller reading for its reply waits for the socket at a time. Long: whatever else
     * ends its wait wakes it ({@link #wakeReplyReader}); a timed wait of 1 ms cost a quarter of the
     * remote calls about 20 us more (a mode at 40-50 us beside one at 20-30 us, measured on a
     * loaded 2-core machine over TLS), which waits of a second do not.
     */
    private static final long REPLY_READ_SLICE_MILLIS = 100;

    private final MessagePipe pipe;
    private final String label;
    private final ReentrantLock recvLock = new ReentrantLock();
    private final WireCodec.Decoder decoder;
    private Consumer<String> faultListener = WireCodec.Decoder.IGNORE_FAULTS;
    private PipeSender sender;
    private boolean eof;
    private volatile String lastWords;
    private volatile Supplier<MessageObject> exitEvent;
    private boolean exitDelivered;
    /** A frame taken from the buffer ahead of recv (by poll, or to settle past a fault). */
    private WireCodec.Frame ahead;
    /** Where replies that come on this pipe go (see {@link #readForReply}); null: recv gives them as messages. */
    private volatile Consumer<MessageObject> replySink;
    /** Frames a caller reading for its reply took off the socket before it, for recv, in order (after {@link #ahead}). */
    private final java.util.ArrayDeque<WireCodec.Frame> kept = new java.util.ArrayDeque<>();
    /** The decoder's {@link WireCodec.Decoder#consumed()} when {@link #kept} was last empty. */
    private long keptSince;
    /** Threads about to wait for the receive lock (see {@link #lockToReceive}): a caller reading for its reply lets go. */
    private final java.util.concurrent.atomic.AtomicInteger wantLock = new java.util.concurrent.atomic.AtomicInteger();
    /** The receiving thread was interrupted while it waited: its status is set again when it leaves. */
    private boolean interruptedWhileWaiting;
    /** Whether recv() returns without waiting: a whole frame at readPos, or the end of the stream. */
    private volatile boolean buffered;
    /** Messages received (not stop markers): a plain count for JMX, written under recvLock. */
    private long messagesReceived;
    /** The "exited" event recv() gave, or null (for JMX). */
    private volatile MessageObject exitReported;
    /** {@link #spinWhileAnswerLikely()} was called: a local link's waits spin too. */
    private volatile boolean spinsLocally;
    /** Spinning waits (under recvLock): when bytes last came, how many waits skip the spin, the next skip. */
    private long lastTookNanos;
    private int spinSkip;
    private int nextSpinSkip = 1;
    /** Spins that found bytes, and spins that found none (for the tests; written under recvLock). */
    private volatile long spinHits;
    private volatile long spinMisses;

    PipeReceiver(MessagePipe pipe, String label) {
        this.pipe = pipe;
        this.label = label;
        this.decoder = new WireCodec.Decoder(label);
    }

    void sender(PipeSender s) {
        this.sender = s;
    }

    void onEndOfStream(Supplier<MessageObject> event) {
        this.exitEvent = event;
    }

    String lastWords() {
        return lastWords;
    }

    void onFault(Consumer<String> listener) {
        this.faultListener = listener;
        decoder.onFault(listener);
    }

    void maxMessageBytes(int max) {
        decoder.maxMessageBytes(max);
    }

    boolean hasBufferedMessage() {
        return buffered;
    }

    /** The pipe was closed here: a reader that selects on it finds out at once. */
    void markClosed() {
        buffered = true;
    }

    long messagesReceived() {
        return messagesReceived;
    }

    MessageObject exitReported() {
        return exitReported;
    }

    /** Whether bytes are buffered that no frame read so far took (see {@code MessagePipe.handOver}). */
    boolean hasBytes() {
        recvLock.lock();
        try {
            return ahead != null || !kept.isEmpty() || decoder.hasBytes();
        } finally {
            recvLock.unlock();
        }
    }

    /** Start handshake only: whether what came in so far is a TLS record, not a frame. */
    boolean startsWithTlsRecord() {
        recvLock.lock();
        try {
            return ahead == null && decoder.startsWithTlsRecord();
        } finally {
            recvLock.unlock();
        }
    }

    /** A link just connected may hold bytes already (a TLS handshake's last read): they are taken in now. */
    void takeInitial() {
        recvLock.lock();
        try {
            ByteLink link = pipe.link;
            if (link != null && link.hasBufferedInput()) {
                fill(0);
            }
        } finally {
            noteBuffered(false);
            recvLock.unlock();
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
    int takeIn() {
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
                pipe.wakeWatcher();
            }
        }
    }

    /** See {@link MessagePipe#poll(double)}. */
    boolean poll(double timeoutSeconds) {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        lockToReceive();
        try {
            while (true) {
                if (ahead == null) {
                    ahead = nextDeliverable();
                }
                if (pipe.closedHere || ahead != null || eof) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (timeoutSeconds > 0 && left <= 0) {
                    return false;
                }
                sender.flushBeforeWait();
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

    /** See {@link MessagePipe#awaitBytes}. */
    void awaitBytes(long millis) {
        lockToReceive();
        try {
            if (ahead == null && kept.isEmpty() && !decoder.hasWholeFrame() && !eof && !pipe.closedHere) {
                sender.flushBeforeWait();
                fill(millis);
            }
        } finally {
            noteBuffered(true);
            leaveReceiving();
        }
    }

    /** See {@link MessagePipe#atEnd()}. */
    boolean atEnd() {
        lockToReceive();
        try {
            if (ahead == null) {
                ahead = nextDeliverable(); // last words are skipped, as recv skips them
            }
            return eof && ahead == null && !pipe.closedHere;
        } finally {
            noteBuffered(true);
            leaveReceiving();
        }
    }

    /** See {@link MessagePipe#recv(long)}. */
    MessageObject recv(long timeoutMillis) {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        lockToReceive();
        try {
            while (true) {
                if (pipe.closedHere) {
                    throw pipe.closedByClose();
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
                    MessageObject m = exitEventOnce();
                    if (m != null) {
                        return m;
                    }
                    throw pipe.closed("the other end closed the channel");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new MessagePipe.TimeoutWaiting(label + ": no message within " + timeoutMillis + " ms");
                }
                sender.flushBeforeWait();
                fill(Math.max(1, Math.min(left / 1_000_000, 1000)));
            }
        } finally {
            noteBuffered(true);
            leaveReceiving();
        }
    }

    /** Under recvLock, at the end of the stream: the frontend's "exited" event, the first time only; else null. */
    private MessageObject exitEventOnce() {
        Supplier<MessageObject> ev = exitEvent;
        if (ev != null && !exitDelivered) {
            exitDelivered = true;
            MessageObject m = ev.get();
            if (m != null) {
                exitReported = m;
                return m;
            }
        }
        return null;
    }

    /**
     * Under recvLock: the next message or stop frame in the buffer (faults reported
     * and skipped, last words kept), or null when none is complete.
     */
    private WireCodec.Frame nextDeliverable() {
        if (!kept.isEmpty()) {
            return kept.poll();
        }
        while (true) {
            WireCodec.Frame f = decoder.next();
            if (f == null) {
                return null;
            }
            if (!routed(f)) {
                return f; // a message, call, reply or stop marker
            }
        }
    }

    /** Under recvLock: whether {@code f} was taken here (last words; a reply, given to the sink). */
    private boolean routed(WireCodec.Frame f) {
        if (f.kind() == WireProtocol.EXIT) {
            lastWords = new String(f.payload(), StandardCharsets.UTF_8);
            return true;
        }
        Consumer<MessageObject> sink = replySink;
        if (f.kind() == WireProtocol.REPLY && sink != null) {
            sink.accept(f.message());
            return true;
        }
        return false;
    }

    /** See {@link MessagePipe#routeReplies}. */
    void routeReplies(Consumer<MessageObject> sink) {
        replySink = sink;
    }

    /**
     * See {@link MessagePipe#readForReply}: under the receive lock, if no other thread holds it
     * (false then, and nothing is read), reads until {@code done} holds, the stream ends, the thread
     * is interrupted, another thread waits to receive (a {@code recv} is never held up by a caller
     * that waits long), or {@link #KEEP_AHEAD_BYTES} of other frames wait: replies go to the sink,
     * everything else is kept, in order, for {@code recv}; a selector that watches this pipe is then
     * woken (its socket's readiness is gone with the bytes).
     */
    boolean readForReply(java.util.function.BooleanSupplier done) {
        if (recvLock.isHeldByCurrentThread() || !recvLock.tryLock()) {
            return false;
        }
        boolean keptAny = false;
        try {
            while (true) {
                keptAny |= keepFrames();
                if (done.getAsBoolean() || eof || pipe.closedHere || interruptedWhileWaiting
                        || wantLock.get() > 0 || recvLock.hasQueuedThreads() // a recv waits: it reads, and routes the reply
                        || !kept.isEmpty() && decoder.consumed() - keptSince > KEEP_AHEAD_BYTES) {
                    return true;
                }
                fill(REPLY_READ_SLICE_MILLIS); // what else would end the wait wakes it (wakeReplyReader)
            }
        } finally {
            noteBuffered(false);
            leaveReceiving();
            if (keptAny) {
                pipe.wakeWatcher();
            }
        }
    }

    /**
     * Takes the receive lock to receive, first telling a caller that reads for its reply
     * ({@link #readForReply}) to let go, and waking it: a recv is never held up by a waiting call.
     */
    private void lockToReceive() {
        if (recvLock.tryLock()) {
            return;
        }
        wantLock.incrementAndGet(); // before the wake: a reader that looks after it sees this, one before it is woken
        try {
            wakeReplyReader();
            recvLock.lock();
        } finally {
            wantLock.decrementAndGet();
        }
    }

    /** See {@link MessagePipe#wakeReplyReader()}. */
    void wakeReplyReader() {
        ByteLink link = pipe.link;
        if (link != null) {
            link.wakeReader();
        }
    }

    /** As {@link #lockToReceive}, waiting at most {@link #RELEASE_WAIT_MILLIS}; whether it has the lock. */
    private boolean tryLockToReceive() {
        wantLock.incrementAndGet();
        try {
            wakeReplyReader();
            return recvLock.tryLock(RELEASE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            wantLock.decrementAndGet();
        }
    }

    /**
     * See {@link MessagePipe#routeBufferedReplies}: waits for the receive lock (at most
     * {@link #RELEASE_WAIT_MILLIS}) and routes the replies among the whole frames buffered.
     */
    void routeBufferedReplies() {
        if (!tryLockToReceive()) {
            return; // a thread is receiving: it routes them as it reads
        }
        boolean keptAny;
        try {
            keptAny = keepFrames();
            noteBuffered(false);
        } finally {
            recvLock.unlock();
        }
        if (keptAny) {
            pipe.wakeWatcher();
        }
    }

    /** Under recvLock: decodes every whole frame buffered, routing replies and keeping the rest; whether it kept any. */
    private boolean keepFrames() {
        boolean keptAny = false;
        while (true) {
            long before = decoder.consumed();
            WireCodec.Frame f = decoder.next();
            if (f == null) {
                return keptAny;
            }
            if (!routed(f)) {
                if (kept.isEmpty()) {
                    keptSince = before;
                }
                kept.add(f);
                keptAny = true;
            }
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
        boolean b = pipe.closedHere || ahead != null || !kept.isEmpty() || decoder.hasWholeFrame()
                || (eof && pipe.link != null);
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

    /** See {@link MessagePipe#recvFrame(long)}. */
    WireCodec.Frame recvFrame(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        recvLock.lock();
        try {
            while (true) {
                WireCodec.Frame f = decoder.nextRaw();
                if (f != null) {
                    return f;
                }
                if (eof) {
                    throw pipe.closed("the other end closed the channel");
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
        ByteLink link = pipe.link; // readable until the end of stream, even after the other side exited
        if (link == null) {
            throw new IllegalStateException(label + ": the process has not started yet; call start() first");
        }
        try {
            int n = link.read(decoder.writable());
            if (n > 0) {
                tookIn(link);
                return true;
            }
            if (n < 0) {
                endOfStream();
                return false;
            }
            if (waitMillis <= 0) {
                return false;
            }
            n = spins(link) ? spinRead(link) : 0;
            if (n == 0) {
                interruptedWhileWaiting |= Thread.interrupted(); // else select returns at once, again and again
                link.awaitReadable(waitMillis);
                n = link.read(decoder.writable());
            }
            if (n < 0) {
                endOfStream();
            } else if (n > 0) {
                tookIn(link);
            }
            return n > 0;
        } catch (IOException | ClosedSelectorException e) {
            endOfStream(); // closed under us, or a broken connection: the end either way
            return false;
        }
    }

    /**
     * Under recvLock: takes in what the link holds already (TLS: records read with
     * the last ones), which no selector would report. Never touches the socket for
     * a plain link.
     */
    private void drain(ByteLink link) throws IOException {
        while (link.hasBufferedInput()) {
            int n = link.read(decoder.writable());
            if (n < 0) {
                endOfStream();
                return;
            }
            if (n == 0) {
                return; // a record that gives no bytes, such as a session ticket, was the last one here
            }
        }
    }

    /** Nothing more can come: the descriptors go back now; what was read stays for recv. */
    private void endOfStream() {
        eof = true;
        try {
            pipe.releaseDescriptors();
        } catch (UncheckedIOException e) {
            faultListener.accept(e.getMessage() + ": " + e.getCause());
        }
    }

    /**
     * Under recvLock, bytes just read from {@code link}: the peer may wait for an
     * answer (the next send is not deferred), a wait that spins notes when they came,
     * and the whole frames among them are decoded.
     */
    private void tookIn(ByteLink link) throws IOException {
        sender.tookIn();
        if (spins(link)) {
            lastTookNanos = System.nanoTime();
        }
        drain(link);
    }

    /**
     * Under recvLock, about to wait for a link that {@link #spins} to become readable: reads it in a
     * loop for up to {@link #SPIN_NANOS} instead, when an answer is likely (this pipe
     * wrote or took in bytes within {@link #SPIN_RECENT_NANOS}; wrote, and its last frame was not
     * a reply to a call, for a link that spins only in select, {@link ByteLink#spinsInSelect}). Bounded: nothing spins
     * on a pipe that was quiet, and after a spin that found nothing the next waits
     * (1, 2, 4 .. {@value #SPIN_MAX_SKIP} of them) park at once; a spin that finds
     * bytes lets the next wait spin again. Never yields the core: a thread that yields
     * on a loaded machine waits behind every runnable one (measured: the remote round
     * trip doubled under a load of 50 when the spin yielded), while one woken from a
     * wait is scheduled soon.
     *
     * @return what the last read gave: bytes (not yet drained), -1 at the end of the stream (not
     *         yet handled), 0 when nothing came (the caller waits in the selector)
     */
    private int spinRead(ByteLink link) throws IOException {
        long spin = spinNanos;
        if (spin <= 0) {
            return 0;
        }
        long t0 = System.nanoTime();
        // a link that spins only in select (TLS): only after this pipe sent a message (a request-reply on this
        // pipe); a backend that took a call in here and answered it, here or on its reply pipe, waits as before
        boolean all = spins(link);
        long last = all ? Math.max(lastTookNanos, sender.lastWriteNanos()) : sender.lastWriteNanos();
        if (t0 - last > SPIN_RECENT_NANOS || !all && sender.lastFrameReply()) {
            return 0;
        }
        if (spinSkip > 0) {
            spinSkip--;
            return 0;
        }
        long now = t0;
        while (now - t0 < spin) {
            Thread.onSpinWait(); // never yields: on a loaded machine a yielding thread waits behind all others
            int n = link.read(decoder.writable());
            if (n != 0) {
                spinHits++;
                nextSpinSkip = 1;
                return n;
            }
            if (pipe.closedHere) {
                return 0; // closed under us: the selector reports it
            }
            now = System.nanoTime();
        }
        spinMisses++;
        spinSkip = nextSpinSkip;
        nextSpinSkip = Math.min(SPIN_MAX_SKIP, nextSpinSkip * 2);
        return 0;
    }

    /**
     * See {@link FrameChannel#spinForMessage()}: before {@code safeSelect} waits on this
     * pipe alone, the bounded spin of {@link #spinRead} (links that {@link #spins} or
     * {@link ByteLink#spinsInSelect} only); whether a
     * message (or the end) is buffered now. Never waits for the receive lock.
     */
    boolean spinForMessage() {
        ByteLink link = pipe.link;
        if (link == null || !(link.spinsInSelect || spins(link)) || spinNanos <= 0 || !recvLock.tryLock()) {
            return false;
        }
        try {
            if (ahead != null || eof || decoder.hasWholeFrame()) {
                return true;
            }
            int n = spinRead(link);
            if (n > 0) {
                tookIn(link);
            } else if (n < 0) {
                endOfStream();
            }
        } catch (IOException | ClosedSelectorException e) {
            endOfStream(); // closed under us, or a broken connection: the end either way
        } finally {
            noteBuffered(true);
            recvLock.unlock();
        }
        return buffered;
    }

    /**
     * See {@link MessagePipe#spinWhileAnswerLikely()}: this pipe's waits spin as a TCP
     * pipe's do when its link is local too.
     */
    void spinWhileAnswerLikely() {
        spinsLocally = true;
    }

    /** Whether a wait on {@code link} spins first ({@link #spinRead}). */
    private boolean spins(ByteLink link) {
        return link.spins || spinsLocally && link.local;
    }

    /** Spins that ended with bytes or the end of the stream (for the tests). */
    long spinHits() {
        return spinHits;
    }

    /** Spins that found nothing and parked (for the tests). */
    long spinMisses() {
        return spinMisses;
    }

    /** See {@link MessagePipe#release()}. */
    void release() {
        if (!tryLockToReceive()) {
            return; // a thread is receiving: it reads up to the end of the stream, which releases them
        }
        try {
            ByteLink link = pipe.link;
            if (link == null || !link.isOpen()) {
                eof = link != null || eof;
                return;
            }
            try {
                while (!eof) {
                    int n = link.read(decoder.writable());
                    if (n <= 0) {
                        eof = true;
                    }
                }
            } catch (IOException e) {
                eof = true;
            }
            pipe.releaseDescriptors();
            noteBuffered(false);
        } finally {
            recvLock.unlock();
        }
    }
}
