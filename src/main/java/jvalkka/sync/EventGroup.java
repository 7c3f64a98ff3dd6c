package jvalkka.sync;

import jvalkka.sync.internal.Peer;
import jvalkka.sync.internal.PeerAware;
import jvalkka.sync.internal.RemoteEvents;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import jvalkka.shm.internal.Crossing;
import jvalkka.shm.internal.Futex;
import jvalkka.shm.internal.Waiter;
import jvalkka.shm.SegmentExistsException;
import jvalkka.shm.SharedMemory;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A group of n cross-process events in one small shared memory segment:
 * valkka's {@code EventGroup}. The frontend {@link #reserve()}s an event and
 * sends its index to the backend, which {@link #set(int) sets} it; the
 * frontend waits for it, usually through a {@link SyncIndex}.
 *
 * <pre>{@code
 * EventGroup eg = new EventGroup(10);               // in the frontend, before start()
 * try (SyncIndex s = new SyncIndex(eg)) {          // reserve + clear
 *     sendMessageToBack(new MessageObject("ping", "sync_index", s.index()));
 * }                                                // waits until the backend calls eg.set(i)
 * }</pre>
 *
 * <p><b>Waiting</b> costs no CPU when idle and wakes fast: a waiter spins briefly
 * ({@value #SPIN_PROPERTY} microseconds, default 50) and then sleeps on a
 * Linux futex on the event's word in the mapping; {@code set} makes the wake
 * system call only when a waiter sleeps. Without futexes it parks with growing
 * pauses (up to 2 ms). Sleeps are sliced (100 ms) so that interrupts and peer
 * deaths are seen even if a wake is missed.
 *
 * <p><b>Peers.</b> {@link #addPeer(Peer)} names the processes that may set the
 * events (the core adds each backend the group crosses to). When all peers
 * have died, a {@link SyncIndex} stops waiting and throws
 * {@link BackendDiedException}; with no peer it waits without limit.
 *
 * <p><b>Ownership and crossing.</b> The creating JVM owns the segment: it is
 * unlinked on {@link #close()} or at JVM exit. The group serializes as a handle
 * (its segment name): a child JVM that deserializes it maps the same events
 * (and owns nothing). Reservations are local to each JVM: reserve in one
 * process only (the frontend), as with valkka.
 *
 * <p><b>Across hosts.</b> A group that crosses to a backend on another host
 * (where no shared memory reaches) becomes a copy there: the copy's
 * {@code set(i)} and a failing handler's event are sent to the frontend, so a
 * {@link SyncIndex} in the frontend works as on one host. Nothing travels the
 * other way: the frontend's {@code set(i)} does not reach the copy, and the
 * copy's {@link #isSet(int)} reports only what that backend set. Waiting on a
 * copy ({@link Event#await()}, {@link SyncIndex}) therefore throws
 * {@link UnsupportedOperationException} at once, instead of waiting for a set
 * that cannot come: wait in the frontend, or send the backend a message.
 *
 * <p><b>Threads.</b> All methods are thread-safe. {@code set}, {@code clear}
 * and waiting do not allocate. {@link #close()} may race with the other methods
 * in other threads (and with the core's own uses: a peer's death wakes the
 * waiters, a remote backend's sets arrive): an operation under way when the
 * close begins completes, a wait ends with {@link IllegalStateException}, and one
 * that begins later throws {@link IllegalStateException}; the segment is unmapped
 * only when none is under way. The cost is two atomic adds on a counter of the
 * group per operation (a wait counts once, however long it waits).
 */
public final class EventGroup implements AutoCloseable, Serializable, PeerAware {
    private static final long serialVersionUID = 1L;

    /** System property: how long a waiter spins before sleeping, in microseconds. */
    public static final String SPIN_PROPERTY = "jvalkka.sync.spinMicros";
    static final long SPIN_NANOS = Math.max(0, Long.getLong(SPIN_PROPERTY, 50)) * 1000;
    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Each waiting thread's ladder (an anonymous class, not a lambda: see Select). */
    private static final ThreadLocal<Waiter> WAITERS = new ThreadLocal<>() {
        @Override
        protected Waiter initialValue() {
            return new Waiter(SPIN_NANOS, 0, true, MAX_PARK_NANOS);
        }
    };
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private static final int MAGIC = 0x4745564a; // "JVEG"
    private static final int VERSION = 2;
    private static final int HEADER = 64;
    /** In the header: the sequence number of the last failure report written (see {@link #fail}). */
    private static final int FAILURE_COUNTER = 12;
    private static final int STRIDE = 64; // one cache line per event: no false sharing between events
    // within an event's line, after its state word at 0:
    /** Hash of the name of the message parameter that carried the index (see {@link #arm}). */
    private static final int ARMED_NAME = 4;
    /** The pid of the backend the index was sent to; 0: not armed. */
    private static final int ARMED_PID = 8;
    /** The sequence number of this event's failure report. */
    private static final int FAILURE_SEQ = 16;
    /** Bumped by every reserve(): tells a failure of the last message from one of a new reservation. */
    private static final int GENERATION = 20;
    /** Failure reports: a few slots after the events, reused in turn (the waiter reads its own at once). */
    private static final int REPORT_SLOTS = 4;
    private static final int REPORT_SLOT_BYTES = 16 * 1024;
    /** The most events one group holds. */
    public static final int MAX_EVENTS = 65_536;

    static final int CLEAR = 0;
    static final int SET = 1;
    static final int WAITING = 2; // clear, and someone sleeps on the futex: set() must wake
    static final int FAILED = 3;  // will not be set: a failure report says why (see fail())

    static final int OK = 0;
    static final int TIMED_OUT = 1;
    static final int DIED = 2;
    static final int INTERRUPTED = 3;
    static final int FAILED_EVENT = 4;
    static final int CLOSED = 5;

    /** Groups this JVM opened by name (a backend's crossed groups): where a failed handler's events are. */
    private static final List<EventGroup> OPENED = new CopyOnWriteArrayList<>();

    /**
     * This JVM's pid, looked up when first needed: every backend loads this class
     * (it looks for armed events in messages), and ProcessHandle's set-up costs a
     * backend's start about twenty more classes even when it has no EventGroup.
     */
    private static final class Me {
        static final long PID = ProcessHandle.current().pid();
    }
    private static volatile int openedMax;

    private final transient SharedMemory shm; // null for a remote group's copy
    private final transient String name;
    /** Where a remote group's sets and failures go (a copy in a backend on another host), else null. */
    private final transient RemoteEvents.Link link;
    private final transient UnsafeBuffer buf;
    private final transient long address;
    private final transient int n;
    private final transient Event[] events;
    private final transient Object lock = new Object();
    private final transient int[] free; // FIFO ring of free indices, like valkka's pop(0)/append
    private final transient boolean[] reserved;
    private transient int head;
    private transient int freeCount;
    private final transient List<Peer> peers = new CopyOnWriteArrayList<>();
    private transient volatile boolean closed;
    /** Operations under way on the mapping ({@link #enter()}); {@link #close()} unmaps when there are none. */
    private transient volatile int using;
    private static final java.lang.invoke.VarHandle USING;
    /** How long {@link #close()} waits for operations under way (a wait ends within one slice). */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    static {
        try {
            USING = java.lang.invoke.MethodHandles.lookup().findVarHandle(EventGroup.class, "using", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Ten events, valkka's default. */
    public EventGroup() {
        this(10);
    }

    /**
     * Creates {@code n} events, all clear, in a new segment owned by this JVM.
     *
     * @throws UncheckedIOException if the segment cannot be created
     * @param n how many
     */
    public EventGroup(int n) {
        this(createSegment(n), n, true);
    }

    private EventGroup(SharedMemory shm, int n, boolean init) {
        this(shm, shm.name(), shm.buffer(), n, init, null);
    }

    private EventGroup(SharedMemory shm, String name, UnsafeBuffer buf, int n, boolean init, RemoteEvents.Link link) {
        this.shm = shm;
        this.name = name;
        this.link = link;
        this.buf = buf;
        this.address = buf.addressOffset();
        this.n = n;
        if (init) {
            buf.putInt(4, VERSION);
            buf.putInt(8, n);
            buf.putIntVolatile(0, MAGIC); // last: an opener that sees the magic sees the rest
        }
        this.events = new Event[n];
        this.free = new int[n];
        this.reserved = new boolean[n];
        for (int i = 0; i < n; i++) {
            events[i] = new Event(this, i);
            free[i] = i;
        }
        this.freeCount = n;
    }

    static { // how the core applies what a remote backend sent to this JVM's groups
        RemoteEvents.install(new RemoteEvents.Receiver() {
            @Override
            public void set(Object group, int index) {
                EventGroup g = (EventGroup) group;
                try {
                    g.set(index);
                } catch (IllegalStateException e) {
                    if (!g.isClosed()) {
                        throw e;
                    } // closed here meanwhile: no one waits for it any more
                }
            }

            @Override
            public void fail(Object group, int index, String parameter, long peerPid, byte[] report) {
                EventGroup g = (EventGroup) group;
                try {
                    g.failFromPeer(index, parameter, peerPid, report);
                } catch (IllegalStateException e) {
                    if (!g.isClosed()) {
                        throw e;
                    } // closed here meanwhile: no one waits for it any more
                }
            }

            @Override
            public boolean hasSleepingWaiter(Object group) {
                return ((EventGroup) group).hasSleepingWaiter();
            }
        });
    }

    /**
     * A backend on another host: the frontend's group {@code name} as a copy in
     * this JVM's memory (there is no shared memory across hosts), whose
     * {@link #set} and {@link #fail} also go to the frontend through {@code link}.
     * Waiting here sees only what this JVM set.
     */
    static EventGroup remoteCopy(String name, int n, RemoteEvents.Link link) throws IOException {
        if (n < 1 || n > MAX_EVENTS) {
            throw new IOException("EventGroup '" + name + "' crossed with a bad size " + n);
        }
        UnsafeBuffer mem = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect((int) segmentBytes(n)));
        EventGroup g = new EventGroup(null, name, mem, n, true, link);
        OPENED.add(g);
        updateOpenedMax();
        return g;
    }

    private static SharedMemory createSegment(int n) {
        if (n < 1 || n > MAX_EVENTS) {
            throw new IllegalArgumentException("an EventGroup holds 1.." + MAX_EVENTS + " events, not " + n);
        }
        long pid = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            // the pid says whose it is at a glance; the random part avoids a stale name of a reused pid
            String name = "jvalkka-eg-" + pid + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
            try {
                return SharedMemory.create(name, segmentBytes(n));
            } catch (SegmentExistsException e) {
                if (attempt > 8) {
                    throw new UncheckedIOException(e);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the shared memory of an EventGroup: "
                        + e.getMessage(), e);
            }
        }
    }

    private static long segmentBytes(int n) {
        return HEADER + (long) n * STRIDE + (long) REPORT_SLOTS * REPORT_SLOT_BYTES;
    }

    /**
     * Maps an existing group by its segment name (what deserialization does).
     *
     * @param segmentName the name the group was created with
     * @return the group
     * @throws IOException when no such group exists, or it cannot be mapped
     */
    public static EventGroup open(String segmentName) throws IOException {
        SharedMemory shm = SharedMemory.open(segmentName);
        UnsafeBuffer b = shm.buffer();
        if (shm.size() < HEADER || b.getIntVolatile(0) != MAGIC || b.getInt(4) != VERSION) {
            shm.close();
            throw new IOException("shared memory '" + segmentName + "' is not an EventGroup");
        }
        int n = b.getInt(8);
        if (n < 1 || n > MAX_EVENTS || shm.size() < segmentBytes(n)) {
            shm.close();
            throw new IOException("EventGroup '" + segmentName + "' has a bad header (n=" + n + ")");
        }
        EventGroup g = new EventGroup(shm, n, false);
        OPENED.add(g);
        updateOpenedMax();
        return g;
    }

    /**
     * Number of events (Python's {@code len(eg)}).
     *
     * @return number of events (Python's {@code len(eg)})
     */
    public int size() {
        return n;
    }

    /**
     * The segment's name.
     *
     * @return the segment's name
     */
    public String name() {
        return name;
    }

    /**
     * Whether this JVM created the group (and unlinks it).
     *
     * @return whether this JVM created the group (and unlinks it)
     */
    public boolean isOwner() {
        return shm != null && shm.isOwner();
    }

    // --- the events ---

    /**
     * Sets event {@code i}, waking its waiters. Used by the backend. Does not block or allocate.
     *
     * @param i the index
     */
    public void set(int i) {
        int o = offset(i);
        enter();
        try {
            if (buf.getAndSetInt(o, SET) == WAITING && Futex.AVAILABLE) {
                Futex.wake(address + o, Integer.MAX_VALUE); // only when someone sleeps: no syscall otherwise
            }
        } finally {
            exit();
        }
        if (link != null) {
            link.set(name, i); // a copy in a backend on another host: the frontend's group is the one waited on
        }
    }

    /**
     * Clears event {@code i}.
     *
     * @param i the index
     */
    public void clear(int i) {
        int o = offset(i);
        enter();
        try {
            buf.putIntVolatile(o, CLEAR);
        } finally {
            exit();
        }
    }

    /**
     * Marks event {@code i} failed: it will not be set, and whoever waits for it
     * ({@link SyncIndex#close()}, {@link Event#await()}) stops waiting at once
     * and throws {@link EventFailedException} whose cause is {@code cause} as
     * rebuilt in the waiter's JVM (a {@link RemoteFailure} with its class name,
     * message, stack trace and causes). An event already set stays set. Used by
     * the backend; the core calls it for the events whose index travelled in a
     * message whose handler failed. {@link #clear(int)} or a new
     * {@link #reserve()} makes the event usable again. Does not block.
     *
     * @param what one line that says what failed, for the waiter's message
     * @param i the index
     * @param cause the cause
     */
    public void fail(int i, String what, Throwable cause) {
        fail(i, null, what, cause);
    }

    /** {@link #fail(int, String, Throwable)} for the event that message parameter {@code parameter} carried (or null). */
    private void fail(int i, String parameter, String what, Throwable cause) {
        int o = offset(i);
        boolean set = isSet(i);
        if (set && link == null) {
            return;
        }
        byte[] report = FailureReport.encode(what, cause, REPORT_SLOT_BYTES - 8);
        if (link != null) {
            // a copy's "set" may be an earlier reservation's: the frontend decides (failFromPeer)
            link.fail(name, i, parameter, report);
        }
        if (!set) { // this JVM's own word: a set stays set, as in the frontend's group
            enter();
            try {
                writeReport(o, report);
                markFailed(o);
            } finally {
                exit();
            }
        }
    }

    /**
     * In the frontend: a backend on another host ({@code peerPid}) failed event
     * {@code i}. Applied only if the event was armed for that backend and that
     * parameter (see {@link #arm}; any arming for a failure by hand, {@code
     * parameter} null) and is not set: the backend cannot know what this JVM armed.
     */
    private void failFromPeer(int i, String parameter, long peerPid, byte[] report) {
        int o = offset(i);
        if (!tryEnter()) {
            return; // closed meanwhile: no one waits any more
        }
        try {
            if (buf.getLongVolatile(o + ARMED_PID) != peerPid
                    || parameter != null && buf.getInt(o + ARMED_NAME) != parameter.hashCode()
                    || buf.getIntVolatile(o) == SET) {
                return;
            }
            writeReport(o, report != null && report.length <= REPORT_SLOT_BYTES - 8 ? report : new byte[0]);
            markFailed(o);
        } finally {
            exit();
        }
    }

    /** Whether a thread sleeps on the futex of one of the events (the words say WAITING); false once closed. */
    private boolean hasSleepingWaiter() {
        if (!tryEnter()) {
            return false;
        }
        try {
            for (int i = 0; i < n; i++) {
                if (buf.getIntVolatile(HEADER + i * STRIDE) == WAITING) {
                    return true;
                }
            }
            return false;
        } finally {
            exit();
        }
    }

    private void markFailed(int o) {
        while (true) {
            int v = buf.getIntVolatile(o);
            if (v == SET || v == FAILED) {
                return;
            }
            if (buf.compareAndSetInt(o, v, FAILED)) {
                if (v == WAITING && Futex.AVAILABLE) {
                    Futex.wake(address + o, Integer.MAX_VALUE);
                }
                return;
            }
        }
    }

    private void writeReport(int o, byte[] report) {
        int seq;
        do {
            seq = buf.getAndAddInt(FAILURE_COUNTER, 1) + 1;
        } while (seq == 0); // 0 marks a slot being written
        int slot = reportSlot(seq);
        buf.putIntVolatile(slot, 0);
        buf.putInt(slot + 4, report.length);
        buf.putBytes(slot + 8, report);
        buf.putIntVolatile(slot, seq);
        buf.putIntVolatile(o + FAILURE_SEQ, seq);
    }

    private int reportSlot(int seq) {
        return HEADER + n * STRIDE + Math.floorMod(seq, REPORT_SLOTS) * REPORT_SLOT_BYTES;
    }

    /** The exception a waiter of the failed event {@code i} throws. */
    EventFailedException failure(int i) {
        int o = offset(i);
        byte[] report;
        enter();
        try {
            report = readReport(o);
        } finally {
            exit();
        }
        return FailureReport.exception(name(), i, report);
    }

    /** The failure report of the event at {@code o}, or null if none is readable. */
    private byte[] readReport(int o) {
        int seq = buf.getIntVolatile(o + FAILURE_SEQ);
        byte[] report = null;
        if (seq != 0) {
            int slot = reportSlot(seq);
            int len = buf.getInt(slot + 4);
            if (buf.getIntVolatile(slot) == seq && len >= 0 && len <= REPORT_SLOT_BYTES - 8) {
                report = new byte[len];
                buf.getBytes(slot + 8, report);
                if (buf.getIntVolatile(slot) != seq) {
                    report = null; // overwritten while we read it
                }
            }
        }
        return report;
    }

    /**
     * Framework hook, in the frontend, just before a message leaves for the
     * backend {@code peerPid} with this group's event {@code i} in its parameter
     * {@code parameter}: lets that backend mark the event failed if the
     * message's handler fails (see {@link #fail}).
     */
    void arm(int i, String parameter, long peerPid) {
        int o = offset(i);
        enter();
        try {
            buf.putInt(o + ARMED_NAME, parameter.hashCode());
            buf.putLongVolatile(o + ARMED_PID, peerPid);
        } finally {
            exit();
        }
    }

    /**
     * Framework hook: the size of the largest group this JVM opened by name (a
     * backend's crossed groups), 0 when none: an int parameter at or above it
     * cannot be an event index.
     *
     * @return the size of the largest group opened by name, 0 if none
     */
    public static int openedMaxEvents() {
        return openedMax;
    }

    private static void updateOpenedMax() {
        int max = 0;
        for (EventGroup g : OPENED) {
            max = Math.max(max, g.n);
        }
        openedMax = max;
    }

    /**
     * Framework hook, in the backend, before a message's handler runs: the
     * events of the groups this JVM opened that the message's int parameters
     * ({@code names[k] = values[k]}) carry, as armed by the frontend that sent
     * it; {@code null} when there are none (the usual case). If the handler then
     * fails, {@link Candidates#fail} marks them failed, unless they were set or
     * reserved anew meanwhile.
     *
     * @param names the parameter names
     * @param values the int parameter values
     * @param count how many of them are valid
     * @return the events those values may name
     */
    public static Candidates candidates(String[] names, int[] values, int count) {
        if (openedMax == 0 || count == 0) {
            return null;
        }
        Candidates c = null;
        for (EventGroup g : OPENED) {
            if (!g.tryEnter()) {
                continue; // closed
            }
            try {
                c = g.candidates(names, values, count, c);
            } finally {
                g.exit();
            }
        }
        return c;
    }

    /** {@link #candidates(String[], int[], int)} in this group, added to {@code c} (made if null and needed). */
    private Candidates candidates(String[] names, int[] values, int count, Candidates c) {
        for (int k = 0; k < count; k++) {
            int i = values[k];
            if (i < 0 || i >= n) {
                continue;
            }
            int o = HEADER + i * STRIDE;
            // a remote copy cannot see what the frontend armed, reserved or cleared (its words keep
            // the last set of every index): the frontend checks both (failFromPeer)
            boolean candidate = link != null || buf.getLongVolatile(o + ARMED_PID) == Me.PID
                    && buf.getInt(o + ARMED_NAME) == names[k].hashCode() && buf.getIntVolatile(o) != SET;
            if (candidate) {
                if (c == null) {
                    c = new Candidates();
                }
                c.add(this, i, buf.getIntVolatile(o + GENERATION), names[k]);
            }
        }
        return c;
    }

    /** Events a message carried; see {@link #candidates}. */
    public static final class Candidates {
        private final List<Object[]> events = new java.util.ArrayList<>(1);

        private Candidates() {
        }

        void add(EventGroup g, int i, int generation, String parameter) {
            events.add(new Object[] {g, i, generation, parameter});
        }

        /**
         * The handler failed: marks the events failed (see {@link EventGroup#fail}), but not one set or reserved anew.
         *
         * @param what what failed
         * @param cause the exception, or null
         */
        public void fail(String what, Throwable cause) {
            for (Object[] e : events) {
                EventGroup g = (EventGroup) e[0];
                int i = (Integer) e[1];
                if (!g.tryEnter()) {
                    continue; // closed
                }
                int generation;
                try {
                    generation = g.buf.getIntVolatile(HEADER + i * STRIDE + GENERATION);
                } finally {
                    g.exit();
                }
                if (generation != (Integer) e[2]) {
                    continue;
                }
                try {
                    g.fail(i, (String) e[3], what, cause);
                } catch (IllegalStateException closedMeanwhile) {
                    // closed since: no one waits for it any more
                }
            }
        }
    }

    /**
     * Whether event {@code i} is set.
     *
     * @param i the index
     * @return whether event {@code i} is set
     */
    public boolean isSet(int i) {
        int o = offset(i);
        enter();
        try {
            return buf.getIntVolatile(o) == SET;
        } finally {
            exit();
        }
    }

    private int offset(int i) {
        if (closed) {
            throw new IllegalStateException("EventGroup '" + name + "' is closed");
        }
        if (i < 0 || i >= n) {
            throw new IndexOutOfBoundsException("event index " + i + " is out of range for EventGroup '"
                    + name + "' of " + n + " events");
        }
        return HEADER + i * STRIDE;
    }

    /**
     * Begins an operation on the mapping: {@link #close()} does not unmap it until the matching
     * {@link #exit()} (in a finally block). Two atomic adds per operation, with {@code exit}.
     *
     * @throws IllegalStateException naming the group when it is closed
     */
    private void enter() {
        if (!tryEnter()) {
            throw new IllegalStateException("EventGroup '" + name + "' is closed");
        }
    }

    /** {@link #enter()}, but false instead of an exception when the group is closed. */
    private boolean tryEnter() {
        USING.getAndAdd(this, 1);
        // close() sets closed, then reads using; this adds to using, then reads closed: one of the
        // two sees the other (both volatile), so no operation runs on an unmapped segment
        if (closed) {
            USING.getAndAdd(this, -1);
            return false;
        }
        return true;
    }

    private void exit() {
        USING.getAndAdd(this, -1);
    }

    /**
     * Reserves a free event and clears it; returns it (its {@link Event#index()}
     * is what goes to the backend). Used by the frontend.
     *
     * @throws NotEnoughEvents when all events are reserved
     * @return the reserved event
     */
    public Event reserve() {
        int i;
        synchronized (lock) {
            if (freeCount == 0) {
                throw new NotEnoughEvents("all " + n + " events of EventGroup '" + name + "' are reserved:"
                        + " close a SyncIndex (release an event) first, or create the group with more events");
            }
            i = free[head];
            head = (head + 1) % n;
            freeCount--;
            reserved[i] = true;
        }
        int o = offset(i);
        enter();
        try {
            buf.putLongVolatile(o + ARMED_PID, 0);
            buf.putIntVolatile(o + GENERATION, buf.getInt(o + GENERATION) + 1);
            buf.putIntVolatile(o, CLEAR);
        } finally {
            exit();
        }
        return events[i];
    }

    /**
     * Returns a reserved event to the pool.
     *
     * @throws IllegalArgumentException if {@code event} belongs to another group
     * @throws IllegalStateException if it is not reserved
     * @param event the event
     */
    public void release(Event event) {
        release_ind(asIndex(event));
    }

    /**
     * Returns the reserved event {@code index} to the pool.
     *
     * @param index the index
     */
    public void release_ind(int index) {
        offset(index);
        synchronized (lock) {
            if (!reserved[index]) {
                throw new IllegalStateException("event " + index + " of EventGroup '" + name
                        + "' is not reserved (released twice?)");
            }
            reserved[index] = false;
            free[(head + freeCount) % n] = index;
            freeCount++;
        }
    }

    /**
     * The event at {@code i} (in the backend: the one the frontend reserved).
     *
     * @param i the index
     * @return the event at {@code i} (in the backend: the one the frontend reserved)
     */
    public Event fromIndex(int i) {
        offset(i);
        return events[i];
    }

    /**
     * The index of {@code event}.
     *
     * @throws IllegalArgumentException if it belongs to another group
     * @param event the event
     * @return the index of {@code event}
     */
    public int asIndex(Event event) {
        if (event.group != this) {
            throw new IllegalArgumentException("event " + event.index + " belongs to EventGroup '"
                    + event.group.name() + "', not to this EventGroup '" + name + "'");
        }
        return event.index;
    }

    /**
     * How many events are free to reserve now.
     *
     * @return how many events are free to reserve now
     */
    public int available() {
        synchronized (lock) {
            return freeCount;
        }
    }

    // --- peers ---

    /**
     * Adds a process that may set these events. When every added peer has died,
     * waiters stop waiting ({@link SyncIndex} throws {@link BackendDiedException}).
     */
    @Override
    public void addPeer(Peer peer) {
        peers.add(peer);
        peer.onDeath(this::wakeAllWaiters);
    }

    /**
     * Removes a peer (for example a backend stopped on purpose).
     *
     * @param peer the peer
     */
    public void removePeer(Peer peer) {
        peers.remove(peer);
    }

    /**
     * The peers added, in order.
     *
     * @return the peers added, in order
     */
    public List<Peer> peers() {
        return List.copyOf(peers);
    }

    /** Whether the group has peers and each learns indexes only by message (see {@link Peer#learnsIndexesByMessage}). */
    boolean peersLearnIndexesByMessage() {
        if (peers.isEmpty()) {
            return false;
        }
        for (Peer p : peers) {
            if (!p.learnsIndexesByMessage()) {
                return false;
            }
        }
        return true;
    }

    boolean allPeersDead() {
        if (peers.isEmpty()) {
            return false;
        }
        for (Peer p : peers) {
            if (p.isAlive()) {
                return false;
            }
        }
        return true;
    }

    String deathReport() {
        StringBuilder sb = new StringBuilder();
        for (Peer p : peers) {
            if (!p.isAlive()) {
                sb.append(sb.length() == 0 ? "" : "; ").append(p.deathReport());
            }
        }
        return sb.toString();
    }

    private void wakeAllWaiters() {
        if (!Futex.AVAILABLE || !tryEnter()) {
            return; // parked waiters poll within 2 ms anyway; a closed group has no waiters left
        }
        try {
            wakeSleepers();
        } finally {
            exit();
        }
    }

    /** Wakes every thread asleep on an event's futex word (the mapping must be in use: {@link #enter()}). */
    private void wakeSleepers() {
        for (int i = 0; i < n; i++) {
            int o = HEADER + i * STRIDE;
            if (buf.getIntVolatile(o) == WAITING) {
                Futex.wake(address + o, Integer.MAX_VALUE); // the waiter re-checks the peers
            }
        }
    }

    // --- waiting ---

    /**
     * Waits until event {@code i} is set, for at most {@code timeoutNanos} (no
     * limit if negative). With {@code watchPeers}, also returns when all peers
     * are dead. Returns {@link #OK}, {@link #TIMED_OUT}, {@link #DIED} or
     * {@link #INTERRUPTED} (the interrupt flag stays set).
     */
    int await(int i, long timeoutNanos, boolean watchPeers) {
        return await(i, timeoutNanos, watchPeers, WAITERS.get(), SLICE_NANOS);
    }

    /** The state word of event {@code i}: {@link #CLEAR}, {@link #SET} or {@link #WAITING}. */
    int state(int i) {
        int o = offset(i);
        enter();
        try {
            return buf.getIntVolatile(o);
        } finally {
            exit();
        }
    }

    /** {@link #await(int, long, boolean)} with a waiter of its own (for the tests: without the futex, other slices). */
    int await(int i, long timeoutNanos, boolean watchPeers, boolean useFutex, long sliceNanos) {
        return await(i, timeoutNanos, watchPeers, new Waiter(SPIN_NANOS, 0, useFutex, MAX_PARK_NANOS), sliceNanos);
    }

    private int await(int i, long timeoutNanos, boolean watchPeers, Waiter waiter, long sliceNanos) {
        int o = offset(i);
        if (!tryEnter()) {
            return CLOSED;
        }
        try {
            return awaitEntered(i, o, timeoutNanos, watchPeers, waiter, sliceNanos);
        } finally {
            exit();
        }
    }

    /** {@link #await(int, long, boolean)} inside {@link #enter()}: {@link #CLOSED} when a close begins meanwhile. */
    private int awaitEntered(int i, int o, long timeoutNanos, boolean watchPeers, Waiter waiter, long sliceNanos) {
        if (link != null) {
            throw new UnsupportedOperationException("EventGroup '" + name + "' is a copy in a backend on another"
                    + " host (no shared memory reaches there): it sees only the sets of this JVM, never the frontend's,"
                    + " so a wait here for event " + i + " would wait for a set that cannot come. Wait in the frontend"
                    + " (the backend sets, the frontend's SyncIndex waits), or send this backend a message instead");
        }
        if (buf.getIntVolatile(o) == SET) {
            return OK;
        }
        long start = System.nanoTime();
        // spin: a reply that comes within microseconds costs neither side a system call
        waiter.reset();
        while (!waiter.sleeping()) {
            int v = buf.getIntVolatile(o);
            if (v == SET) {
                return OK;
            }
            if (v == FAILED || waiter.idle()) {
                break;
            }
        }
        while (true) {
            int v = buf.getIntVolatile(o);
            if (v == SET) {
                return OK;
            }
            if (v == FAILED) {
                return FAILED_EVENT;
            }
            if (Thread.currentThread().isInterrupted()) {
                return INTERRUPTED;
            }
            if (closed) {
                return CLOSED; // close() waits for this wait to end before it unmaps
            }
            if (watchPeers && allPeersDead()) {
                // the backend may have set it just before it died
                return buf.getIntVolatile(o) == SET ? OK : DIED;
            }
            long left = timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos - (System.nanoTime() - start);
            if (left <= 0) {
                return TIMED_OUT;
            }
            long slice = Math.min(left, sliceNanos);
            if (waiter.usesFutex() && v == CLEAR && !buf.compareAndSetInt(o, CLEAR, WAITING)) {
                continue; // it changed under us: look again
            }
            waiter.sleep(address + o, WAITING, slice); // set() sees WAITING and wakes us
        }
    }

    // --- lifecycle ---

    /**
     * Closes this JVM's view; the owner also unlinks the segment. Idempotent. A
     * thread waiting on one of the events stops waiting with
     * {@link IllegalStateException}; the mapping goes once no operation is under
     * way (see "Threads" above): this waits for them, up to 2 s (a wait ends
     * within one sleep), and past that leaves the mapping until this JVM exits.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (OPENED.remove(this)) {
            updateOpenedMax();
        }
        boolean idle = awaitIdle();
        if (shm != null) {
            if (shm.isOwner()) {
                shm.unlink();
            }
            if (idle) {
                shm.close();
            }
        }
    }

    /** After {@code closed} is set: wakes the sleeping waiters, then waits for the operations under way to end. */
    private boolean awaitIdle() {
        if (using == 0) {
            return true;
        }
        if (Futex.AVAILABLE) {
            wakeSleepers(); // still mapped: an operation is under way; the waiters see closed
        }
        return Waiter.untilZero(() -> using, CLOSE_WAIT_NANOS);
    }

    IllegalStateException closedWhileWaiting(int i) {
        return new IllegalStateException("EventGroup '" + name + "' was closed while waiting for event " + i);
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return closed;
    }

    /** Like valkka's: {@code <EventGroup jvalkka-eg-..: f0 R1 ...>}, f = free, R = reserved. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("<EventGroup ").append(name).append(':');
        synchronized (lock) {
            for (int i = 0; i < n; i++) {
                sb.append(' ').append(reserved[i] ? 'R' : 'f').append(i);
            }
        }
        return sb.append('>').toString();
    }

    // --- serialization: as a handle ---

    /**
     * Serializes the name (and layout), not the memory.
     *
     * @return the serial form
     * @throws ObjectStreamException never
     */
    private Object writeReplace() throws ObjectStreamException {
        if (closed) {
            throw new InvalidObjectException("EventGroup '" + name + "' is closed");
        }
        Crossing.note(this);
        return new Handle(name, n);
    }

    /**
     * Refuses direct deserialization: the serial form is read through {@code writeReplace}.
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    private void readObject(java.io.ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("EventGroup crosses as a Handle");
    }

    static final class Handle extends jvalkka.shm.internal.NamedHandle {
        private static final long serialVersionUID = 1L;

        /** The number of events: what a backend on another host needs to make its copy. */
        private final int size;

        Handle(String name, int size) {
            super(name);
            this.size = size;
        }

        @Override
        protected Object reopen(String name) throws IOException {
            RemoteEvents.Link link = RemoteEvents.link();
            return link != null ? EventGroup.remoteCopy(name, size, link) : EventGroup.open(name);
        }

        @Override
        protected String what() {
            return "EventGroup";
        }
    }

    /**
     * One event of a group (valkka's {@code Event} as {@code reserve()} returns
     * it). Cheap, immutable, one per index; methods delegate to the group.
     */
    public static final class Event {
        private final EventGroup group;
        private final int index;

        Event(EventGroup group, int index) {
            this.group = group;
            this.index = index;
        }

        /** {@return the event's index in its group} */
        public int index() {
            return index;
        }

        /** {@return the group this event belongs to} */
        public EventGroup group() {
            return group;
        }

        /** Sets the event, waking whoever waits for it. */
        public void set() {
            group.set(index);
        }

        /** Clears the event. */
        public void clear() {
            group.clear(index);
        }

        /** {@return whether the event is set} */
        public boolean isSet() {
            return group.isSet(index);
        }

        /**
         * Waits until set, without limit (Python's {@code event.wait()}).
         *
         * @throws InterruptedException when interrupted while waiting
         * @throws IllegalStateException when the group is closed, or closes while this waits
         * @throws UnsupportedOperationException on a group's copy in a backend on another host
         *     (see "Across hosts" in {@link EventGroup})
         */
        public void await() throws InterruptedException {
            int r = group.await(index, -1, false);
            if (r == CLOSED) {
                throw group.closedWhileWaiting(index);
            }
            if (r == INTERRUPTED) {
                Thread.interrupted();
                throw new InterruptedException("interrupted waiting for event " + index);
            }
            if (r == FAILED_EVENT) {
                throw group.failure(index);
            }
        }

        /**
         * Waits until set, at most {@code timeout}; true if it was set (Python's {@code event.wait(t)}).
         *
         * @param timeout the longest wait
         * @param unit the unit of {@code timeout}
         * @return whether the event was set in time
         * @throws InterruptedException when interrupted while waiting
         * @throws IllegalStateException when the group is closed, or closes while this waits
         * @throws UnsupportedOperationException on a group's copy in a backend on another host
         *     (see "Across hosts" in {@link EventGroup})
         */
        public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
            int r = group.await(index, Math.max(0, unit.toNanos(timeout)), false);
            if (r == CLOSED) {
                throw group.closedWhileWaiting(index);
            }
            if (r == INTERRUPTED) {
                Thread.interrupted();
                throw new InterruptedException("interrupted waiting for event " + index);
            }
            if (r == FAILED_EVENT) {
                throw group.failure(index);
            }
            return r == OK;
        }

        @Override
        public String toString() {
            return "<Event " + index + " of " + group.name() + (isSetQuiet() ? ": set>" : ">");
        }

        private boolean isSetQuiet() {
            return !group.closed && group.isSet(index);
        }
    }
}
