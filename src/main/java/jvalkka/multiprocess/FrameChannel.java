package jvalkka.multiprocess;

import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;

/**
 * The transport seam: one end of a duplex channel over which a frontend and its
 * backend exchange frames ({@link WireProtocol}). Everything above it (the
 * frontend's calls, replies and events, the backend loop's dispatch) sees only
 * this; everything below it (how the bytes travel, how the two ends found and
 * trusted each other) is the implementation's.
 *
 * <p>{@link MessagePipe} implements it over any connected stream socket: a
 * Unix-domain socket between the two halves of a local {@link MessageProcess},
 * or a TCP connection ({@link TcpChannels}), which is what a backend on another
 * host needs, plain or through mutual TLS 1.3 under the pipe
 * ({@code MessagePipe.connect(SocketChannel, SSLEngine, long)}: the connection is
 * authenticated before the channel carries a frame). The contract, which
 * {@code FrameChannelContract} tests on every implementation (Unix socket, TCP, TLS):
 *
 * <ul>
 * <li>frames arrive whole, in the order they were sent, none lost or
 *     duplicated; the stop marker ({@code null}) is a frame like any other;</li>
 * <li>a send waits only while the other side does not read, and meanwhile takes
 *     in what the other side sends, so two ends that both send a burst before
 *     reading do not deadlock;</li>
 * <li>a message over the limit ({@link MessagePipe#DEFAULT_MAX_MESSAGE_BYTES}
 *     unless set) is refused with {@link IllegalArgumentException} and nothing
 *     is sent; a frame that claims more is refused by the receiver, which
 *     resynchronises;</li>
 * <li>after the other end closed, {@code recv} returns what was sent before,
 *     then throws {@link PipeClosedException}; {@code poll} returns true once
 *     that is so; after {@link #close()} here, every call throws or returns at
 *     once;</li>
 * <li>readiness: {@link #channel()} is registered for {@code OP_READ} with a
 *     {@link Selector} ({@link Select#safeSelect} does it, beside other channels),
 *     and {@link #hasBufferedMessage()} says whether a message is waiting already,
 *     which no selector can see.</li>
 * </ul>
 *
 * <p>An abstract class rather than an interface only so that the seam's methods
 * (calls, replies, the selector hooks) stay out of the public API of
 * {@link MessagePipe}: they are package-private here.
 */
abstract class FrameChannel implements AutoCloseable {
    /**
     * Sends a message frame ({@code null}: the stop marker); see {@link MessagePipe#send}.
     *
     * @param m the message, or {@code null} for the stop marker
     */
    public abstract void send(MessageObject m);

    /**
     * Sends a proxy call: {@code m} in a call frame of id {@code id} (not 0); {@code now}:
     * written at once, never deferred to coalesce (a synchronous call).
     */
    abstract void sendCall(long id, MessageObject m, boolean now);

    /** Sends the reply to call {@code id}; {@code now}: written at once, never deferred to coalesce. */
    abstract void sendReply(long id, MessageObject reply, boolean now);

    /** Sends whatever was deferred to coalesce a burst, waiting while the other side does not read. */
    public abstract void flush();

    /**
     * The next message, call or reply ({@code null}: the stop marker), waiting at
     * most {@code timeoutMillis} ({@code < 0}: for ever).
     *
     * @throws MessagePipe.TimeoutWaiting when nothing came within the timeout
     * @throws PipeClosedException after the other end closed and all it sent was received
     */
    abstract MessageObject recv(long timeoutMillis);

    /**
     * Whether {@code recv} would return within {@code timeoutSeconds} (0 polls); true also at the end.
     *
     * @param timeoutSeconds how long to wait for a frame; 0 only looks
     * @return true when a frame is buffered or the other end closed (so {@code recv} does not wait)
     */
    public abstract boolean poll(double timeoutSeconds);

    /**
     * Whether a whole message is already buffered, so that {@code recv} returns at once. Never waits.
     *
     * @return true when a whole frame (or the end of the stream) is buffered already
     */
    public abstract boolean hasBufferedMessage();

    /**
     * The selectable channel to register for {@code OP_READ}; non-blocking.
     *
     * @return the underlying channel, in non-blocking mode
     */
    public abstract SelectableChannel channel();

    /** Closes this end; idempotent; a thread blocked in it wakes with {@link PipeClosedException}. */
    @Override
    public abstract void close();

    // ------------------------------------------------- hooks for Select.safeSelect

    /** Whether the channel exists yet (a process's pipe before start() has none). */
    abstract boolean isConnected();

    /** safeSelect is about to wait on this channel with {@code selector}: a send that takes messages in wakes it. */
    abstract void watchedBy(Selector selector);

    /** Sends, without waiting, what was deferred for coalescing: a request must leave before we wait for its reply. */
    abstract void flushBeforeWait();

    /**
     * Before a wait in {@code safeSelect} on this channel alone: spins for a message
     * for a bounded time when one is likely to come soon (see
     * {@link PipeReceiver#spinForMessage()}); whether one is buffered now. Default: no spin.
     */
    boolean spinForMessage() {
        return false;
    }
}
