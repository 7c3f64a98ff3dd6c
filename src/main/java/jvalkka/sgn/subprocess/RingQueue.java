package jvalkka.sgn.subprocess;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;

import jvalkka.shm.internal.Futex;
import jvalkka.shm.SharedMemory;
import jvalkka.shm.internal.Waiter;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Process mode: one direction of a worker's queues, an Agrona {@link OneToOneRingBuffer} laid
 * over part of a shared-memory segment. One JVM is the producer end, the other the consumer.
 *
 * <p>Layout of the segment (see {@link #segmentSize}): a 4 KiB control block, then the
 * main-to-worker ring, then the worker-to-main ring. The control block holds, per ring, a
 * "data" and a "space" futex word, each with a "someone sleeps" flag.
 *
 * <p>Waking: a waiting end spins, yields, then sleeps on a futex word (one {@link Waiter} per
 * end, the ladder the EventGroup waiters use too). It sleeps only when the
 * ring's producer and consumer positions are equal (never just because {@code read} returned 0:
 * Agrona returns 0 when it consumed only the padding record at the wrap point), after setting
 * its flag and re-checking; the other end publishes first, then (after a full fence) reads the
 * flag and bumps and wakes the word. Sleeps are bounded (20 ms) so that a dead peer is noticed.
 *
 * <p>Items larger than the ring's largest message go as a first piece (carrying the total
 * length) and following pieces; the consumer reassembles them, so they arrive whole.
 *
 * <p>No deadlock when both rings are full: while the main side waits for room in its
 * {@code inQueue}, it takes what the worker sent into a main-side buffer (see
 * {@link #spillWhileBlocked}), which its {@code outQueue} hands out first.
 *
 * <p><b>Closing.</b> The rings are raw memory in the segment: an access after the segment is
 * unmapped would crash the JVM. So the owner releases the segment through
 * {@link #close(SharedMemory, RingQueue, RingQueue)}, never by closing it directly: each end is
 * marked closed (every operation that begins later throws {@link IllegalStateException} naming
 * the queue, and a waiting one ends with it), and the segment is unmapped only once no
 * operation is under way at either end, or not at all (left mapped until the JVM exits, and
 * logged) if one does not end within {@link #CLOSE_WAIT_NANOS}. The cost on the frame path is two
 * atomic adds per operation (the end's {@code busy} count, which the closer reads after marking
 * the end closed). A count, not a flag: an end is entered by more than one thread (a blocked
 * {@code put} on the main side spills the other ring's consumer end, which the thread that polls
 * {@code outQueue} may be in at the same moment; a flag cleared by one of them let the closer
 * unmap under the other, a crash {@code RingCloseRaceTest} caught). {@link #wakeAll()}, which other
 * threads call, is synchronized with the close instead.
 */
final class RingQueue extends DeadlineQueue {
    static final int CONTROL_BYTES = 4096;
    private static final int MSG_WHOLE = 1;
    private static final int MSG_FIRST = 2;
    private static final int MSG_NEXT = 3;
    /** How long an end spins before it yields (then sleeps): as long as an EventGroup waiter spins. */
    private static final long SPIN_NANOS = 50_000;
    private static final int YIELDS = 50;
    private static final long SLEEP_NANOS = 20_000_000;
    /** Without a futex, the longest park of a waiting end. */
    private static final long MAX_PARK_NANOS = 100_000;
    /** How long {@link #close(SharedMemory, RingQueue, RingQueue)} waits for an operation under way to end. */
    static final long CLOSE_WAIT_NANOS = 2_000_000_000L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RingQueue.class);
    private static final VarHandle BUSY;

    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(RingQueue.class, "busy", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final OneToOneRingBuffer ring;
    private final AtomicBuffer ringBuffer;
    private final UnsafeBuffer control;
    private final long controlAddress;
    private final int dataSeq;
    private final int dataWait;
    private final int spaceSeq;
    private final int spaceWait;
    private final boolean producer;
    private final OtherEnd peer;
    private final int maxMessage;
    private final String name;
    /** This end's wait ladder (one thread uses an end). */
    private final Waiter waiter = new Waiter(SPIN_NANOS, YIELDS, true, MAX_PARK_NANOS);

    private final FrameCodec.Encoder encoder;
    private final FrameCodec.Decoder decoder;
    private final Reader reader;
    /** Consumer end: items taken out of the ring by {@link #spill()}, handed out first (NULL for null). */
    private final ArrayDeque<Object> spilled;
    /** Producer end on the main side: the outQueue to spill while this waits for room. */
    private RingQueue spillTarget;
    /** Set (under this object's lock) by {@link #close(long)}: no operation begins after it. */
    private volatile boolean closed;
    /** How many threads are inside an operation on this end's ring ({@link #enter()}, {@link #exit()}). */
    private volatile int busy;

    /**
     * The largest ring: the largest power of two whose {@link #segmentSize} fits one mapping
     * ({@link SharedMemory#MAX_SIZE}); two rings of the next one, 1 GiB, do not.
     */
    static final int MAX_RING_CAPACITY = 1 << 29;

    /**
     * Total bytes of a segment with two rings of {@code ringCapacity} bytes each (a power of two),
     * computed in {@code long}.
     *
     * @throws IllegalArgumentException when that is more than one segment holds ({@link SharedMemory#MAX_SIZE})
     */
    static long segmentSize(int ringCapacity) {
        long size = CONTROL_BYTES + 2L * ((long) ringCapacity + RingBufferDescriptor.TRAILER_LENGTH);
        if (size > SharedMemory.MAX_SIZE) {
            throw new IllegalArgumentException("two rings of " + ringCapacity + " bytes need a segment of " + size
                    + " bytes, more than one segment holds (" + SharedMemory.MAX_SIZE + "); the largest ring is "
                    + MAX_RING_CAPACITY);
        }
        return size;
    }

    /**
     * @param segment      the shared segment (mapped in this JVM)
     * @param ringCapacity bytes per ring, a power of two
     * @param which        0: main to worker; 1: worker to main
     * @param producer     whether this JVM writes into this ring
     * @param peer         checked while waiting
     */
    RingQueue(SharedMemory segment, int ringCapacity, int which, boolean producer, OtherEnd peer, String name) {
        this(segment, 0, ringCapacity, which, producer, peer, name);
    }

    /**
     * A ring of the {@link #segmentSize} bytes at {@code base} in {@code segment} (several
     * workers' rings share one segment, each at its own base, a multiple of 64).
     *
     * @param base where this worker's control block and rings start in the segment
     */
    RingQueue(SharedMemory segment, int base, int ringCapacity, int which, boolean producer, OtherEnd peer,
            String name) {
        int ringBytes = ringCapacity + RingBufferDescriptor.TRAILER_LENGTH;
        this.ringBuffer = new UnsafeBuffer(segment.buffer(), base + CONTROL_BYTES + which * ringBytes, ringBytes);
        this.ring = new OneToOneRingBuffer(ringBuffer);
        this.control = new UnsafeBuffer(segment.buffer(), base, CONTROL_BYTES);
        this.controlAddress = segment.address() + base;
        int words = which * 256; // each word on its own cache line
        this.dataSeq = words;
        this.dataWait = words + 64;
        this.spaceSeq = words + 128;
        this.spaceWait = words + 192;
        this.producer = producer;
        this.peer = peer;
        this.maxMessage = ring.maxMsgLength();
        this.name = name;
        this.encoder = producer ? new FrameCodec.Encoder() : null;
        this.decoder = producer ? null : new FrameCodec.Decoder();
        this.reader = producer ? null : new Reader();
        this.spilled = producer ? null : new ArrayDeque<>();
    }

    /**
     * Main side: while a put into this queue waits for room, move what the worker has sent into
     * {@code out} to {@code out}'s local buffer. The worker may be blocked putting into a full
     * {@code out}, and then it takes nothing from this queue until someone reads {@code out}:
     * without this both ends would wait for ever. The cost is memory beyond the ring: what the
     * worker sends while the main side waits. Requires that one thread puts here and gets from
     * {@code out} (the pipeline thread).
     */
    void spillWhileBlocked(RingQueue out) {
        if (!producer || out.producer) {
            throw new IllegalArgumentException("spill from the consumer end of the other ring, while producing");
        }
        spillTarget = out;
    }

    private static final Object NULL = new Object();

    /**
     * Consumer end: decodes every item the ring holds now (pieces included) into the local
     * buffer and wakes the producer. Returns whether it consumed anything.
     */
    boolean spill() {
        enter();
        try {
            Reader r = reader;
            long until = ring.producerPosition(); // what is there now: a fast producer cannot keep us here
            boolean consumed = false;
            while (ring.consumerPosition() < until) {
                int n = ring.read(r, 1);
                if (n > 0) {
                    consumed = true;
                    signal(spaceSeq, spaceWait);
                }
                if (r.ready) {
                    r.ready = false;
                    Object v = r.value;
                    r.value = null;
                    spilled.add(v == null ? NULL : v);
                }
            }
            return consumed;
        } finally {
            exit();
        }
    }

    // ------------------------------------------------------------------ producing

    @Override
    public void put(Object item) {
        if (!producer) {
            throw wrongEnd("put");
        }
        peer.checkPut();
        FrameCodec.Encoder enc = encoder;
        enc.encode(item);
        try {
            enter(); // inside: a closed queue still clears the encoder's reference to the item
            int head = enc.headLength;
            long total = (long) head + enc.tailBytes;
            if (total <= maxMessage) {
                int index = claim(MSG_WHOLE, (int) total);
                ringBuffer.putBytes(index, enc.head, 0, head);
                if (enc.tail != null) {
                    FrameCodec.copyFromArray(enc.tail, enc.tailBase, 0, ringBuffer, index + head, enc.tailBytes);
                }
                ring.commit(index);
                signal(dataSeq, dataWait);
                return;
            }
            if (total > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("an item of " + total + " bytes is too large for a worker queue");
            }
            long sent = 0;
            boolean first = true;
            while (sent < total) {
                int room = first ? maxMessage - 4 : maxMessage;
                int n = (int) Math.min(room, total - sent);
                int index = claim(first ? MSG_FIRST : MSG_NEXT, first ? n + 4 : n);
                int at = index;
                if (first) {
                    ringBuffer.putInt(at, (int) total);
                    at += 4;
                }
                copyRange(enc, sent, n, ringBuffer, at);
                ring.commit(index);
                signal(dataSeq, dataWait);
                sent += n;
                first = false;
            }
        } finally {
            exit();
            enc.clearTail();
        }
    }

    private static void copyRange(FrameCodec.Encoder enc, long from, int n, MutableDirectBuffer dst, int at) {
        int head = enc.headLength;
        if (from < head) {
            int k = (int) Math.min(n, head - from);
            dst.putBytes(at, enc.head, (int) from, k);
            from += k;
            at += k;
            n -= k;
        }
        if (n > 0) {
            FrameCodec.copyFromArray(enc.tail, enc.tailBase, from - head, dst, at, n);
        }
    }

    /** Claims room for a message, waiting while the ring is full. */
    private int claim(int type, int length) {
        int index = ring.tryClaim(type, length);
        if (index >= 0) {
            return index; // room at once: no waiting, no clock
        }
        Waiter w = waiter;
        w.reset();
        while (true) {
            index = ring.tryClaim(type, length);
            if (index >= 0) {
                return index;
            }
            if (peer.gone()) {
                throw peer.goneError(false);
            }
            if (closed) {
                throw closedError();
            }
            if (w.idle()) {
                if (spillTarget != null && spillTarget.spill()) {
                    continue; // the worker can go on now, and then take from us: try again first
                }
                int seq = control.getIntVolatile(spaceSeq);
                control.putIntVolatile(spaceWait, 1);
                index = ring.tryClaim(type, length);
                if (index >= 0) {
                    control.putIntOrdered(spaceWait, 0);
                    return index;
                }
                w.sleep(controlAddress + spaceSeq, seq, SLEEP_NANOS);
                control.putIntOrdered(spaceWait, 0);
            }
        }
    }

    // ------------------------------------------------------------------ consuming

    @Override
    @SuppressWarnings("unchecked")
    <T> T take(long deadline, boolean forever) throws Empty {
        if (producer) {
            throw wrongEnd("get");
        }
        if (!spilled.isEmpty()) {
            Object v = spilled.poll();
            return v == NULL ? null : (T) v;
        }
        enter();
        try {
            return takeFromRing(deadline, forever);
        } finally {
            exit();
        }
    }

    /** {@link #take} once the local buffer is empty, inside {@link #enter()}. */
    @SuppressWarnings("unchecked")
    private <T> T takeFromRing(long deadline, boolean forever) throws Empty {
        Reader r = reader;
        Waiter w = waiter;
        w.reset();
        while (true) {
            if (!positionsEqual()) {
                int n = ring.read(r, 1); // 0 can mean "consumed the wrap padding only": just go round
                if (n > 0) {
                    signal(spaceSeq, spaceWait);
                    w.reset();
                }
                if (r.ready) {
                    r.ready = false;
                    Object v = r.value;
                    r.value = null;
                    return (T) v;
                }
                continue;
            }
            if (r.assembly == null && peer.gone()) {
                if (!positionsEqual()) {
                    continue;
                }
                RuntimeException e = peer.goneError(true);
                if (!forever && e instanceof IllegalStateException) {
                    throw Empty.INSTANCE;
                }
                throw e;
            }
            if (peer.gone() && r.assembly != null && positionsEqual()) {
                throw peer.goneError(true); // the producer died in the middle of an item
            }
            if (closed) {
                throw closedError();
            }
            if (!forever && r.assembly == null) {
                if (deadline == 0 || System.nanoTime() - deadline >= 0) {
                    throw Empty.INSTANCE;
                }
            }
            if (w.idle()) {
                int seq = control.getIntVolatile(dataSeq);
                control.putIntVolatile(dataWait, 1);
                if (positionsEqual()) {
                    long nanos = SLEEP_NANOS;
                    if (!forever && r.assembly == null) {
                        nanos = Math.max(1, Math.min(nanos, deadline - System.nanoTime()));
                    }
                    w.sleep(controlAddress + dataSeq, seq, nanos);
                }
                control.putIntOrdered(dataWait, 0);
            }
        }
    }

    private boolean positionsEqual() {
        return ring.producerPosition() == ring.consumerPosition();
    }

    @Override
    public boolean isEmpty() {
        boolean empty;
        enter();
        try {
            empty = positionsEqual();
        } finally {
            exit();
        }
        if (empty && (reader == null || !reader.ready && spilled.isEmpty())) {
            peer.checkEmpty(); // a main side that polls notices a failed or dead worker
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ closing

    /**
     * Begins an operation on the rings: after this, {@link #close(long)} does not report the end idle
     * until {@link #exit()}. One atomic add (a full fence: it is ordered before the read of
     * {@code closed}; the closer writes {@code closed}, then reads {@code busy}: one of the two
     * sees the other).
     *
     * @throws IllegalStateException naming the queue when it is closed
     */
    private void enter() {
        BUSY.getAndAdd(this, 1);
        if (closed) {
            BUSY.getAndAdd(this, -1);
            throw closedError();
        }
    }

    private void exit() {
        BUSY.getAndAdd(this, -1);
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("worker queue " + name + " is closed: its worker was stopped and its"
                + " shared memory released (Parallelize.close())");
    }

    /**
     * Marks this end closed and wakes whoever waits at either end of its ring; then waits up to
     * {@code timeoutNanos} for an operation under way to end. Idempotent.
     *
     * @return whether no operation is under way at this end (its memory may be unmapped)
     */
    private boolean close(long timeoutNanos) {
        synchronized (this) {
            if (!closed) {
                closed = true;
                bumpAndWake(); // a waiter sees closed at once instead of at the end of its sleep
            }
        }
        return Waiter.untilZero(() -> busy, timeoutNanos);
    }

    /**
     * Releases a worker's rings: closes both ends ({@code a} and {@code b}, the two rings over
     * {@code segment} in this JVM), then unmaps {@code segment} if neither has an operation under
     * way, else leaves it mapped until this JVM exits (logged: a thread of the worker's side did
     * not leave its queue operation within {@link #CLOSE_WAIT_NANOS}). Does not unlink.
     *
     * @return whether the segment was unmapped
     */
    static boolean close(SharedMemory segment, RingQueue a, RingQueue b) {
        boolean idle = closeEnds(a, b);
        if (idle) {
            segment.close();
        } else {
            LOG.warn("worker queue {} or {}: an operation did not end within {} ms of the close: its shared memory"
                    + " '{}' stays mapped until this JVM exits", a.name, b.name, CLOSE_WAIT_NANOS / 1_000_000,
                    segment.name());
        }
        return idle;
    }

    /**
     * Closes both ends {@code a} and {@code b} (waking their waiters) and waits up to
     * {@link #CLOSE_WAIT_NANOS} for an operation under way at either to end; the caller
     * unmaps their segment only if this returns true (several workers' rings may share it).
     *
     * @return whether neither end has an operation under way
     */
    static boolean closeEnds(RingQueue a, RingQueue b) {
        return a.close(CLOSE_WAIT_NANOS) & b.close(CLOSE_WAIT_NANOS);
    }

    /** Receives one message: a whole item, or a piece of one. */
    private final class Reader implements MessageHandler {
        Object value;
        boolean ready;
        byte[] assembly;
        int filled;
        private final UnsafeBuffer assembled = new UnsafeBuffer(new byte[0]);

        @Override
        public void onMessage(int type, MutableDirectBuffer buffer, int index, int length) {
            switch (type) {
                case MSG_WHOLE -> {
                    value = decoder.decode(buffer, index, length);
                    ready = true;
                }
                case MSG_FIRST -> {
                    int total = buffer.getInt(index);
                    assembly = new byte[total];
                    buffer.getBytes(index + 4, assembly, 0, length - 4);
                    filled = length - 4;
                }
                case MSG_NEXT -> {
                    if (assembly == null) {
                        throw new IllegalStateException("worker queue " + name + ": a piece without a first piece");
                    }
                    buffer.getBytes(index, assembly, filled, length);
                    filled += length;
                    if (filled == assembly.length) {
                        assembled.wrap(assembly);
                        value = decoder.decode((DirectBuffer) assembled, 0, assembly.length);
                        assembled.wrap(new byte[0]);
                        assembly = null;
                        ready = true;
                    }
                }
                default -> throw new IllegalStateException("worker queue " + name + ": unknown message type " + type);
            }
        }
    }

    // ------------------------------------------------------------------ waking

    /** After publishing: wake the other end if it sleeps on {@code seqOffset}. */
    private void signal(int seqOffset, int waitOffset) {
        VarHandle.fullFence(); // the publication must be visible before we look at the flag
        if (control.getIntVolatile(waitOffset) != 0) {
            control.getAndAddInt(seqOffset, 1);
            wake(seqOffset);
        }
    }

    private void wake(int seqOffset) {
        if (Futex.AVAILABLE) {
            Futex.wake(controlAddress + seqOffset, Integer.MAX_VALUE);
        }
    }

    /**
     * Wakes both ends of this ring whatever they wait for, so that they re-check their peer. Any
     * thread; nothing once closed (synchronized with {@link #close(long)}, which wakes them itself).
     */
    @Override
    synchronized void wakeAll() {
        if (!closed) {
            bumpAndWake();
        }
    }

    private void bumpAndWake() {
        control.getAndAddInt(dataSeq, 1);
        control.getAndAddInt(spaceSeq, 1);
        wake(dataSeq);
        wake(spaceSeq);
    }

    /** The ring's largest single message in bytes. */
    int maxMessage() {
        return maxMessage;
    }

    RingBuffer ring() {
        return ring;
    }

    private UnsupportedOperationException wrongEnd(String op) {
        return new UnsupportedOperationException(op + " on worker queue " + name + " from the wrong side: in process"
                + " mode the main side puts into inQueue and gets from outQueue, the worker the reverse");
    }
}
