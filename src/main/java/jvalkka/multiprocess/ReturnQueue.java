package jvalkka.multiprocess;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The frontend's queue of what the backend sent with {@code return_out__},
 * waiting for {@code returnFromBack}. At most {@code capacity} objects wait:
 * the reply router that fills it then stops reading the internal pipe, so the
 * backend's {@code return_out__} blocks once the socket between them is full too
 * (backpressure, never loss; order kept).
 *
 * <p>The bound may be lifted while a waiting {@link #put} finds that its
 * {@code lifted} condition holds: the router lifts it when waiting could
 * deadlock (a proxy reply or a stop could be stuck behind the unread objects,
 * or a frontend send is stuck because the backend waits for us). The condition
 * is asked again whenever {@link #wake()} is called and at least every
 * {@link #RECHECK_NANOS}.
 */
final class ReturnQueue {
    /** How often a waiting put asks its lifted condition again without being woken. */
    static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Object> items = new ArrayDeque<>();
    private final int capacity;
    private volatile Runnable spaceListener;

    ReturnQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a return queue's capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /**
     * Adds {@code o} at the tail, waiting while {@code capacity} objects wait
     * unless {@code lifted} says the bound does not hold now.
     */
    void put(Object o, BooleanSupplier lifted) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (items.size() >= capacity && !lifted.getAsBoolean()) {
                notFull.awaitNanos(RECHECK_NANOS);
            }
            items.add(o);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds {@code o} at the tail unless {@code capacity} objects wait and
     * {@code lifted} says the bound holds now; never waits.
     *
     * @return whether {@code o} was added
     */
    boolean offer(Object o, BooleanSupplier lifted) {
        lock.lock();
        try {
            if (items.size() >= capacity && !lifted.getAsBoolean()) {
                return false;
            }
            items.add(o);
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code listener} (quickly, on the calling thread) whenever a full queue
     * gets room and whenever {@link #wake()} is called: for a router that does not
     * wait in {@link #put} but offers again when told.
     */
    void onSpace(Runnable listener) {
        this.spaceListener = listener;
    }

    /**
     * Adds {@code o} at the tail whatever the bound: for what {@code return_out__}
     * sends while {@code start()} waits for {@code preRun__}, when nobody can take
     * it yet (waiting there would only run out the start timeout).
     */
    void add(Object o) {
        lock.lock();
        try {
            items.add(o);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The head, waiting up to {@code timeout} for one; null when none came. */
    Object poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (items.isEmpty()) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            boolean wasFull = items.size() >= capacity;
            Object o = items.poll();
            notFull.signal();
            if (wasFull) {
                tellSpace();
            }
            return o;
        } finally {
            lock.unlock();
        }
    }

    private void tellSpace() {
        Runnable r = spaceListener;
        if (r != null) {
            r.run();
        }
    }

    /** A waiting {@link #put} asks its lifted condition again now. */
    /** Wakes every thread waiting in {@link #poll} to look again (the backend's end came: it must not wait a turn). */
    void wakeTakers() {
        lock.lock();
        try {
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void wake() {
        lock.lock();
        try {
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        tellSpace();
    }

    boolean isEmpty() {
        lock.lock();
        try {
            return items.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return items.size();
        } finally {
            lock.unlock();
        }
    }
}
