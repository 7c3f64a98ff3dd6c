package jvalkka.multiprocess;

import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import com.fasterxml.jackson.databind.JavaType;

/**
 * What comes back from one backend on its internal pipe, routed: a reply
 * completes its proxy call; everything else ({@code return_out__}) waits in a
 * {@link ReturnQueue} for {@code returnFromBack}, at most
 * {@link BackendOptions#returnCapacity()} objects. While that many wait, the
 * pipe is not read, so the backend's {@code return_out__} blocks once the socket
 * is full too. Proxy replies travel on the same pipe, behind those objects, so
 * the bound is lifted (see {@link #mayExceedReturnBound}) whenever waiting could
 * deadlock. The reading is done by the shared {@link ReplyRouter}, except
 * while a synchronous proxy call waits: then the waiting thread reads the pipe
 * itself ({@link #await}), completing whatever it meets (other calls' replies,
 * objects for the return queue) in order, so that a call costs one round trip and
 * no hand-over from the router thread. Whoever reads holds {@link #routing}.
 *
 * <p>A synchronous call to a backend on another host is answered on the main pipe instead
 * ({@link WireProtocol#answeredOnCallPipe}), unless its handler sent on the internal pipe: its
 * caller reads the main pipe ({@link MessagePipe#readForReply}), and whoever reads that pipe
 * hands its replies to {@link #replyOnMain}. The router has no part in such a call.
 */
final class BackendReplies {
    /** Stands for a {@code null} the backend returned (a queue holds no nulls). */
    static final Object NULL_RETURN = new Object();
    /** How long a frontend send must make no progress before the router counts it as stuck. */
    private static final long SEND_STUCK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Frontend sends: the low 32 bits count those in progress, the high bits those finished. */
    private static final long SEND_FINISHED = (1L << 32) - 1;

    private final String label;
    private final MessagePipe main;
    private final MessagePipe internal;
    private final Lifecycle life;
    private final ReturnQueue returned;
    private final AtomicLong callIds = new AtomicLong();
    private final Map<Long, Call> pending = new ConcurrentHashMap<>();
    private final AtomicLong sends = new AtomicLong();
    private long sendsSeen = -1; // the router's last look at sends, and when it changed
    private long sendsSeenAt;
    private volatile boolean routed; // written under this
    private volatile boolean ended; // the pipe ended and the waiting calls were failed
    private volatile Throwable routerFailure; // why the router could not read this backend, if it could not
    private SelectionKey key; // router thread only, as is suspended
    /** The router took this pipe out of its selector while callers read it (see {@link ReplyRouter}); volatile for the tests. */
    private volatile boolean suspended;
    /** The router holds {@link #routing} for one pump (never a wait): a caller that found it taken takes over after. */
    private volatile boolean routerPumping;
    /** Test hook: runs on the router thread while it holds {@link #routing} in a pump; null: nothing. */
    static volatile java.util.function.Consumer<BackendReplies> whilePumping;
    /** How long a caller that found the router pumping waits for it to let go before it waits as for another caller. */
    private static final long ROUTER_PUMP_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Synchronous callers that read the pipe ({@link #readForReply}), and the count at the router's last pump; under routing. */
    private long callerTurns;
    private long callerTurnsSeen;
    /**
     * Held by whoever reads the internal pipe and routes what comes: the router
     * in {@link #pump}, or a synchronous caller in {@link #await}. Guards
     * {@link #parked}, {@link #more}, {@link #routeEnded} and the bound's bookkeeping.
     */
    private final ReentrantLock routing = new ReentrantLock();
    /** The pipe ended and {@link #endRoute} ran; under routing. */
    private boolean routeEnded;
    private Object parked; // read, waiting for room in the return queue
    /** The router holds an object it could not queue (parked): a new call must wake it (see {@link #expect}). */
    private volatile boolean waitingForRoom;
    /**
     * Whether the test counters below count ({@link #countForTests}): off unless a test asks,
     * so that a call pays for no shared counter.
     */
    private static volatile boolean counting;
    /** Synchronous calls whose caller read the reply itself, JVM-wide (a test counter). */
    private static final AtomicLong CALLER_READ_REPLIES = new AtomicLong();
    /** Router wake-ups asked for by proxy calls, JVM-wide (a test counter). */
    private static final AtomicLong CALL_WAKES = new AtomicLong();
    /** Synchronous calls whose caller found another thread reading the pipe (for the tests). */
    private static final AtomicLong CALLER_LOCK_MISSES = new AtomicLong();
    /** Replies a caller read itself after its wait's spin found them (for the tests). */
    private static final AtomicLong CALLER_SPUN_REPLIES = new AtomicLong();
    /**
     * How long a synchronous proxy call spins (yielding) for its reply before it
     * parks: waking a parked thread costs 20-50 us, as much as a local round trip.
     * Only while this backend's recent calls came back within it.
     */
    static final long CALL_SPIN_NANOS = Long.getLong("jvalkka.callSpinMicros", 200) * 1000;
    /**
     * Whether a synchronous caller reads its reply off the pipe itself when no
     * other thread is reading it ({@code -Djvalkka.callerReads=false}: the router
     * always reads, and the caller waits to be woken).
     */
    static final boolean CALLER_READS = !"false".equals(System.getProperty("jvalkka.callerReads"));
    /**
     * How long a reading caller waits for the socket at a time before it looks at its call again. Long:
     * whatever else ends its call wakes it ({@link #failPending}, {@link #routerFailed}); with 1 ms a
     * local call's p90 was 18-31 us against 15-17 us with 100 ms (ProxyCallProfile local, loaded
     * 2-core machine): a timed wait that short costs the wake-up (see {@code PipeReceiver}).
     */
    private static final long READ_SLICE_MILLIS = 100;
    /** Spinning without yielding for this long first. */
    private static final long BUSY_SPIN_NANOS = 10_000;
    /** A moving average of how long this backend's synchronous calls waited for their reply (ns). */
    private volatile long callNanos;
    private boolean more; // a pump stopped at its batch size
    /** The event groups that crossed to a backend on another host, whose sets come here; null for a local one. */
    private volatile RemoteCrossing.Groups groups;

    /** How long a caller whose reply comes on the main pipe parks before it tries to read that pipe again. */
    private static final long MAIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * A proxy call waiting for its reply: the future the caller gets, the type its reply converts to,
     * its id, and whether its reply was moved to the internal pipe ({@link WireProtocol#isMoved}).
     * As a {@link java.util.function.BooleanSupplier}: whether a caller reading the main pipe for it
     * can stop ({@link MessagePipe#readForReply}).
     */
    static final class Call extends CompletableFuture<Object> implements java.util.function.BooleanSupplier {
        final long id;
        final JavaType type;
        volatile boolean moved;

        Call(long id, JavaType type) {
            this.id = id;
            this.type = type;
        }

        @Override
        public boolean getAsBoolean() {
            return moved || isDone();
        }
    }

    BackendReplies(String label, MessagePipe main, MessagePipe internal, Lifecycle life, int returnCapacity) {
        this.label = label;
        this.main = main;
        main.routeReplies(new java.util.function.Consumer<>() { // replies of calls answered on the main pipe
            @Override
            public void accept(MessageObject m) {
                replyOnMain(m);
            }
        });
        this.internal = internal;
        internal.spinWhileAnswerLikely(); // a caller reading its own reply (readForReply) spins before it parks
        this.life = life;
        this.returned = new ReturnQueue(returnCapacity);
    }

    /** Routes the {@link WireProtocol#EVENT}s of a backend on another host to these groups. */
    void remoteGroups(RemoteCrossing.Groups g) {
        groups = g;
    }

    /** Queues what {@code return_out__} sent while nobody could take it yet (start() waiting for preRun__). */
    void addUnbounded(MessageObject m) {
        if (!remoteEvent(m)) {
            returned.add(m == null ? NULL_RETURN : m);
        }
    }

    /** Applies {@code m} if it is a remote backend's event or replicated array message (see {@link RemoteCrossing}). */
    private boolean remoteEvent(MessageObject m) {
        RemoteCrossing.Groups g = groups;
        if (g == null) {
            return false;
        }
        if (WireProtocol.isEvent(m)) {
            g.apply(m, life.pid());
            return true;
        }
        if (WireProtocol.isReplica(m)) {
            g.replica(m, internal, label);
            return true;
        }
        return false;
    }

    /** A frontend send begins: while one makes no progress, the bound is lifted. */
    void sendStarted() {
        sends.incrementAndGet();
    }

    void sendFinished() {
        sends.addAndGet(SEND_FINISHED);
    }

    /**
     * Registers a proxy call waiting for a reply of {@code type}; {@code onMain}: a synchronous call
     * whose reply comes back on the main pipe ({@link WireProtocol#answeredOnCallPipe}), which its
     * caller then reads in {@link #await}.
     */
    Call expect(JavaType type, boolean onMain) {
        long n = callIds.incrementAndGet();
        long id = onMain ? WireProtocol.onCallPipe(n) : n;
        Call call = new Call(id, type);
        pending.put(id, call);
        start();
        // the reply must not wait behind return_out__ objects that nobody takes: a router holding one back
        // looks again now (the call lifts the bound). Only then: a wake-up per call costs the router a turn
        // and the caller a core for a few microseconds. The router sets the flag before it looks at the
        // calls again (pump), and this reads it after adding the call: one of the two sees the other.
        if (waitingForRoom) {
            CALL_WAKES.incrementAndGet();
            returned.wake();
        }
        return call;
    }

    /** A reply (or a moved marker) that came on the main pipe; on whichever thread reads it. */
    private void replyOnMain(MessageObject m) {
        long id = WireProtocol.replyId(m);
        if (WireProtocol.isMoved(m)) {
            Call c = pending.get(id);
            if (c != null) {
                c.moved = true; // the reply is on the internal pipe: the caller reads that now
            }
            return;
        }
        complete(pending.remove(id), m);
    }

    /**
     * A synchronous caller whose reply comes on the main pipe reads that pipe for it
     * ({@link MessagePipe#readForReply}: what it meets before the reply is kept for {@code recv}),
     * until the reply came or was moved to the internal pipe. While another thread receives on the
     * main pipe (which routes the reply as it reads), or when the reading stopped short (the end of
     * the stream, messages kept up to the bound), it parks on the call, and tries again every
     * {@link #MAIN_RETRY_NANOS}: the router completes it at the end.
     */
    private void readMainForReply(Call f) throws InterruptedException {
        boolean count = counting;
        while (!f.getAsBoolean()) {
            if (main.readForReply(f) && f.isDone()) {
                if (count) {
                    CALLER_READ_REPLIES.incrementAndGet();
                }
                return;
            }
            if (f.getAsBoolean()) {
                return;
            }
            try {
                f.get(MAIN_RETRY_NANOS, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | ExecutionException e) {
                // not yet, or done (failed): the loop looks
            }
        }
    }

    /**
     * Makes the test counters ({@link #callerReadReplies}, {@link #callerSpunReplies}) count from
     * now on in this JVM; they stay at 0 otherwise.
     */
    static void countForTests() {
        counting = true;
    }

    /** How many synchronous calls read their reply themselves, in this JVM, since {@link #countForTests} (for the tests). */
    static long callerReadReplies() {
        return CALLER_READ_REPLIES.get();
    }

    /** How many synchronous calls read their reply in a wait's spin, before parking, since {@link #countForTests}. */
    static long callerSpunReplies() {
        return CALLER_SPUN_REPLIES.get();
    }

    /** How many synchronous calls found another thread reading the pipe, since {@link #countForTests}. */
    static long callerLockMisses() {
        return CALLER_LOCK_MISSES.get();
    }

    /** How many proxy calls had to wake the reply router, in this JVM (for the tests). */
    static long callWakes() {
        return CALL_WAKES.get();
    }

    /**
     * Waits for the reply of a synchronous call sent just now: when no other
     * thread reads the internal pipe, reads it itself until the reply is in
     * ({@link #readForReply}: no hand-off from the router thread); otherwise spins for
     * it, up to {@link #CALL_SPIN_NANOS}, while this backend's calls come back
     * that fast (the router completes {@code f}; a spinning caller sees it at
     * once, a parked one only once the scheduler wakes it), then parks in
     * {@link CompletableFuture#get()}. Nothing spins while no call waits, and a
     * backend whose calls take longer is waited for by parking only.
     */
    Object await(Call f) throws InterruptedException, ExecutionException {
        if (WireProtocol.answeredOnCallPipe(f.id)) {
            readMainForReply(f);
            if (f.isDone()) {
                return f.get();
            }
        }
        long t0 = System.nanoTime();
        long avg = callNanos;
        if (!f.isDone() && CALLER_READS) {
            if (routing.tryLock()) {
                readForReply(f);
            } else {
                if (counting) {
                    CALLER_LOCK_MISSES.incrementAndGet();
                }
                if (afterTheRoutersPump(f)) {
                    readForReply(f);
                }
            }
        }
        if (!f.isDone() && avg < CALL_SPIN_NANOS) {
            long busyUntil = t0 + BUSY_SPIN_NANOS;
            long spinUntil = t0 + CALL_SPIN_NANOS;
            long now = t0;
            while (!f.isDone() && now - spinUntil < 0) {
                if (now - busyUntil < 0) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // another thread here (the router, the backend) may be what we wait for
                }
                now = System.nanoTime();
            }
        }
        try {
            return f.get();
        } finally {
            long took = System.nanoTime() - t0;
            callNanos = avg + (Math.min(took, 100 * CALL_SPIN_NANOS) - avg) / 8; // racy between callers: a hint only
        }
    }

    /**
     * A caller found {@link #routing} taken: when the router holds it, for one pump (microseconds, it never
     * waits there), waits for it to let go (bounded: {@link #ROUTER_PUMP_WAIT_NANOS}, yielding after
     * {@link #BUSY_SPIN_NANOS}: the router may be descheduled) and takes the pipe, so that its reply is
     * not left to the router (a hand-off: the router's wake-up, then this thread's). Another caller
     * reading the pipe is not waited for here: it completes this call's future as it reads.
     *
     * @return whether this thread holds {@link #routing} now (and {@code f} is not done)
     */
    private boolean afterTheRoutersPump(CompletableFuture<Object> f) {
        long t0 = System.nanoTime();
        long now = t0;
        while (routerPumping && !f.isDone() && now - t0 < ROUTER_PUMP_WAIT_NANOS) {
            if (now - t0 < BUSY_SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
            now = System.nanoTime();
        }
        return !f.isDone() && routing.tryLock();
    }

    /**
     * The calling thread, holding {@link #routing}, reads the internal pipe until
     * {@code f} is done (the pipe ended, an object waits for room, or the thread was
     * interrupted), routing all it reads as the router would; then it leaves what is
     * buffered to the router and wakes it when other calls still wait.
     *
     * <p>The wake-up protocol between callers and the router: one thread at a time
     * reads the pipe, whoever holds {@link #routing} (a caller takes it only with
     * {@code tryLock}, never waits for it, except for the router's pump to end, see
     * {@link #afterTheRoutersPump}: a caller that cannot have it spins, then parks on its
     * future, which the reader completes). A caller that leaves work
     * behind (other calls waiting, messages it read but did not route, an object
     * waiting for room, the end of the pipe) wakes the router after unlocking. The
     * router takes a pipe out of its selector while its looks find a caller reading it,
     * or find that one read it since the look before ({@link #callerTurns}: a caller
     * making call after call keeps its replies from waking the router), puts it back at
     * the first look that finds neither (or when it read the pipe itself), and never waits
     * without a timeout ({@value ReplyRouter#CALLER_RECHECK_MILLIS} ms) while a pipe is
     * out: whatever arrives after the last caller left is read within about two such
     * times even when nobody woke the router. {@code ProxyStressTest} exercises the races.
     */
    private void readForReply(CompletableFuture<Object> f) {
        boolean count = counting;
        long spinHits = count ? internal.spinHits() : 0;
        callerTurns++; // the router's next pump sees that a caller was here: the pipe stays out of its selector
        try {
            while (!f.isDone() && !Thread.currentThread().isInterrupted()) {
                if (!internal.hasBufferedMessage()) {
                    internal.awaitBytes(READ_SLICE_MILLIS); // one wait: bytes, a wake or an interrupt end it
                }
                Pumped p = routeLocked(0);
                if (p == Pumped.ENDED || p == Pumped.WAITING_FOR_ROOM) {
                    break; // the router's turn (it fails the calls, or waits for room)
                }
            }
            if (count && f.isDone()) {
                CALLER_READ_REPLIES.incrementAndGet();
                if (internal.spinHits() != spinHits) {
                    CALLER_SPUN_REPLIES.incrementAndGet();
                }
            }
        } finally {
            boolean routerNeeded = !pending.isEmpty() || internal.hasBufferedMessage() || parked != null || routeEnded;
            routing.unlock();
            if (routerNeeded) {
                ReplyRouter.wake();
            }
        }
    }

    void forget(long id) {
        pending.remove(id);
    }

    /** Starts reading the internal pipe (once), on the shared {@link ReplyRouter}. */
    void start() {
        if (routed) {
            return; // every call asks: no lock once routed
        }
        synchronized (this) {
            if (routed) {
                return;
            }
            routed = true;
        }
        returned.onSpace(ReplyRouter::wake);
        ReplyRouter.add(this);
    }

    /** The backend exited: the router reads what it sent and the end; with no router, fail the calls now. */
    void backendExited() {
        if (routed) {
            ReplyRouter.wake(); // its pipe is released: the router sees no readiness, only this
        } else {
            failPending();
        }
    }

    /** The next object the backend returned; waits for it; throws once the backend is gone and none is left. */
    MessageObject take() {
        start();
        long wakes = -1; // no count: an empty queue's first poll ends at once, so the checks below run before any wait
        while (true) {
            Object o;
            try {
                o = returned.poll(200, TimeUnit.MILLISECONDS, wakes);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("returnFromBack interrupted", e);
            }
            if (o instanceof MessageObject m) {
                return m;
            }
            if (o == NULL_RETURN) {
                return null;
            }
            // read before the checks: the end's wake (after it set what they read) then ends the next poll at once
            wakes = returned.takerWakes();
            Throwable failure = routerFailure;
            if (o == null && failure != null && returned.isEmpty()) {
                throw new IllegalStateException(label + ": returnFromBack: the frontend could not read the backend's"
                        + " replies", failure);
            }
            if (o == null && life.state() == Lifecycle.State.EXITED && ended && returned.isEmpty()) {
                throw new PipeClosedException(label + ": returnFromBack: " + life.describeDeath());
            }
        }
    }

    // ----------------------------------------------------- router thread only

    /**
     * What a {@link #pump} left. {@code READ_BY_CALLER}: a caller reads the pipe now, or read it since the
     * router's last pump and nothing was left to route: callers read it, the router need not watch it.
     */
    enum Pumped { IDLE, MORE, WAITING_FOR_ROOM, ENDED, READ_BY_CALLER }

    /** How many messages one pump routes before the router turns to the other backends. */
    private static final int PUMP_BATCH = 64;

    SelectionKey key() {
        return key;
    }

    void key(SelectionKey k) {
        key = k;
    }

    SelectableChannel channel() {
        return internal.channel();
    }

    boolean suspended() {
        return suspended;
    }

    void suspended(boolean s) {
        suspended = s;
    }

    /** Whether a caller reads the pipe now (the router should not watch it meanwhile). */
    boolean readByCaller() {
        return routing.isLocked();
    }

    /**
     * Routes what the internal pipe has, without waiting: at most
     * {@link #PUMP_BATCH} messages, and none while an object waits for room in
     * the return queue. {@code readable}: the selector saw the socket readable
     * (or it is closed).
     */
    Pumped pump(boolean readable) {
        if (!routing.tryLock()) {
            return Pumped.READ_BY_CALLER;
        }
        routerPumping = true;
        try {
            java.util.function.Consumer<BackendReplies> hook = whilePumping;
            if (hook != null) {
                hook.accept(this);
            }
            if (routeEnded) {
                return Pumped.ENDED;
            }
            boolean callers = callerTurns != callerTurnsSeen;
            callerTurnsSeen = callerTurns;
            Pumped p = parked == null && !readable && !more && !internal.hasBufferedMessage() ? Pumped.IDLE : routeLocked(0);
            return p == Pumped.IDLE && callers ? Pumped.READ_BY_CALLER : p;
        } finally {
            routerPumping = false;
            routing.unlock();
        }
    }

    /**
     * Under {@link #routing}: routes at most {@link #PUMP_BATCH} messages, the
     * first waiting up to {@code waitSeconds} (0: none) for the socket.
     */
    private Pumped routeLocked(double waitSeconds) {
        if (routeEnded) {
            return Pumped.ENDED;
        }
        if (parked != null) {
            if (!returned.offer(parked, this::mayExceedReturnBound)) {
                return Pumped.WAITING_FOR_ROOM;
            }
            parked = null;
            waitingForRoom = false;
        }
        more = false;
        try {
            for (int i = 0; i < PUMP_BATCH; i++) {
                if (!internal.poll(i == 0 ? waitSeconds : 0)) {
                    return Pumped.IDLE;
                }
                Object o = deliver(internal.recv());
                if (o != null && !offerOrPark(o)) {
                    return Pumped.WAITING_FOR_ROOM;
                }
            }
            more = true;
            return Pumped.MORE;
        } catch (RuntimeException e) {
            // the backend is gone (or the pipe closed): fail whatever waits, saying how it ended
            endRoute();
            return Pumped.ENDED;
        }
    }

    /**
     * Queues {@code o}, or keeps it in {@code parked} when the queue is full and
     * its bound stands; false then. The flag that makes a new call wake the router
     * is set before the bound is asked again, so a call added meanwhile is seen
     * here or sees the flag.
     */
    private boolean offerOrPark(Object o) {
        if (returned.offer(o, this::mayExceedReturnBound)) {
            return true;
        }
        waitingForRoom = true;
        if (returned.offer(o, this::mayExceedReturnBound)) {
            waitingForRoom = false;
            return true;
        }
        parked = o;
        return false;
    }

    /** The pipe ended: once the exit status is in (within 2 s), the waiting calls fail with it. */
    private void endRoute() {
        routeEnded = true;
        Process p = life.process();
        p.onExit().completeOnTimeout(p, 2, TimeUnit.SECONDS).whenComplete((x, t) -> {
            if (!p.isAlive()) {
                life.exited();
            }
            failPending();
            ended = true;
            returned.wakeTakers(); // returnFromBack ends now, not at its next look (a pool's replacement waits for it)
        });
    }

    /** A reply completes its call (null back); anything else is returned for the queue. */
    private Object deliver(MessageObject m) {
        if (WireProtocol.isStarted(m)) {
            return null; // for a start() that waits for preRun__; nobody else wants it
        }
        if (WireProtocol.isReply(m)) {
            complete(pending.remove(WireProtocol.replyId(m)), m);
            return null;
        }
        if (remoteEvent(m)) {
            return null;
        }
        return m == null ? NULL_RETURN : m;
    }

    private static void complete(Call p, MessageObject m) {
        if (p == null) {
            return;
        }
        byte[] error = WireProtocol.replyFailure(m);
        if (error != null) {
            p.completeExceptionally(Throwables.decode(error));
            return;
        }
        try {
            p.complete(Codec.convert(WireProtocol.replyValue(m), p.type));
        } catch (RuntimeException | LinkageError e) { // a reply type whose class fails to load fails its call only
            p.completeExceptionally(new IllegalStateException("the backend's reply "
                    + MessageObject.show(WireProtocol.replyValue(m)) + " is not a " + p.type.toCanonical(), e));
        }
    }

    /**
     * Whether the router may queue past the returnFromBack bound now, because
     * waiting for returnFromBack could deadlock. Router thread only. True while
     * <ul>
     * <li>a proxy call waits for its reply (the reply may be behind the unread
     *     objects, or the backend may be blocked in {@code return_out__} before
     *     it can answer);</li>
     * <li>a stop was requested, or the backend has exited (what it still sends is
     *     finite, and it must be able to finish its handler and see the stop);</li>
     * <li>a thread waits for an event that this backend, on another host, sets by
     *     a message behind the unread objects (see {@link RemoteCrossing});</li>
     * <li>a {@code sendMessageToBack} has made no progress for
     *     {@link #SEND_STUCK_NANOS}: the backend is not reading because it is
     *     blocked in {@code return_out__}, and the sending thread may be the one
     *     that would take the objects afterwards (send a burst, then read).</li>
     * </ul>
     */
    private boolean mayExceedReturnBound() {
        if (!pending.isEmpty() || life.stopRequested() || life.state() == Lifecycle.State.EXITED) {
            return true;
        }
        RemoteCrossing.Groups g = groups;
        if (g != null && g.anyWaiting()) {
            return true;
        }
        long s = sends.get();
        if ((int) s == 0) {
            sendsSeen = -1;
            return false;
        }
        long now = System.nanoTime();
        if (s != sendsSeen) {
            sendsSeen = s;
            sendsSeenAt = now;
            return false;
        }
        return now - sendsSeenAt >= SEND_STUCK_NANOS;
    }

    /**
     * The router could not go on reading this backend ({@code t} escaped a pump):
     * its replies can no longer be delivered, so the backend is ended (it would
     * block in {@code return_out__} otherwise), and its waiting calls and
     * {@code returnFromBack} fail with {@code t} as the cause. Router thread only.
     */
    void routerFailed(Throwable t) {
        routerFailure = t;
        for (Long id : List.copyOf(pending.keySet())) {
            Call p = pending.remove(id);
            if (p != null) {
                p.completeExceptionally(new IllegalStateException(label
                        + ": the frontend could not read the backend's replies", t));
            }
        }
        Process p = life.process();
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
        }
        ended = true;
        main.wakeReplyReader(); // a caller reading for its reply sees its call failed now
        internal.wakeReplyReader();
        returned.wake();
        returned.wakeTakers();
    }

    @Override
    public String toString() {
        return label;
    }

    /** Fails every call still waiting for a reply, saying how the backend ended. */
    void failPending() {
        main.routeBufferedReplies(); // a reply the backend sent on the main pipe before it ended completes its call
        for (Long id : List.copyOf(pending.keySet())) {
            Call p = pending.remove(id);
            if (p != null) {
                p.completeExceptionally(new PipeClosedException(label + ": no reply: " + life.describeDeath()));
            }
        }
        main.wakeReplyReader(); // a caller reading for its reply sees its call failed now
        internal.wakeReplyReader();
    }
}
