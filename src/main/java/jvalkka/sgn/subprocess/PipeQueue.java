package jvalkka.sgn.subprocess;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import jvalkka.multiprocess.MessageObject;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Process mode with a placed worker (its JVM on another host, so no shared memory): one
 * direction of the worker's queues carried over the process pipe. The producer end encodes an
 * item as {@link RingQueue} does and sends it as {@code MessageObject(FRAME, "b", bytes, "last",
 * bool)} messages of at most {@link #PIECE} bytes each (so items of any size stay under the
 * pipe's message limit); the consumer end's reading thread (the frontend's monitor, or the
 * backend's loop) hands the pieces to {@link #receive}, and the consuming thread decodes whole
 * items in order.
 *
 * <p>Backpressure: a window of {@code windowBytes} (the element's ring size): the producer waits
 * while the bytes it sent and the consumer has not acknowledged would exceed it (an item larger
 * than the window goes alone, as an item larger than a ring fills the ring by itself). The
 * consumer acknowledges ({@code MessageObject(ACK, "n", bytes)}) what it took, in batches of an
 * eighth of the window or when it has taken everything that arrived. So at most one window (plus
 * one item) is held at the receiving end, whatever the reader does, and the reading threads never
 * block on a full queue: they must keep reading, since the same pipe carries the stop,
 * shutdown and "terminated" messages. The pipe's own flow control (socket buffers) is not relied
 * on for the bound.
 *
 * <p>No deadlock when both directions are full: as {@link RingQueue#spillWhileBlocked}, the main
 * side's {@code inQueue}, while it waits for the window, acknowledges what has arrived in its
 * {@code outQueue} (keeping it in a local buffer that queue hands out first), so that a worker
 * blocked on its output can go on.
 *
 * <p>Threading: one thread puts, one thread gets, one thread calls {@link #receive} and
 * {@link #acked}; waits are bounded (20 ms) re-checks of the other end ({@link OtherEnd}).
 */
final class PipeQueue extends DeadlineQueue {
    /** Command of a piece of an item. */
    static final String FRAME = "sgnframe";
    /** Command of an acknowledgement of taken bytes. */
    static final String ACK = "sgnack";
    /** The largest piece of an item in one message: well under the pipe's 16 MiB message limit. */
    static final int PIECE = 1 << 20;
    private static final long WAIT_MILLIS = 20;

    private final boolean producer;
    private final Consumer<MessageObject> link;
    private final OtherEnd peer;
    private final long windowBytes;
    private final String name;

    // producer end
    private final FrameCodec.Encoder encoder;
    private long sent;
    /** Bytes the consumer acknowledged (written by the reading thread). */
    private long acked;
    private PipeQueue spillTarget;
    /** The most bytes in flight after a put, and how many puts waited for the window (tests, JMX). */
    private long maxInFlight;
    private long holds;

    // consumer end
    private final FrameCodec.Decoder decoder;
    /** Whole items received (reading thread adds, consuming thread takes). */
    private final ConcurrentLinkedQueue<byte[]> arrived = new ConcurrentLinkedQueue<>();
    /** Items already acknowledged by {@link #spill()}, handed out first (consuming thread only). */
    private final ArrayDeque<byte[]> spilled = new ArrayDeque<>();
    /** Pieces of the item being received (reading thread only). */
    private byte[] assembly;
    private int filled;
    private volatile boolean assembling;
    private long unacked;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);

    /**
     * @param producer    whether this end puts
     * @param link        sends a message to the other end (a frame piece, or an acknowledgement)
     * @param peer        checked while waiting
     * @param windowBytes the most unacknowledged bytes in flight
     * @param name        for messages
     */
    PipeQueue(boolean producer, Consumer<MessageObject> link, OtherEnd peer, long windowBytes, String name) {
        this.producer = producer;
        this.link = link;
        this.peer = peer;
        this.windowBytes = windowBytes;
        this.name = name;
        this.encoder = producer ? new FrameCodec.Encoder() : null;
        this.decoder = producer ? null : new FrameCodec.Decoder();
    }

    /** Main side: while a put waits for the window, acknowledge what arrived in {@code out} (see the class comment). */
    void spillWhileBlocked(PipeQueue out) {
        spillTarget = out;
    }

    // ------------------------------------------------------------------ producing

    @Override
    public void put(Object item) {
        if (!producer) {
            throw wrongEnd("put");
        }
        peer.checkPut();
        byte[] bytes = encode(item);
        waitForWindow(bytes.length);
        synchronized (this) {
            sent += bytes.length;
            maxInFlight = Math.max(maxInFlight, sent - acked);
        }
        if (bytes.length <= PIECE) {
            link.accept(new MessageObject(FRAME, "b", text(bytes), "last", true));
            return;
        }
        for (int at = 0; at < bytes.length; at += PIECE) {
            int end = Math.min(bytes.length, at + PIECE);
            link.accept(new MessageObject(FRAME, "b", text(Arrays.copyOfRange(bytes, at, end)), "last",
                    end == bytes.length));
        }
    }

    /**
     * Bytes as a message parameter: Base64 text, which the pipe's codec writes and reads on its
     * plain (Jackson-free) path, where a {@code byte[]} would take the typed path.
     */
    static String text(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** The bytes of a parameter written by {@link #text}. */
    static byte[] bytes(Object parameter) {
        return Base64.getDecoder().decode((String) parameter);
    }

    /** Sends an acknowledgement of {@code n} bytes (in int-sized parts: the plain codec carries ints). */
    private void ack(long n) {
        while (n > 0) {
            int part = (int) Math.min(n, Integer.MAX_VALUE);
            link.accept(new MessageObject(ACK, "n", part));
            n -= part;
        }
    }

    private byte[] encode(Object item) {
        FrameCodec.Encoder enc = encoder;
        enc.encode(item);
        try {
            long total = (long) enc.headLength + enc.tailBytes;
            if (total > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("an item of " + total + " bytes is too large for a worker queue");
            }
            byte[] b = new byte[(int) total];
            enc.head.getBytes(0, b, 0, enc.headLength);
            if (enc.tail != null) {
                view.wrap(b);
                FrameCodec.copyFromArray(enc.tail, enc.tailBase, 0, view, enc.headLength, enc.tailBytes);
                view.wrap(new byte[0]);
            }
            return b;
        } finally {
            enc.clearTail();
        }
    }

    private void waitForWindow(int length) {
        boolean held = false;
        while (true) {
            synchronized (this) {
                long inFlight = sent - acked;
                if (inFlight == 0 || inFlight + length <= windowBytes) {
                    return;
                }
                if (!held) {
                    held = true;
                    holds++;
                }
            }
            if (peer.gone()) {
                throw peer.goneError(false);
            }
            if (spillTarget != null && spillTarget.spill()) {
                continue; // the worker can go on now, and then take from us: try again first
            }
            synchronized (this) {
                if (sent - acked != 0 && sent - acked + length > windowBytes) {
                    try {
                        wait(WAIT_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting to put into " + name, e);
                    }
                }
            }
        }
    }

    /** Producer end, reading thread: the consumer took {@code bytes} more. */
    void acked(long bytes) {
        synchronized (this) {
            acked += bytes;
            notifyAll();
        }
    }

    /** Bytes sent and not yet acknowledged (for tests and JMX). */
    synchronized long inFlight() {
        return sent - acked;
    }

    /** The most bytes that were in flight at once. */
    synchronized long maxInFlight() {
        return maxInFlight;
    }

    /** How many puts waited for the window (the sender held back). */
    synchronized long holds() {
        return holds;
    }

    long windowBytes() {
        return windowBytes;
    }

    // ------------------------------------------------------------------ consuming

    /** Consumer end, reading thread: one piece of an item. */
    void receive(byte[] piece, boolean last) {
        if (assembly == null && last) {
            deliver(piece);
            return;
        }
        assembling = true;
        if (assembly == null) {
            assembly = new byte[Math.max(piece.length * 2, 1 << 16)];
            filled = 0;
        }
        if (filled + piece.length > assembly.length) {
            assembly = Arrays.copyOf(assembly, Math.max(filled + piece.length, assembly.length * 2));
        }
        System.arraycopy(piece, 0, assembly, filled, piece.length);
        filled += piece.length;
        if (last) {
            byte[] whole = filled == assembly.length ? assembly : Arrays.copyOf(assembly, filled);
            assembly = null;
            deliver(whole);
            assembling = false;
        }
    }

    private void deliver(byte[] item) {
        arrived.add(item);
        synchronized (this) {
            notifyAll();
        }
    }

    /** Consumer end (main side): acknowledges everything that arrived, keeping it locally; whether any. */
    boolean spill() {
        boolean moved = false;
        long n = 0;
        for (byte[] b; (b = arrived.poll()) != null; ) {
            spilled.add(b);
            n += b.length;
            moved = true;
        }
        if (moved || unacked > 0) {
            ack(n + unacked);
            unacked = 0;
        }
        return moved;
    }

    @Override
    @SuppressWarnings("unchecked")
    <T> T take(long deadline, boolean forever) throws Empty {
        if (producer) {
            throw wrongEnd("get");
        }
        if (!spilled.isEmpty()) {
            return (T) decode(spilled.poll());
        }
        while (true) {
            byte[] b = arrived.poll();
            if (b != null) {
                unacked += b.length;
                if (unacked >= windowBytes / 8 || arrived.isEmpty()) {
                    ack(unacked);
                    unacked = 0;
                }
                return (T) decode(b);
            }
            if (peer.gone()) {
                if (!arrived.isEmpty()) {
                    continue;
                }
                RuntimeException e = peer.goneError(true);
                if (!assembling && !forever && e instanceof IllegalStateException) {
                    throw Empty.INSTANCE;
                }
                throw e;
            }
            if (!forever && (deadline == 0 || System.nanoTime() - deadline >= 0)) {
                throw Empty.INSTANCE;
            }
            synchronized (this) {
                if (arrived.isEmpty()) {
                    long millis = WAIT_MILLIS;
                    if (!forever) {
                        millis = Math.max(1, Math.min(millis, (deadline - System.nanoTime()) / 1_000_000));
                    }
                    try {
                        wait(millis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting on " + name, e);
                    }
                }
            }
        }
    }

    private Object decode(byte[] b) {
        view.wrap(b);
        try {
            return decoder.decode(view, 0, b.length);
        } finally {
            view.wrap(new byte[0]);
        }
    }

    @Override
    public boolean isEmpty() {
        if (producer) {
            return inFlight() == 0;
        }
        if (spilled.isEmpty() && arrived.isEmpty()) {
            peer.checkEmpty();
            return true;
        }
        return false;
    }

    /** Wakes both ends, so that they re-check the other end. */
    @Override
    void wakeAll() {
        synchronized (this) {
            notifyAll();
        }
    }

    private UnsupportedOperationException wrongEnd(String op) {
        return new UnsupportedOperationException(op + " on worker queue " + name + " from the wrong side: in process"
                + " mode the main side puts into inQueue and gets from outQueue, the worker the reverse");
    }
}
