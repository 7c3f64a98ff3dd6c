package jvalkka.multiprocess;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread, JVM-wide, that reads every running backend's internal pipe and
 * routes what comes (see {@link BackendReplies#pump}): a thread per backend cost
 * each start about a millisecond and a stack. It waits in one {@link Selector}
 * over all the pipes; it is started with the first backend and ends when none
 * is left (the next start starts it again), unless a warm pool holds it ({@link #hold}).
 *
 * <p>A backend whose return queue is full is not read (so its {@code return_out__}
 * blocks: backpressure) until the queue has room or its bound is lifted; the
 * router looks again when the queue tells it ({@link ReturnQueue#onSpace}) and at
 * least every {@link ReturnQueue#RECHECK_NANOS}.
 *
 * <p>A backend whose pipe a synchronous caller reads itself ({@link BackendReplies#await})
 * is taken out of the selector while callers read it (else every reply would wake
 * this thread for nothing, and a thread woken on a 2-core machine takes a core from the
 * caller or the backend): from the router's first look that finds a caller reading it, or
 * finds that a caller read it since the router's last look, until a look (every
 * {@value #CALLER_RECHECK_MILLIS} ms) finds that no caller read it since the one before
 * (at once when a caller wakes the router: it leaves work behind). The wake-up protocol
 * rests on one invariant of this thread: <b>it never waits in its selector without a timeout
 * while a pipe is taken out of it</b> ({@link BackendReplies#suspended()} of any pipe, looked
 * at after the turn). A pipe out of the selector is pumped on every turn; it is taken out
 * only when that pump reports callers ({@link BackendReplies.Pumped#READ_BY_CALLER}), and
 * put back as soon as a pump reports anything else (no caller since the last look, or this
 * thread read the pipe itself: a caller that left between the router's look and its pump,
 * the case a reverted first version missed, which left a pipe unwatched and the router
 * waiting for ever). So what arrives while no caller reads is read within about two
 * rechecks, or by the next caller, which routes everything it meets in order.
 */
final class ReplyRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyRouter.class);
    private static final long RECHECK_MILLIS = Math.max(1, TimeUnit.NANOSECONDS.toMillis(ReturnQueue.RECHECK_NANOS));
    /** How often the router looks whether callers that read their pipes themselves have left them. */
    static final long CALLER_RECHECK_MILLIS = 1;
    private static final Object LOCK = new Object();
    private static final Queue<BackendReplies> ARRIVING = new ConcurrentLinkedQueue<>();
    private static int routes; // registered or arriving; under LOCK
    private static volatile Selector selector; // the running thread's; written under LOCK
    private static Thread thread; // under LOCK
    /** Holders that expect starts soon ({@link #hold}): the thread waits for them, idle, with no backend. Under LOCK. */
    private static int holds;
    /** The router's turns (each a look at its backends after a select); written by the router only. */
    private static volatile long turns;
    /** Test hook: runs on the router thread between its look at a pipe and its pump of it; null: nothing. */
    static volatile Consumer<BackendReplies> beforePump;

    private ReplyRouter() {
    }

    /** Starts routing {@code r}'s internal pipe, starting the router thread if none runs. */
    static void add(BackendReplies r) {
        synchronized (LOCK) {
            routes++;
            ARRIVING.add(r);
            if (thread != null) {
                selector.wakeup();
                return;
            }
            try {
                selector = Selector.open();
            } catch (IOException e) {
                routes--;
                ARRIVING.remove(r);
                throw new java.io.UncheckedIOException("cannot open the reply router's selector", e);
            }
            Selector s = selector;
            thread = new Thread(null, () -> run(s), "jvalkka-replies", 256 * 1024);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * Keeps the thread, once started, running with no backend left until
     * {@link #release}: for a warm pool ({@link WarmPool}), whose starts would
     * otherwise begin the thread again (a thread's start and a selector's opening
     * between the backend's ready frame and the start's return: milliseconds on a
     * busy machine). Idle, the thread waits in its selector and costs no CPU.
     */
    static void hold() {
        synchronized (LOCK) {
            holds++;
        }
    }

    /** Ends a {@link #hold}: the thread ends once no backend is left (at once when none is). */
    static void release() {
        synchronized (LOCK) {
            holds = Math.max(0, holds - 1);
        }
        wake();
    }

    /** The router looks at every backend again now (a queue has room, a bound may be lifted, a pipe ended). */
    static void wake() {
        Selector s = selector; // a stale read only delays the look to the next recheck
        if (s != null) {
            s.wakeup();
        }
    }

    /** How many backends the router has or is about to have (for the tests). */
    static int routes() {
        synchronized (LOCK) {
            return routes;
        }
    }

    /** How many turns the router thread began, in this JVM (for the tests: what woke it). */
    static long turns() {
        return turns;
    }

    /** Whether the router thread runs (for the tests). */
    static boolean isRunning() {
        synchronized (LOCK) {
            return thread != null;
        }
    }

    private static void run(Selector sel) {
        List<BackendReplies> active = new ArrayList<>();
        try {
            route(sel, active);
        } catch (Throwable t) {
            // the loop itself failed (its selector, say): fail every route it had, and let the next start begin again
            LOG.error("the reply router failed: {}; the calls of {} backends fail", t.toString(), active.size(), t);
            synchronized (LOCK) {
                thread = null;
                selector = null;
                BackendReplies r;
                while ((r = ARRIVING.poll()) != null) {
                    active.add(r);
                }
                routes -= active.size();
            }
            for (BackendReplies r : active) {
                r.routerFailed(t);
            }
        } finally {
            try {
                sel.close();
            } catch (IOException e) {
                LOG.debug("closing the reply router's selector failed: {}", e.toString());
            }
        }
    }

    private static void route(Selector sel, List<BackendReplies> active) {
        while (true) {
            turns++; // one writer: this thread
            admit(sel, active);
            boolean again = false;
            boolean suspended = false;
            for (int i = active.size() - 1; i >= 0; i--) {
                BackendReplies r = active.get(i);
                BackendReplies.Pumped p = turn(sel, r);
                if (p == BackendReplies.Pumped.ENDED) {
                    active.remove(i);
                    SelectionKey k = r.key();
                    if (k != null) {
                        k.cancel();
                    }
                    synchronized (LOCK) {
                        routes--;
                    }
                } else if (p != BackendReplies.Pumped.IDLE && p != BackendReplies.Pumped.READ_BY_CALLER) {
                    again = true; // more to read, or an object waits for room in its queue
                }
                suspended |= r.suspended();
            }
            sel.selectedKeys().clear();
            synchronized (LOCK) {
                if (routes == 0 && ARRIVING.isEmpty() && holds == 0) {
                    thread = null;
                    selector = null;
                    return;
                }
            }
            select(sel, again, suspended); // never without a timeout while a pipe is out of the selector
        }
    }

    /**
     * One backend's turn in the router: its pipe pumped (or left to a caller that reads it
     * itself, then taken out of the selector), and put back in the selector once that caller left.
     */
    private static BackendReplies.Pumped turn(Selector sel, BackendReplies r) {
        SelectionKey k0 = r.key();
        // a pipe out of the selector is looked at on every (timed) turn: what came since a caller left is routed now
        boolean readable = k0 == null || !k0.isValid() || r.suspended() || sel.selectedKeys().contains(k0);
        Consumer<BackendReplies> hook = beforePump;
        if (hook != null) {
            hook.accept(r);
        }
        BackendReplies.Pumped p;
        try {
            p = r.pump(readable);
        } catch (Throwable t) { // one backend's failure must not end the routing of the others
            LOG.error("the reply router cannot read {}: {}; its calls fail and it is stopped",
                    r, t.toString(), t);
            r.routerFailed(t);
            p = BackendReplies.Pumped.ENDED;
        }
        if (p == BackendReplies.Pumped.READ_BY_CALLER) {
            if (!r.suspended()) {
                watch(r, 0);
                r.suspended(true);
            }
        } else if (r.suspended()) {
            // no caller reads the pipe now, nor read it since the last look (or this thread read it itself just
            // now): the pipe must be watched again, or nothing would wake this thread for it
            resume(r);
        }
        return p;
    }

    /** Watches {@code r}'s pipe again after a caller read it. */
    private static void resume(BackendReplies r) {
        watch(r, SelectionKey.OP_READ);
        r.suspended(false);
    }

    /** Sets what the router's selector watches of {@code r}'s pipe (nothing while a caller reads it). */
    private static void watch(BackendReplies r, int ops) {
        SelectionKey k = r.key();
        if (k != null && k.isValid()) {
            try {
                k.interestOps(ops);
            } catch (java.nio.channels.CancelledKeyException e) {
                // closed meanwhile: the next pump reads the end
            }
        }
    }

    private static void admit(Selector sel, List<BackendReplies> active) {
        BackendReplies r;
        while ((r = ARRIVING.poll()) != null) {
            try {
                r.key(r.channel().register(sel, SelectionKey.OP_READ));
            } catch (ClosedChannelException | IllegalStateException e) {
                // already ended (or released): what it sent is buffered, the pump reads it and the end
            }
            active.add(r);
        }
    }

    private static void select(Selector sel, boolean again, boolean suspended) {
        try {
            if (suspended) {
                sel.select(CALLER_RECHECK_MILLIS);
            } else if (again) {
                sel.select(RECHECK_MILLIS);
            } else {
                sel.select();
            }
        } catch (IOException e) {
            LOG.warn("the reply router's select failed: {}", e.toString());
        }
    }
}
