package jvalkka.multiprocess;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.management.ObjectName;

import jvalkka.jmx.MainContextMXBean;
import jvalkka.jmx.WorkerMXBean;
import jvalkka.jmx.internal.Jmx;

/**
 * The JMX view of one {@link MainContext} and its workers: the context's
 * {@link MainContextMXBean} and one {@link WorkerMXBean} per worker. Workers are
 * found as they start: every {@code MessageProcess} started on the thread that runs
 * {@code start()} (and {@code runAsThread}'s loop) while the context is open belongs to
 * it; {@link MainContext#watch} adds others; {@link Restarter} reports replacements.
 * The counts are the pipes' own (see {@link MessagePipe#messagesSent()}): nothing is
 * added to the message path here.
 */
final class ContextStats implements MainContextMXBean {
    /** The context whose {@code start()} (or loop thread) runs on this thread, if any. */
    private static final ThreadLocal<ContextStats> CURRENT = new ThreadLocal<>();
    /** Open contexts: a {@link Restarter} finds the entry of the worker it replaces here. */
    private static final Set<ContextStats> OPEN = ConcurrentHashMap.newKeySet();

    private final String name;
    private final List<Entry> workers = new CopyOnWriteArrayList<>();
    private volatile ObjectName objectName;
    private volatile boolean closed;

    ContextStats(String name) {
        this.name = name;
    }

    /** Registers the context's MBean; from now on workers can join. */
    void open() {
        OPEN.add(this);
        objectName = Jmx.register("MainContext", name, MainContextMXBean.class, this);
    }

    /** Unregisters every MBean of this context. Idempotent. */
    synchronized void close() {
        closed = true;
        OPEN.remove(this);
        for (Entry e : workers) {
            Jmx.unregister(e.objectName);
        }
        Jmx.unregister(objectName);
    }

    /** Makes this the context that processes started on this thread belong to; returns the previous one. */
    ContextStats enter() {
        ContextStats prev = CURRENT.get();
        CURRENT.set(this);
        return prev;
    }

    /** Undoes {@link #enter()}. */
    static void leave(ContextStats previous) {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }

    /** Called when {@code p} has started: it joins the context of this thread, if any. */
    static void started(MessageProcess p) {
        ContextStats c = CURRENT.get();
        if (c != null) {
            c.watch(p);
        }
    }

    /** Adds {@code p} (once) to this context's workers. */
    void watch(MessageProcess p) {
        if (p == null) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            for (Entry e : workers) {
                if (e.current == p) {
                    return;
                }
            }
            Entry e = new Entry(p);
            workers.add(e);
            e.objectName = Jmx.register("MainContext.Worker", p.getName(), WorkerMXBean.class, e, "context",
                    objectName == null ? name : objectName.getKeyProperty("name"));
        }
    }

    /** A {@link Restarter} replaced {@code dead} with {@code fresh}: the entry of {@code dead} goes on with it. */
    static void replaced(MessageProcess dead, MessageProcess fresh, MessageObject why) {
        for (ContextStats c : OPEN) {
            synchronized (c) {
                Entry found = null;
                for (Entry e : c.workers) {
                    if (e.current == dead) {
                        found = e;
                    } else if (e.current == fresh) {
                        // started on the context's own thread, it joined as a new worker: it is the old one's
                        c.workers.remove(e);
                        Jmx.unregister(e.objectName);
                    }
                }
                if (found != null) {
                    found.replace(fresh, why);
                    return;
                }
            }
        }
    }

    // ------------------------------------------------------------------ MXBean

    @Override
    public String getName() {
        return name;
    }

    @Override
    public int getWorkers() {
        return workers.size();
    }

    @Override
    public int getWorkersAlive() {
        int n = 0;
        for (Entry e : workers) {
            if (e.isAlive()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public long getRestarts() {
        long n = 0;
        for (Entry e : workers) {
            n += e.restarts;
        }
        return n;
    }

    @Override
    public long getMessagesIn() {
        long n = 0;
        for (Entry e : workers) {
            n += e.getMessagesIn();
        }
        return n;
    }

    @Override
    public long getMessagesOut() {
        long n = 0;
        for (Entry e : workers) {
            n += e.getMessagesOut();
        }
        return n;
    }

    /** The names of the registered MBeans, the context's first (for tests). */
    List<ObjectName> objectNames() {
        List<ObjectName> out = new ArrayList<>();
        out.add(objectName);
        for (Entry e : workers) {
            out.add(e.objectName);
        }
        return out;
    }

    /** One worker, through its restarts. */
    static final class Entry implements WorkerMXBean {
        private volatile MessageProcess current;
        private volatile int restarts;
        private volatile long inBefore;
        private volatile long outBefore;
        private volatile String lastError = "";
        private volatile ObjectName objectName;

        Entry(MessageProcess p) {
            this.current = p;
        }

        synchronized void replace(MessageProcess fresh, MessageObject why) {
            MessagePipe old = current.getPipe();
            String reason = reason(old.exitReported());
            if (reason == null && why != null) {
                reason = String.valueOf(why.get("reason"));
            }
            if (reason != null) {
                lastError = reason;
            }
            inBefore += old.messagesReceived();
            outBefore += old.messagesSent();
            restarts++;
            current = fresh;
        }

        private static String reason(MessageObject exited) {
            return exited == null ? null : String.valueOf(exited.get("reason"));
        }

        @Override
        public String getName() {
            return current.getName();
        }

        @Override
        public long getPid() {
            return current.pid();
        }

        @Override
        public boolean isAlive() {
            return current.isAlive();
        }

        @Override
        public int getRestarts() {
            return restarts;
        }

        @Override
        public long getMessagesIn() {
            return inBefore + current.getPipe().messagesReceived();
        }

        @Override
        public long getMessagesOut() {
            return outBefore + current.getPipe().messagesSent();
        }

        @Override
        public String getLastError() {
            String now = reason(current.getPipe().exitReported());
            return now != null ? now : lastError;
        }
    }
}
