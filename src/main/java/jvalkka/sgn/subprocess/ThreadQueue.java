package jvalkka.sgn.subprocess;

import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * Thread mode: a bounded single-producer single-consumer queue of references (no copies).
 * Waits spin, then yield, then park; the other end unparks a parked thread after it acts.
 * Capacity is {@code maxsize} rounded up to a power of two.
 *
 * <p>No deadlock when both queues are full: while the main side waits for room in its
 * {@code inQueue}, it moves what the worker sent into its {@code outQueue}'s local buffer
 * ({@link #spillWhileBlocked}), which that queue hands out first.
 */
final class ThreadQueue extends DeadlineQueue {
    private static final Object NULL = new Object();
    private static final int SPINS = 2_000;
    private static final int YIELDS = 50;
    private static final long PARK_NANOS = 5_000_000; // bounded: a missed unpark costs at most this

    private final OneToOneConcurrentArrayQueue<Object> queue;
    private volatile Thread consumerWaiting;
    private volatile Thread producerWaiting;
    private volatile OtherEnd producerPeer; // what the consumer checks while waiting
    private volatile OtherEnd consumerPeer; // what the producer checks while waiting

    /** Consumer end on the main side: items moved out of {@link #queue} by {@link #spill()}, handed out first. */
    private final ArrayDeque<Object> spilled = new ArrayDeque<>();
    /** Producer end on the main side: the outQueue to spill while a put waits for room. */
    private ThreadQueue spillTarget;
    /** A queue of a standalone WorkerContext: one thread at both ends, so a wait could never end. */
    private boolean standalone;

    ThreadQueue(int maxsize) {
        this.queue = new OneToOneConcurrentArrayQueue<>(Math.max(2, maxsize));
    }

    /**
     * Main side: while a put into this queue waits for room, move what the worker has put into
     * {@code out} to {@code out}'s local buffer, so that a worker blocked on a full {@code out}
     * can go on (and then take from this queue). The cost is memory beyond the bound: what the
     * worker sends while the main side waits. Requires that the thread putting here is the one
     * getting from {@code out} (the pipeline thread).
     */
    void spillWhileBlocked(ThreadQueue out) {
        spillTarget = out;
    }

    /** Consumer end: moves what the queue holds now into the local buffer; whether it moved any. */
    boolean spill() {
        boolean moved = false;
        for (int n = queue.capacity(); n > 0; n--) { // what is there now: a fast producer cannot keep us here
            Object e = queue.poll();
            if (e == null) {
                break;
            }
            spilled.add(e);
            moved = true;
        }
        if (moved) {
            VarHandle.fullFence();
            Thread t = producerWaiting;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        return moved;
    }

    void standalone() {
        standalone = true;
    }

    /** {@code producer}: how the getting end sees the putting end; {@code consumer}: the reverse. */
    void peers(OtherEnd producer, OtherEnd consumer) {
        this.producerPeer = producer;
        this.consumerPeer = consumer;
    }

    @Override
    public void put(Object item) {
        OtherEnd peer = consumerPeer;
        if (peer != null) {
            peer.checkPut();
        }
        Object e = item == null ? NULL : item;
        int idle = 0;
        while (!queue.offer(e)) {
            if (peer != null && peer.gone()) {
                throw peer.goneError(false);
            }
            if (standalone) {
                throw new IllegalStateException("this standalone queue is full (" + queue.capacity() + " items) and"
                        + " nothing else takes from it: take from it, or make it larger (WorkerContext.standalone(n, ...))");
            }
            idle = idle(idle, false);
        }
        VarHandle.fullFence(); // publish before reading the waiter flag (see idle)
        Thread t = consumerWaiting;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    <T> T take(long deadline, boolean forever) throws Empty {
        if (!spilled.isEmpty()) {
            Object e = spilled.poll();
            return e == NULL ? null : (T) e;
        }
        int idle = 0;
        while (true) {
            Object e = queue.poll();
            if (e != null) {
                VarHandle.fullFence();
                Thread t = producerWaiting;
                if (t != null) {
                    LockSupport.unpark(t);
                }
                return e == NULL ? null : (T) e;
            }
            OtherEnd peer = producerPeer;
            if (peer != null && peer.gone()) {
                if (!queue.isEmpty()) {
                    continue;
                }
                if (!forever && peer.goneError(true) instanceof IllegalStateException) {
                    throw Empty.INSTANCE; // terminated normally: a timed get just finds nothing
                }
                throw peer.goneError(true);
            }
            if (!forever && (deadline == 0 || System.nanoTime() - deadline >= 0)) {
                throw Empty.INSTANCE;
            }
            if (forever && standalone) {
                throw new IllegalStateException("get() without a timeout on an empty standalone queue would wait for"
                        + " ever: nothing else puts into it; put first, or use get(timeoutSeconds)");
            }
            idle = idle(idle, true);
        }
    }

    /** One step of the wait: spin, then yield, then park with this thread registered. */
    private int idle(int idle, boolean consumer) {
        if (idle < SPINS) {
            Thread.onSpinWait();
        } else if (idle < SPINS + YIELDS) {
            Thread.yield();
        } else {
            Thread me = Thread.currentThread();
            if (consumer) {
                consumerWaiting = me;
                if (queue.isEmpty()) {
                    LockSupport.parkNanos(this, PARK_NANOS);
                }
                consumerWaiting = null;
            } else {
                if (spillTarget != null && spillTarget.spill()) {
                    return idle; // the worker can go on now, and then take from us: try again first
                }
                producerWaiting = me;
                if (queue.remainingCapacity() == 0) {
                    LockSupport.parkNanos(this, PARK_NANOS);
                }
                producerWaiting = null;
            }
        }
        return idle + 1;
    }

    /** Wakes a parked end, so that it sees a changed peer state at once. */
    @Override
    void wakeAll() {
        Thread t = consumerWaiting;
        if (t != null) {
            LockSupport.unpark(t);
        }
        t = producerWaiting;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public boolean isEmpty() {
        if (spilled.isEmpty() && queue.isEmpty()) {
            OtherEnd peer = producerPeer;
            if (peer != null) {
                peer.checkEmpty();
            }
            return true;
        }
        return false;
    }

    int size() {
        return spilled.size() + queue.size();
    }

    int capacity() {
        return queue.capacity();
    }
}
