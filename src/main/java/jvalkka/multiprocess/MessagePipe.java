package jvalkka.multiprocess;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
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
 *
 * <h2>Inside</h2>
 *
 * <p>This class holds what both directions share (the link, why and whether it
 * closed, the watching selector) and the public contract; {@code PipeSender} is
 * the sending side (coalescing buffer, deferred bytes, flush, the send lock),
 * {@code PipeReceiver} the receiving side (receive buffer and frame parsing,
 * the receive lock, the end of the stream), and {@code ByteLink} how bytes move
 * on the socket: straight ({@code ByteLink.Plain}) or through TLS ({@code TlsLink}).
 */
public final class MessagePipe extends FrameChannel {
    static final int MAX_TEXT_BYTES = WireProtocol.MAX_TEXT_BYTES;

    /** Default limit of one encoded message; bulk data belongs in shared memory. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = WireProtocol.DEFAULT_MAX_MESSAGE_BYTES;

    static final long COALESCE_NANOS = PipeSender.COALESCE_NANOS;
    static final int COALESCE_LIMIT = PipeSender.COALESCE_LIMIT;

    // the state both sides share; each side's own state is guarded by its own lock
    private final String label;
    /** How the bytes move on the socket; set once by connect. */
    volatile ByteLink link;
    private volatile String closedReason;
    /** {@link #close()} was called: nothing more is read, not even what was buffered. */
    volatile boolean closedHere;
    /** The selector of the last safeSelect on this pipe, woken when a send takes messages in. */
    volatile Selector watcher;
    private final PipeReceiver receiver;
    private final PipeSender sender;

    MessagePipe(String label) {
        this.label = label;
        this.receiver = new PipeReceiver(this, label);
        this.sender = new PipeSender(this, receiver);
        receiver.sender(sender);
    }

    void connect(SocketChannel ch) throws IOException {
        ch.configureBlocking(false);
        this.link = new ByteLink.Plain(ch);
    }

    /**
     * Connects over TLS: runs the handshake of {@code engine} (in the client or
     * server mode it was given, with its client-authentication setting) on
     * {@code ch}, for at most {@code handshakeTimeoutMillis}, then behaves exactly
     * as {@link #connect(SocketChannel)}: the same frames, flow control and
     * coalescing, {@link #channel()} selectable beside other channels, with the
     * bytes encrypted under it. TLS post-handshake messages (session tickets, key
     * updates) are handled within; {@link #close()} sends {@code close_notify} when
     * no sender is busy; the peer's {@code close_notify} (or a bare end of the TCP
     * stream) is the end of the stream.
     *
     * @throws javax.net.ssl.SSLHandshakeException when the peer is refused (its
     *         certificate is not signed by a trusted authority, it gave none, it
     *         does not speak TLS); {@code ch} is closed then
     * @throws java.net.SocketTimeoutException when the handshake did not finish in
     *         time; {@code ch} is closed then
     * @throws IOException when the connection broke; {@code ch} is closed then
     */
    void connect(SocketChannel ch, javax.net.ssl.SSLEngine engine, long handshakeTimeoutMillis) throws IOException {
        ch.configureBlocking(false);
        TlsLink l = TlsLink.handshake(label, ch, engine, handshakeTimeoutMillis, sender::linkWantsToWrite);
        this.link = l;
        receiver.takeInitial();
    }

    /**
     * Start handshake only: gives up this pipe's connection (its socket, and its
     * TLS session if it has one) for another pipe to {@link #connect(ByteLink) take
     * over}: a remote backend's hello frame, read on this pipe, said which pipe it
     * belongs to. This pipe is closed; the connection stays open.
     *
     * @throws IllegalStateException when bytes past the frames read are buffered here
     */
    ByteLink handOver() {
        ByteLink l = link;
        if (l == null || receiver.hasBytes() || l.hasBufferedInput()) {
            throw new IllegalStateException(label + ": nothing to hand over, or bytes after the handshake");
        }
        link = null;
        closedHere = true;
        return l;
    }

    /** Takes over the connection another pipe {@link #handOver handed over}. */
    void connect(ByteLink l) {
        this.link = l;
        receiver.takeInitial();
    }

    /**
     * What {@link #recv()} returns once at the end of the stream, before it throws
     * {@link PipeClosedException}: the frontend's "exited" event (the supplier may
     * return null for none, and may wait briefly for the exit status).
     */
    void onEndOfStream(java.util.function.Supplier<MessageObject> event) {
        receiver.onEndOfStream(event);
    }

    /** The reason the other side sent with its last frame before exiting, or null. */
    String lastWords() {
        return receiver.lastWords();
    }

    /**
     * Where faults on this pipe are reported: garbage, truncated or undecodable
     * frames. Called by the receiving thread; the listener must not block (it may
     * {@link #trySendNow}).
     */
    void onFault(Consumer<String> listener) {
        receiver.onFault(listener);
    }

    void maxMessageBytes(int max) {
        sender.maxMessageBytes(max);
        receiver.maxMessageBytes(max);
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
        ByteLink l = link;
        if (l == null) {
            throw new IllegalStateException(label + ": the process has not started yet; call start() first");
        }
        return l.ch;
    }

    boolean isConnected() {
        return link != null;
    }

    /**
     * Whether a whole message is already buffered (or the end of the stream was
     * seen), so that {@link #recv()} returns at once. Never waits.
     *
     * @return whether a whole message is already buffered (or the end of the stream was seen), so that {@link #recv()} returns at once
     */
    public boolean hasBufferedMessage() {
        return receiver.hasBufferedMessage();
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
        sender.send(WireProtocol.MESSAGE, 0, m);
    }

    /**
     * Sends a proxy call: {@code m} in a {@link WireProtocol.Kind#CALL} frame of call
     * {@code id}, which the backend answers with a reply of that id. As {@link #send};
     * {@code now} (a synchronous call, whose caller waits for the reply next): written at
     * once, never deferred to coalesce with a next message.
     */
    @Override
    void sendCall(long id, MessageObject m, boolean now) {
        sender.send(WireProtocol.CALL, id, m, now);
    }

    /**
     * Sends the reply to call {@code id}: see {@link WireProtocol#replyValue(Object)}. As {@link #send};
     * {@code now}: written at once (with whatever waited to coalesce before it), never left for the
     * flusher, since its caller waits for it.
     */
    @Override
    void sendReply(long id, MessageObject reply, boolean now) {
        sender.send(WireProtocol.REPLY, id, reply, now);
    }

    /**
     * Writes whatever is pending, waiting while the socket is full (and taking in
     * meanwhile, as {@link #send} does).
     */
    public void flush() {
        sender.flush();
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
        return sender.flush(timeoutMillis);
    }

    /** Encoded bytes waiting in the coalescing buffer, not written yet (for the tests). */
    int deferredBytes() {
        return sender.deferredBytes();
    }

    /** The messages sent so far (for JMX; read without a lock, so possibly a few behind). */
    long messagesSent() {
        return sender.messagesSent();
    }

    /** Frames sent so far, stop markers too (see {@code PipeSender#framesSent}). */
    long framesSent() {
        return sender.framesSent();
    }

    /** The messages received so far (for JMX; read without a lock, so possibly a few behind). */
    long messagesReceived() {
        return receiver.messagesReceived();
    }

    /** The "exited" event {@link #recv()} gave, or null. */
    MessageObject exitReported() {
        return receiver.exitReported();
    }

    long lastWriteNanos() {
        return sender.lastWriteNanos();
    }

    void sendRaw(byte kind, byte[] payload) {
        if (kind == WireProtocol.EXIT && payload.length > MAX_TEXT_BYTES) {
            payload = java.util.Arrays.copyOf(payload, MAX_TEXT_BYTES);
        }
        sender.sendRaw(kind, payload);
    }

    /** Test hook: puts arbitrary bytes on the wire. */
    void writeRawBytes(byte[] bytes) {
        sender.writeRawBytes(bytes);
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
        return sender.trySendNow(m);
    }

    /**
     * A pipe about to wait for the other side first sends what it deferred, or both
     * could wait: as far as the socket takes it without waiting, and not at all if
     * another thread is sending (that thread writes it). The flusher sends the rest.
     */
    void flushBeforeWait() {
        sender.flushBeforeWait();
    }

    /**
     * Makes this pipe's waits for a message spin first, briefly, when its link is
     * local (a backend on this host), as a TCP pipe's always do (see
     * {@code PipeReceiver}: only while an answer is likely, busy for at most
     * {@code -Djvalkka.remoteSpinMicros}, backing off after spins in vain). For the
     * frontend's internal pipe, whose replies a synchronous caller waits for: a
     * caller parked in its selector is woken tens of microseconds after the reply
     * came (measured on an idle 2-core machine: a local proxy call's median 85 us
     * parked, 30-42 us spinning).
     */
    void spinWhileAnswerLikely() {
        receiver.spinWhileAnswerLikely();
    }

    @Override
    boolean spinForMessage() {
        return receiver.spinForMessage();
    }

    /** Waits that spun and found bytes or the end (for the tests). */
    long spinHits() {
        return receiver.spinHits();
    }

    /** Waits that spun, found nothing and parked (for the tests). */
    long spinMisses() {
        return receiver.spinMisses();
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
        return receiver.recv(-1);
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
        return receiver.poll(timeoutSeconds);
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

    /**
     * Whether the other end has closed the channel and every message it sent was
     * received: {@link #recv()} would give the end now. Reads nothing from the
     * socket and never waits (call {@link #poll(double)} first to take in what
     * arrived). For a backend's main pipe in its frontend, the end is the first
     * sign that the backend died: {@code recv()} then gives the {@code "exited"}
     * event, which waits (up to a second) for the exit status, and this does not.
     *
     * @return whether this pipe's stream has ended with nothing left to receive
     */
    public boolean atEnd() {
        return receiver.atEnd();
    }

    /**
     * From now on, {@link WireProtocol.Kind#REPLY} frames that come on this pipe go to {@code sink}
     * (on the receiving thread, which must not wait in it), and {@link #recv()} never gives them: the
     * frontend's main pipe, on which a synchronous proxy call's reply may come back
     * ({@link WireProtocol#answeredOnCallPipe}).
     */
    void routeReplies(java.util.function.Consumer<MessageObject> sink) {
        receiver.routeReplies(sink);
    }

    /**
     * A synchronous caller reads this pipe for its reply, which the {@link #routeReplies sink}
     * takes: when no other thread receives (else it returns false at once, having read nothing:
     * that thread routes the reply as it reads), until {@code done} holds (the sink took it), the
     * stream ends, the thread is interrupted, another thread waits to receive (it routes the reply
     * then), or {@link PipeReceiver#KEEP_AHEAD_BYTES} of messages wait. The messages it meets
     * before the reply are kept in order for {@link #recv()}, which gives them first ({@link #hasBufferedMessage()} says so, and a {@code safeSelect} waiting on
     * this pipe is woken).
     *
     * @return whether this thread read (false: another thread receives)
     */
    boolean readForReply(java.util.function.BooleanSupplier done) {
        return receiver.readForReply(done);
    }

    /**
     * Routes the replies among the whole frames buffered here (the backend ended: before its
     * waiting calls fail); waits up to two seconds for a receiving thread, which routes them itself.
     */
    void routeBufferedReplies() {
        receiver.routeBufferedReplies();
    }

    /**
     * Ends the socket wait of a caller in {@link #readForReply} now, so that it looks at its call
     * again: a thread that completed that call (failed it) calls this. Any thread; never waits.
     */
    void wakeReplyReader() {
        receiver.wakeReplyReader();
    }

    /**
     * Waits once, at most {@code millis}, for bytes, unless a message (or the end) is buffered
     * already: the wait ends when bytes come, on {@link #wakeReplyReader()}, or on an interrupt
     * (whose status stays set), and takes in what came. For the reply reader of the internal pipe.
     */
    void awaitBytes(long millis) {
        receiver.awaitBytes(millis);
    }

    /** Whether this pipe runs over a Unix-domain socket (a backend on this host); false before it connects. */
    boolean isLocal() {
        ByteLink l = link;
        return l != null && l.local;
    }

    /** Receives with a timeout in milliseconds ({@code <0}: forever); see {@link #recv()}. */
    MessageObject recv(long timeoutMillis) {
        return receiver.recv(timeoutMillis);
    }

    /** Thrown by timed receives. */
    static final class TimeoutWaiting extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TimeoutWaiting(String m) {
            super(m);
        }
    }

    /**
     * Start handshake on a plain connection only: whether the peer's first bytes
     * were a TLS record (a TLS client at a plain endpoint) rather than a frame.
     */
    boolean receivedTlsRecord() {
        return receiver.startsWithTlsRecord();
    }

    /** Reads the next raw frame (for the start handshake); {@code null} on timeout. */
    WireCodec.Frame recvFrame(long timeoutMillis) throws IOException {
        return receiver.recvFrame(timeoutMillis);
    }

    // ------------------------------------------------------------ closing

    /** The link, for a send: throws when the pipe has not started or has closed. */
    ByteLink linkOrThrow() {
        ByteLink l = link;
        if (l == null) {
            throw new IllegalStateException(label + ": the process has not started yet; call start() first");
        }
        if (closedReason != null) {
            throw new PipeClosedException(label + ": " + closedReason);
        }
        return l;
    }

    String closedReason() {
        return closedReason;
    }

    /** Marks why the pipe closed (for the exception messages), e.g. the backend's exit status. */
    void closedBecause(String reason) {
        if (closedReason == null) {
            closedReason = reason;
        }
    }

    PipeClosedException closedByClose() {
        String why = closedReason;
        return new PipeClosedException(label + ": the pipe was closed"
                + (why == null || why.equals("closed") ? "" : " (" + why + ")"));
    }

    PipeClosedException closed(String what) {
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
        ByteLink l = link;
        if (l != null && closedReason == null && l.isOpen()) {
            sender.closeOutbound(l); // TLS: close_notify, if no sender is busy; never waits
        }
        closedBecause("closed");
        closedHere = true;
        receiver.markClosed(); // a reader that selects on it finds out at once
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
        receiver.release();
    }

    /**
     * Wakes the {@code safeSelect} that watches this pipe, if one does: what it waits for changed
     * without its socket becoming ready (bytes taken in by another thread, the pipe closed).
     */
    void wakeWatcher() {
        Selector w = watcher;
        if (w != null) {
            w.wakeup();
        }
    }

    /** Whether the pipe's socket and selectors are closed (released or closed). */
    boolean isReleased() {
        ByteLink l = link;
        return l != null && !l.isOpen();
    }

    void releaseDescriptors() {
        wakeWatcher(); // a safeSelect waiting on this pipe finds it closed now, not at a timer tick
        ByteLink l = link;
        if (l != null) {
            l.release(label);
        }
    }
}
