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
    /** How many times {@link #wakeTakers} was called (written under the lock): a waiting poll that sees it change ends. */
    private volatile long takerWakes;

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

    /**
     * The head, waiting up to {@code timeout} for one; null when none came in
     * time, or when {@link #wakeTakers()} was called while it waited (the caller
     * looks at why: the backend's end).
     */
    Object poll(long timeout, TimeUnit unit) throws InterruptedException {
        return poll(timeout, unit, takerWakes());
    }

    /**
     * {@link #poll(long, TimeUnit)} that also ends at once, with null, when
     * {@link #wakeTakers()} was called since {@link #takerWakes()} said
     * {@code seenWakes}: a caller that reads the count, then checks why it might
     * stop waiting, then polls, misses no wake that came between.
     */
    Object poll(long timeout, TimeUnit unit, long seenWakes) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (items.isEmpty()) {
                if (nanos <= 0 || takerWakes != seenWakes) {
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

    /** How many times {@link #wakeTakers()} was called so far (see {@link #poll(long, TimeUnit, long)}). */
    long takerWakes() {
        return takerWakes; // a volatile read: returnFromBack takes no lock for it
    }

    /**
     * Ends the wait of every thread in {@link #poll} (with null when nothing is
     * queued), so that it looks again at once: the backend's end came, and a
     * {@code returnFromBack} must not wait out its turn of polling to learn it.
     */
    void wakeTakers() {
        lock.lock();
        try {
            takerWakes++;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A waiting {@link #put} asks its lifted condition again now. */
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
