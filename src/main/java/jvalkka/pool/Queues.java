package jvalkka.pool;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state a {@link ProcessQueue} shares between its callers and its
 * distributor thread: the bounded input queue, the output queue, the end
 * marker. One lock guards it all; the distributor is woken through
 * {@link #waker} only when it asked to be (see {@link #armWake}), so a fast
 * producer does not make it spin.
 */
final class Queues {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Task> input = new ArrayDeque<>();
    private final ArrayDeque<Result<?, ?>> output = new ArrayDeque<>();
    private final int inputCapacity;
    private final int outputCapacity;
    private final Runnable waker;
    private final long stallNanos;
    private final Runnable onStall;

    private long nextIndex;
    private long delivered;
    private long taken;
    private long failed;
    private boolean ended;
    private boolean closed;
    private boolean finished;
    private boolean wakeOnPut;
    private boolean wakeOnTake;
    private int consumersWaiting;
    private boolean stallReported;

    /**
     * @param stallNanos how long a put may wait while results wait untaken and no
     *        consumer waits for one before {@code onStall} runs (once per queue):
     *        the producer is probably also the consumer, and waits for itself
     */
    Queues(int inputCapacity, int outputCapacity, Runnable waker, long stallNanos, Runnable onStall) {
        this.inputCapacity = inputCapacity;
        this.outputCapacity = outputCapacity;
        this.waker = waker;
        this.stallNanos = stallNanos;
        this.onStall = onStall;
    }

    int outputCapacity() {
        return outputCapacity;
    }

    // ----------------------------------------------------------------- producer

    /** Puts an item, waiting up to {@code nanos} (negative: forever) for room; -1 on timeout. */
    long put(Object item, long nanos) throws InterruptedException {
        boolean wake;
        long index;
        long since = 0;
        long takenBefore = 0;
        lock.lockInterruptibly();
        try {
            while (true) {
                requireOpen("put");
                if (input.size() < inputCapacity) {
                    break;
                }
                if (nanos == 0) {
                    return -1;
                }
                if (since == 0) {
                    since = System.nanoTime();
                    takenBefore = taken;
                }
                if (nanos < 0) {
                    notFull.awaitNanos(stallNanos);
                } else {
                    long slice = Math.min(nanos, stallNanos);
                    nanos = Math.max(0, nanos - slice + Math.max(0, notFull.awaitNanos(slice)));
                }
                if (!stallReported && taken == takenBefore && !output.isEmpty() && consumersWaiting == 0
                        && System.nanoTime() - since >= stallNanos) {
                    stallReported = true;
                    lock.unlock();
                    try {
                        onStall.run();
                    } finally {
                        lock.lock();
                    }
                }
            }
            index = nextIndex++;
            input.add(new Task(index, item));
            wake = wakeOnPut;
            wakeOnPut = false;
        } finally {
            lock.unlock();
        }
        if (wake) {
            waker.run();
        }
        return index;
    }

    /** Puts as many items from {@code it} as fit now, without waiting; returns how many. */
    int offerSome(Iterator<?> it) {
        boolean wake;
        int n = 0;
        lock.lock();
        try {
            requireOpen("map");
            while (input.size() < inputCapacity && it.hasNext()) {
                input.add(new Task(nextIndex++, it.next()));
                n++;
            }
            wake = n > 0 && wakeOnPut;
            if (wake) {
                wakeOnPut = false;
            }
        } finally {
            lock.unlock();
        }
        if (wake) {
            waker.run();
        }
        return n;
    }

    private void requireOpen(String what) {
        if (closed) {
            throw new IllegalStateException(what + ": the ProcessQueue is closed");
        }
        if (ended) {
            throw new IllegalStateException(what + ": putEnd() was called: the queue takes no more items");
        }
    }

    void end() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("putEnd: the ProcessQueue is closed");
            }
            ended = true;
            notFull.signalAll(); // a producer blocked in put learns that it is over
        } finally {
            lock.unlock();
        }
        waker.run();
    }

    // ----------------------------------------------------------------- consumer

    /**
     * The next result, waiting up to {@code nanos} (negative: forever); null on
     * timeout, or once the queue is finished (or closed) and every result was taken.
     */
    Result<?, ?> poll(long nanos) throws InterruptedException {
        boolean wake;
        Result<?, ?> r;
        lock.lockInterruptibly();
        try {
            while (output.isEmpty()) {
                if (finished || closed) {
                    return null;
                }
                if (nanos == 0) {
                    return null;
                }
                consumersWaiting++;
                try {
                    if (nanos < 0) {
                        changed.await();
                    } else {
                        nanos = changed.awaitNanos(nanos);
                    }
                } finally {
                    consumersWaiting--;
                }
            }
            r = output.poll();
            taken++;
            wake = wakeOnTake;
            wakeOnTake = false;
        } finally {
            lock.unlock();
        }
        if (wake) {
            waker.run();
        }
        return r;
    }

    /** Moves every waiting result into {@code into}, waiting up to {@code nanos} for the first; returns how many. */
    int drainTo(Collection<Result<?, ?>> into, long nanos) throws InterruptedException {
        boolean wake;
        int n;
        lock.lockInterruptibly();
        try {
            while (output.isEmpty() && nanos > 0 && !finished && !closed) {
                consumersWaiting++;
                try {
                    nanos = changed.awaitNanos(nanos);
                } finally {
                    consumersWaiting--;
                }
            }
            n = output.size();
            into.addAll(output);
            output.clear();
            taken += n;
            wake = n > 0 && wakeOnTake;
            if (wake) {
                wakeOnTake = false;
            }
        } finally {
            lock.unlock();
        }
        if (wake) {
            waker.run();
        }
        return n;
    }

    // -------------------------------------------------------------- distributor

    /** Takes up to {@code max} items from the head of the input queue. */
    void take(int max, List<Task> into) {
        lock.lock();
        try {
            for (int i = 0; i < max && !input.isEmpty(); i++) {
                into.add(input.poll());
            }
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Items waiting in the input queue. */
    int inputSize() {
        lock.lock();
        try {
            return input.size();
        } finally {
            lock.unlock();
        }
    }

    /** Room for more results, given {@code inFlight} items that will produce one each. */
    int outputRoom(int inFlight) {
        lock.lock();
        try {
            return outputCapacity - output.size() - inFlight;
        } finally {
            lock.unlock();
        }
    }

    void deliver(List<Result<?, ?>> results) {
        if (results.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            output.addAll(results);
            delivered += results.size();
            for (Result<?, ?> r : results) {
                if (!r.ok()) {
                    failed++;
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Called by the distributor before it sleeps: arms the wake-ups it needs,
     * under the lock, so that no put or take between its last look and its
     * sleep goes unnoticed.
     *
     * @param idle workers holding nothing
     * @param prefetch workers holding one batch (they take a second one when at least {@code live} items wait)
     * @param live workers running
     * @param starved no worker runs or starts: items must be failed, so any put matters
     * @param inFlight items dispatched and not yet answered
     * @return false when there is work right now (do not sleep)
     */
    boolean armWake(int idle, int prefetch, int live, boolean starved, int inFlight) {
        lock.lock();
        try {
            int room = outputCapacity - output.size() - inFlight;
            int q = input.size();
            boolean usable = starved || idle > 0 || (prefetch > 0 && q >= live);
            if (room > 0 && q > 0 && usable) {
                return false;
            }
            wakeOnPut = room > 0 && (starved || idle > 0 || prefetch > 0);
            wakeOnTake = room <= 0;
            return true;
        } finally {
            lock.unlock();
        }
    }

    boolean ended() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** The end marker was put and the input queue is empty. */
    boolean endedAndEmpty() {
        lock.lock();
        try {
            return ended && input.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Every item was answered: consumers get null once they have taken the rest. */
    void finish() {
        lock.lock();
        try {
            finished = true;
            changed.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closes: producers fail, consumers get what is already out, then null. Returns the items abandoned. */
    List<Task> close() {
        lock.lock();
        try {
            closed = true;
            List<Task> abandoned = List.copyOf(input);
            input.clear();
            changed.signalAll();
            notFull.signalAll();
            return abandoned;
        } finally {
            lock.unlock();
        }
    }

    // -------------------------------------------------------------------- views

    /** Counters for the progress view and {@link ProcessQueue#stats()}: put, delivered, taken, waiting input. */
    /** The results delivered that are failures. */
    long failed() {
        lock.lock();
        try {
            return failed;
        } finally {
            lock.unlock();
        }
    }

    long[] counters() {
        lock.lock();
        try {
            return new long[] {nextIndex, delivered, taken, input.size()};
        } finally {
            lock.unlock();
        }
    }

    /** Every item was answered after the end marker, or the pool failed. */
    boolean finished() {
        lock.lock();
        try {
            return finished;
        } finally {
            lock.unlock();
        }
    }

    /** Whether nothing is outstanding: every item put was delivered and taken. */
    boolean idle() {
        lock.lock();
        try {
            return taken == nextIndex && input.isEmpty();
        } finally {
            lock.unlock();
        }
    }
}
