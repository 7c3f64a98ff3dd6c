package jvalkka.multiprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * valkka's {@code safe_select}: one call that waits on many channels at once —
 * backends' {@link MessagePipe}s, TCP sockets, server sockets,
 * {@code java.nio.channels.Pipe} ends, any {@link SelectableChannel}.
 *
 * <p>It returns the objects you passed in (the same instances, in the order
 * given), so {@code pipe == auxPipe} and maps keyed by pipe work as in Python.
 * It never throws for the reasons {@code select} can fail under you: an
 * interrupted thread (the EINTR analogue) gets an empty result at once (the
 * interrupt flag stays set, for the caller to act on), and a channel closed by
 * another thread is reported ready, so that reading it reveals the end of
 * stream: at once for a {@link MessagePipe} (closing it wakes the wait), within
 * {@value #CLOSE_CHECK_MILLIS} ms for other channels. A wait on pipes only
 * wakes for nothing else: an idle backend or manager costs no CPU.
 *
 * <p>A {@link MessagePipe} that already holds a whole message in its buffer is
 * reported ready without waiting (a socket read can bring several messages, and
 * a send that waits for a full socket takes in what arrives meanwhile). Before
 * waiting, a pipe's bytes deferred for coalescing are written as far as the
 * socket takes them without waiting; the wait never lasts longer than the
 * timeout, whatever other threads do with the same pipes.
 *
 * <p>Each thread uses one cached {@link Selector}: calls are cheap, and a thread
 * must not call {@code safeSelect} re-entrantly. Thread-safe otherwise. A call that
 * names the same objects as the thread's last call, in the same order (a loop
 * over the same pipes), leaves their registrations with that selector as they are;
 * a call that names others changes them, and channels it leaves out are not
 * watched until named again.
 */
public final class Select {
    private static final Cleaner CLEANER = Cleaner.create();
    // no lambdas here, nor below: a backend selects at once, and linking a lambda costs a fresh JVM milliseconds
    private static final ThreadLocal<Cache> CACHE = new ThreadLocal<>() {
        @Override
        protected Cache initialValue() {
            return new Cache();
        }
    };
    /** The longest a wait goes without checking for channels closed under it. */
    static final long CLOSE_CHECK_MILLIS = 100;

    private Select() {
    }

    /**
     * What was ready: subsets of the three collections given (valkka's {@code safe_select}
     * returns them as a tuple).
     *
     * @param reads the channels ready to read (or accept)
     * @param writes the channels ready to write (or connect)
     * @param others the watched channels found closed
     */
    public record Ready(List<Object> reads, List<Object> writes, List<Object> others) implements Result {
        /**
         * Whether nothing was ready (a timeout, or an interrupt).
         *
         * @return whether nothing was ready (a timeout, or an interrupt)
         */
        @Override
        public boolean isEmpty() {
            return reads.isEmpty() && writes.isEmpty() && others.isEmpty();
        }
    }

    /**
     * The former name of {@link Ready}, kept so that code written against it
     * ({@code Select.Result r = Select.safeSelect(...)}) still compiles.
     *
     * @deprecated renamed {@link Ready}: {@code jvalkka.pool.Result} is a ProcessQueue item's
     *     outcome, and two public {@code Result}s made a reader ask which one a line means
     */
    @Deprecated(since = "0.9.1")
    public sealed interface Result permits Ready {
        /**
         * The channels ready to read.
         *
         * @return the channels ready to read (or accept)
         */
        List<Object> reads();

        /**
         * The channels ready to write.
         *
         * @return the channels ready to write (or connect)
         */
        List<Object> writes();

        /**
         * The watched channels found closed.
         *
         * @return the watched channels found closed
         */
        List<Object> others();

        /**
         * Whether nothing was ready.
         *
         * @return whether nothing was ready (a timeout, or an interrupt)
         */
        boolean isEmpty();
    }

    /**
     * Waits without a time limit; see {@link #safeSelect(Collection, Collection, Collection, double)}.
     *
     * @param reads channels to read from
     * @param writes channels to write to
     * @param others channels watched for closing
     * @return the ready subsets
     */
    public static Ready safeSelect(Collection<?> reads, Collection<?> writes, Collection<?> others) {
        return safeSelect(reads, writes, others, -1);
    }

    /**
     * Waits until at least one channel is ready or the timeout passes.
     *
     * @param reads channels to read from ({@code OP_READ}; {@code OP_ACCEPT} for server sockets)
     * @param writes channels to write to ({@code OP_WRITE}; {@code OP_CONNECT} for a connecting socket)
     * @param others channels watched for closing: reported when closed (by either side, once detected)
     * @param timeoutSeconds the longest wait; 0 polls; negative waits without limit
     * @return the ready subsets; all empty on timeout or interrupt
     * @throws IllegalArgumentException for an object that is neither a {@link MessagePipe} nor a
     *         {@link SelectableChannel}, or a pipe whose process has not started
     */
    public static Ready safeSelect(Collection<?> reads, Collection<?> writes, Collection<?> others,
            double timeoutSeconds) {
        Cache cache = CACHE.get();
        Selector selector = cache.selector();
        List<Object> readyReads = new ArrayList<>(1);
        List<Object> readyWrites = new ArrayList<>(0);
        List<Object> readyOthers = new ArrayList<>(0);
        if (Thread.currentThread().isInterrupted()) {
            return new Ready(readyReads, readyWrites, readyOthers);
        }
        Map<SelectableChannel, Interest> wanted = cache.wanted;
        boolean immediate = flushPipes(selector, reads);
        boolean closedFound = registrations(selector, cache, reads, writes, others);
        if (!immediate && timeoutSeconds != 0 && reads.size() == 1 && writes.isEmpty() && others.isEmpty()
                && reads.iterator().next() instanceof FrameChannel mp && mp.spinForMessage()) {
            immediate = true; // one pipe to a backend on another host, whose answer came within a short spin
        }
        Note note = cache.note;
        try {
            if (immediate || closedFound || timeoutSeconds == 0) {
                selector.selectNow(note);
            } else {
                waitSliced(selector, note, wanted, reads, timeoutSeconds, pipesOnly(reads, writes, others));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.nio.channels.ClosedSelectorException e) {
            CACHE.remove();
            return new Ready(readyReads, readyWrites, readyOthers);
        }
        for (Object o : reads) {
            Interest in = wanted.get(channelOf(o));
            boolean buffered = o instanceof FrameChannel mp && mp.hasBufferedMessage();
            if (in.readyRead || in.closed || buffered) {
                readyReads.add(o);
            }
        }
        for (Object o : writes) {
            Interest in = wanted.get(channelOf(o));
            if (in.readyWrite || in.closed) {
                readyWrites.add(o);
            }
        }
        for (Object o : others) {
            Interest in = wanted.get(channelOf(o));
            if (in.closed || !channelOf(o).isOpen()) {
                readyOthers.add(o);
            }
        }
        for (Interest in : cache.inUse) {
            in.reset();
        }
        return new Ready(readyReads, readyWrites, readyOthers);
    }

    /**
     * Makes {@code selector} watch what this call names: the registrations as the last call left
     * them when it named the same objects ({@link #keep}), else registered anew. Returns whether a
     * wanted channel was found closed.
     */
    private static boolean registrations(Selector selector, Cache cache, Collection<?> reads,
            Collection<?> writes, Collection<?> others) {
        if (cache.sameAsBefore(reads, writes, others)) {
            return keep(selector, cache); // the registrations are as the last call left them
        }
        cache.forget(); // until remembered below: a call that fails half-way leaves nothing to keep
        want(cache.wanted, reads, writes, others);
        boolean closedFound = register(selector, cache.wanted);
        cache.remember(reads, writes, others);
        return closedFound;
    }

    /**
     * Every call, before its wait: a pipe read is watched by {@code selector} and flushed first.
     * Returns whether a pipe has a message buffered already (then the select must not wait).
     */
    private static boolean flushPipes(Selector selector, Collection<?> reads) {
        boolean immediate = false;
        for (Object o : reads) {
            if (o instanceof FrameChannel mp && mp.isConnected()) {
                mp.watchedBy(selector); // first: a send that takes messages in from now on wakes us
                mp.flushBeforeWait(); // a request deferred for coalescing must leave before we wait for its reply
                if (mp.hasBufferedMessage()) {
                    immediate = true;
                }
            }
        }
        return immediate;
    }

    /** Fills {@code wanted} (cleared first) with what this call waits for. */
    private static void want(Map<SelectableChannel, Interest> wanted, Collection<?> reads,
            Collection<?> writes, Collection<?> others) {
        wanted.clear();
        for (Object o : reads) {
            add(wanted, o, true, false, false);
        }
        for (Object o : writes) {
            add(wanted, o, false, true, false);
        }
        for (Object o : others) {
            add(wanted, o, false, false, true);
        }
    }

    /**
     * Sets the selector's interest to {@code wanted}: drops the channels of earlier calls that this
     * one does not name, registers new ones. Returns whether a wanted channel was found closed
     * (marked so in its {@link Interest}).
     */
    private static boolean register(Selector selector, Map<SelectableChannel, Interest> wanted) {
        CACHE.get().registrationPasses++;
        for (SelectionKey k : selector.keys()) {
            if (k.isValid() && !wanted.containsKey(k.channel())) {
                k.interestOps(0);
                k.attach(null);
            }
        }
        boolean closedFound = false;
        for (Map.Entry<SelectableChannel, Interest> e : wanted.entrySet()) {
            SelectableChannel ch = e.getKey();
            Interest in = e.getValue();
            in.key = ch.keyFor(selector);
            closedFound |= registerOne(selector, ch, in);
        }
        return closedFound;
    }

    /**
     * A call that names the same channels as the last one: their keys keep their
     * interest, unless a key was cancelled or a connecting socket became connected.
     * Returns whether a wanted channel was found closed.
     */
    private static boolean keep(Selector selector, Cache cache) {
        boolean closedFound = false;
        for (Interest in : cache.inUse) {
            in.closed = false;
            in.reset(); // as a fresh Interest would be, even after a call that ended in an exception
            SelectionKey k = in.key;
            if (k == null || !k.isValid() || in.ops != ops(in.channel, in) || !in.channel.isOpen()) {
                cache.registrationPasses++;
                closedFound |= registerOne(selector, in.channel, in);
            }
        }
        return closedFound;
    }

    /**
     * Registers {@code ch} with {@code selector} for what {@code in} asks, or sets the
     * interest of its key ({@code in.key}, null when it has none yet). Returns whether
     * the channel was found closed (marked so in {@code in}).
     */
    private static boolean registerOne(Selector selector, SelectableChannel ch, Interest in) {
        if (!ch.isOpen()) {
            in.closed = true;
            return true;
        }
        try {
            int ops = ops(ch, in);
            SelectionKey k = in.key;
            if (k == null || !k.isValid()) {
                if (ch.isBlocking()) {
                    ch.configureBlocking(false);
                }
                in.key = ch.register(selector, ops, in);
            } else {
                if (k.interestOps() != ops) {
                    k.interestOps(ops);
                }
                k.attach(in);
            }
            in.ops = ops;
            return false;
        } catch (ClosedChannelException | java.nio.channels.CancelledKeyException e2) {
            in.closed = true;
            in.key = null;
            return true;
        } catch (java.nio.channels.IllegalBlockingModeException e2) {
            throw new IllegalArgumentException(ch + " is in use in blocking mode by another thread", e2);
        } catch (IOException e2) {
            throw new UncheckedIOException(e2);
        }
    }

    /**
     * How many of this thread's calls went through the selector's registrations
     * (walked its keys, looked a channel's key up, changed an interest) since the
     * thread's first call: for the tests. A call that names the same channels as
     * the one before it needs none of that.
     */
    static long registrationPasses() {
        return CACHE.get().registrationPasses;
    }

    /** The selector operations that {@code in} asks of {@code ch}. */
    private static int ops(SelectableChannel ch, Interest in) {
        int ops = 0;
        if (in.read) {
            ops |= ch instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if (in.write) {
            ops |= ch instanceof SocketChannel sc && sc.isConnectionPending() ? SelectionKey.OP_CONNECT
                    : SelectionKey.OP_WRITE;
        }
        return ops & ch.validOps();
    }

    /**
     * Notes in each channel's {@link Interest} (its key's attachment) what the selector found
     * ready: the selector calls it for each ready key, without a selected-key set to fill and clear.
     * A class, not a lambda: see {@link #CACHE}.
     */
    private static final class Note implements java.util.function.Consumer<SelectionKey> {
        @Override
        public void accept(SelectionKey k) {
            if (!(k.attachment() instanceof Interest in)) {
                return;
            }
            if (!k.isValid()) {
                in.closed = true;
                return;
            }
            int r = k.readyOps();
            in.readyRead |= (r & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0;
            in.readyWrite |= (r & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0;
        }
    }

    /** Whether every channel is a {@link MessagePipe} read, whose closing wakes the selector watching it. */
    private static boolean pipesOnly(Collection<?> reads, Collection<?> writes, Collection<?> others) {
        if (!writes.isEmpty() || !others.isEmpty()) {
            return false;
        }
        for (Object o : reads) {
            if (!(o instanceof MessagePipe)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #safeSelect(Collection, Collection, Collection, double)} with a {@link java.time.Duration}.
     *
     * @param reads channels to read from
     * @param writes channels to write to
     * @param others channels watched for closing
     * @param timeout the longest wait ({@code Duration.ZERO} polls; a negative one waits without limit)
     * @return the ready subsets; all empty on timeout or interrupt
     */
    public static Ready safeSelect(Collection<?> reads, Collection<?> writes, Collection<?> others,
            java.time.Duration timeout) {
        return safeSelect(reads, writes, others, jvalkka.internal.Seconds.of(timeout));
    }

    /**
     * Waits in slices of at most {@link #CLOSE_CHECK_MILLIS}: closing a channel in
     * another thread cancels its key but does not wake a selector that waits on
     * it (found by SelectTest), so between slices the channels are checked. A
     * {@link MessagePipe} whose messages another thread's send took in from the
     * socket wakes the selector; the wait ends when such a pipe holds a message.
     * With {@code pipesOnly}, closing a pipe wakes the selector too (see
     * {@code MessagePipe.releaseDescriptors}), so the wait is one slice, as long
     * as the timeout: nothing wakes an idle wait.
     */
    private static void waitSliced(Selector selector, Note note, Map<SelectableChannel, Interest> wanted,
            Collection<?> reads, double timeoutSeconds, boolean pipesOnly) throws IOException {
        long deadline = timeoutSeconds < 0 ? Long.MAX_VALUE
                : System.nanoTime() + (long) Math.ceil(timeoutSeconds * 1e9);
        long slice = pipesOnly ? Long.MAX_VALUE : CLOSE_CHECK_MILLIS;
        while (true) {
            long left = deadline == Long.MAX_VALUE ? slice
                    : (long) Math.ceil((deadline - System.nanoTime()) / 1e6);
            if (left <= 0) {
                return;
            }
            long wait = Math.min(left, slice);
            if ((wait == Long.MAX_VALUE ? selector.select(note) : selector.select(note, Math.max(1, wait))) > 0
                    || Thread.currentThread().isInterrupted()) {
                return;
            }
            for (Object o : reads) {
                if (o instanceof FrameChannel mp && mp.hasBufferedMessage()) {
                    return;
                }
            }
            boolean closed = false;
            for (Map.Entry<SelectableChannel, Interest> e : wanted.entrySet()) {
                if (!e.getKey().isOpen()) {
                    e.getValue().closed = true;
                    closed = true;
                }
            }
            if (closed) {
                return;
            }
        }
    }

    private static void add(Map<SelectableChannel, Interest> wanted, Object o, boolean r, boolean w, boolean x) {
        SelectableChannel ch = channelOf(o);
        Interest in = wanted.get(ch);
        if (in == null) {
            in = new Interest(ch);
            wanted.put(ch, in);
        }
        in.read |= r;
        in.write |= w;
        in.other |= x;
    }

    static SelectableChannel channelOf(Object o) {
        if (o instanceof FrameChannel mp) {
            try {
                return mp.channel();
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("safeSelect: " + e.getMessage(), e);
            }
        }
        if (o instanceof SelectableChannel ch) {
            return ch;
        }
        throw new IllegalArgumentException("safeSelect takes MessagePipes and SelectableChannels, not "
                + (o == null ? "null" : o.getClass().getName()));
    }

    private static final class Interest {
        final SelectableChannel channel;
        /** The channel's key with the thread's selector, once registered; its attachment is this. */
        SelectionKey key;
        /** The interest set on {@link #key}. */
        int ops;
        boolean read;
        boolean write;
        boolean other;
        boolean closed;
        boolean readyRead;
        boolean readyWrite;

        Interest(SelectableChannel channel) {
            this.channel = channel;
        }

        void reset() {
            readyRead = false;
            readyWrite = false;
        }
    }

    /** One selector per thread, closed when the thread is gone. */
    private static final class Cache {
        private final Selector selector;
        final Map<SelectableChannel, Interest> wanted = new IdentityHashMap<>();
        /** Calls that went through the selector's registrations (for the tests). */
        long registrationPasses;
        final Note note = new Note();
        /** The last call's arguments, element by element, and the channels it watched (their entries in wanted). */
        private Object[] lastReads = new Object[0];
        private Object[] lastWrites = new Object[0];
        private Object[] lastOthers = new Object[0];
        private SelectableChannel[] lastChannels = new SelectableChannel[0];
        final java.util.ArrayList<Interest> inUse = new java.util.ArrayList<>();

        /**
         * Whether this call names the same objects as the last one, in the same order, each on the
         * same channel (a pipe's channel is another after a restart): then its registrations stand.
         */
        boolean sameAsBefore(Collection<?> reads, Collection<?> writes, Collection<?> others) {
            if (lastReads == null || reads.size() != lastReads.length || writes.size() != lastWrites.length
                    || others.size() != lastOthers.length) {
                return false;
            }
            int c = 0;
            int i = 0;
            for (Object o : reads) {
                if (o != lastReads[i++] || channelOf(o) != lastChannels[c++]) {
                    return false;
                }
            }
            i = 0;
            for (Object o : writes) {
                if (o != lastWrites[i++] || channelOf(o) != lastChannels[c++]) {
                    return false;
                }
            }
            i = 0;
            for (Object o : others) {
                if (o != lastOthers[i++] || channelOf(o) != lastChannels[c++]) {
                    return false;
                }
            }
            return true;
        }

        /** Nothing is kept: the next call sets the registrations afresh. */
        void forget() {
            lastReads = null;
            inUse.clear();
        }

        /** After a call whose registrations were set from {@code wanted}: what {@link #sameAsBefore} compares with. */
        void remember(Collection<?> reads, Collection<?> writes, Collection<?> others) {
            lastReads = reads.toArray();
            lastWrites = writes.toArray();
            lastOthers = others.toArray();
            lastChannels = new SelectableChannel[lastReads.length + lastWrites.length + lastOthers.length];
            int c = 0;
            for (Object[] os : new Object[][] {lastReads, lastWrites, lastOthers}) {
                for (Object o : os) {
                    lastChannels[c++] = channelOf(o);
                }
            }
            inUse.clear();
            inUse.addAll(wanted.values());
        }

        Cache() {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            CLEANER.register(this, new CloseSelector(selector));
        }

        Selector selector() {
            return selector;
        }
    }

    private static final class CloseSelector implements Runnable {
        private final Selector selector;

        CloseSelector(Selector selector) {
            this.selector = selector;
        }

        @Override
        public void run() {
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing to do for a selector nobody uses any more
            }
        }
    }
}
