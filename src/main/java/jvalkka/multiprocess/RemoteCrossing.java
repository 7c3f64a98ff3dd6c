package jvalkka.multiprocess;

import java.lang.reflect.Array;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jvalkka.internal.FieldWalker;
import jvalkka.shm.SharedArray;
import jvalkka.shm.SharedMemory;
import jvalkka.sync.EventGroup;
import jvalkka.sync.internal.RemoteEvents;

/**
 * What crosses to a backend on another host, where there is no shared memory
 * with the frontend (each host has its own {@code /dev/shm}):
 *
 * <ul>
 * <li>a {@link SharedMemory} or {@link SharedArray} cannot cross: {@link #refuseSegments}
 *     fails the start, naming the field that holds it;</li>
 * <li>an {@link EventGroup} crosses as a copy in the backend whose {@code set}
 *     and {@code fail} come back as {@link WireProtocol#EVENT} messages on the
 *     internal pipe (see {@link EventLink}); {@link Groups} applies them to the
 *     frontend's group, so that a {@code SyncIndex} here wakes. The internal pipe,
 *     not the main one: the frontend always reads it (its router), while the main
 *     pipe's incoming side is the user's to read, who may be waiting in that very
 *     {@code SyncIndex}.</li>
 * </ul>
 */
final class RemoteCrossing {
    /** The most objects {@link #pathTo} looks at: a name for the field, not a full audit. */
    private static final int MAX_OBJECTS = 100_000;

    private RemoteCrossing() {
    }

    /**
     * Fails when shared memory crossed with the process object.
     *
     * @param crossed what crossed while it was serialized
     * @throws BackendStartException naming the field and what to do
     */
    static void refuseSegments(MessageProcess owner, List<Object> crossed, Placement placement) {
        for (Object h : crossed) {
            if (h instanceof SharedMemory || h instanceof SharedArray) {
                String what = h instanceof SharedMemory ? "a SharedMemory" : "a SharedArray";
                String path = pathTo(owner, h);
                throw new BackendStartException(owner + " cannot start at " + placement + ": "
                        + (path != null ? "its field " + path : "its process object") + " holds " + what
                        + ", which is shared memory on this host only: a backend on another host cannot map it. "
                        + "Send the data in messages instead (or make the field transient and fill it in the "
                        + "backend), or start the process on this host (no placement)");
            }
        }
    }

    /**
     * The fields from {@code root} to {@code target}, as {@code Class.field -> Class.field},
     * or null when not found (breadth first, serializable fields only).
     */
    static String pathTo(Object root, Object target) {
        Map<Object, String> seen = new IdentityHashMap<>();
        ArrayDeque<Object> todo = new ArrayDeque<>();
        seen.put(root, "");
        todo.add(root);
        while (!todo.isEmpty() && seen.size() < MAX_OBJECTS) {
            Object o = todo.poll();
            String at = seen.get(o);
            Class<?> c = o.getClass();
            if (c.isArray()) {
                if (!c.getComponentType().isPrimitive()) {
                    for (int i = 0; i < Array.getLength(o); i++) {
                        String p = visit(Array.get(o, i), at + "[" + i + "]", target, seen, todo);
                        if (p != null) {
                            return p;
                        }
                    }
                }
                continue;
            }
            if (o instanceof Iterable<?> it && c.getName().startsWith("java.")) {
                for (Object e : it) {
                    String p = visit(e, at + "[..]", target, seen, todo);
                    if (p != null) {
                        return p;
                    }
                }
                continue;
            }
            if (o instanceof Map<?, ?> m && c.getName().startsWith("java.")) {
                for (Object e : m.values()) {
                    String p = visit(e, at + "[..]", target, seen, todo);
                    if (p != null) {
                        return p;
                    }
                }
                continue;
            }
            if (c.getName().startsWith("java.") || c.getName().startsWith("jvalkka.shm.")
                    || c.getName().startsWith("jvalkka.sync.")) {
                continue;
            }
            String p = FieldWalker.walk(o, (k, f, v) -> {
                String name = k.getName() + "." + f.getName();
                return visit(v, at.isEmpty() ? name : at + " -> " + name, target, seen, todo);
            });
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    private static String visit(Object v, String path, Object target, Map<Object, String> seen,
            ArrayDeque<Object> todo) {
        if (v == target) {
            return path;
        }
        if (v != null && !seen.containsKey(v)) {
            seen.put(v, path);
            todo.add(v);
        }
        return null;
    }

    /** The frontend's groups that crossed to one backend on another host, by name, and what it sends about them. */
    static final class Groups {
        private final Map<String, EventGroup> byName = new ConcurrentHashMap<>();

        Groups(List<Object> crossed) {
            for (Object h : crossed) {
                if (h instanceof EventGroup g) {
                    byName.put(g.name(), g);
                }
            }
        }

        boolean isEmpty() {
            return byName.isEmpty();
        }

        /**
         * Applies an {@link WireProtocol#EVENT} from backend {@code peerPid}: only to a
         * group that crossed to it (a backend sets no other group of this JVM).
         */
        void apply(MessageObject m, long peerPid) {
            EventGroup g = byName.get(String.valueOf(m.get("group")));
            RemoteEvents.Receiver r = RemoteEvents.receiver();
            if (g == null || r == null || !(m.get("index") instanceof Integer i) || i < 0 || i >= g.size()
                    || g.isClosed()) {
                return;
            }
            byte[] report = WireProtocol.eventFailure(m);
            if (report == null) {
                r.set(g, i);
            } else {
                r.fail(g, i, m.get("parameter") instanceof String p ? p : null, peerPid, report);
            }
        }

        /** Whether a thread here sleeps waiting for an event this backend may set. */
        boolean anyWaiting() {
            RemoteEvents.Receiver r = RemoteEvents.receiver();
            if (r == null) {
                return false;
            }
            for (EventGroup g : byName.values()) {
                if (r.hasSleepingWaiter(g)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The backend's side: a remote copy's sets and failures, sent up the internal pipe. */
    static final class EventLink implements RemoteEvents.Link {
        private final MessagePipe internal;

        EventLink(MessagePipe internal) {
            this.internal = internal;
        }

        @Override
        public void set(String group, int index) {
            send(WireProtocol.eventSet(group, index));
        }

        @Override
        public void fail(String group, int index, String parameter, byte[] report) {
            send(WireProtocol.eventFailed(group, index, parameter, report));
        }

        private void send(MessageObject m) {
            try {
                internal.send(m);
                internal.flush(); // a waiter is waiting for it now, not after the next coalesced burst
            } catch (PipeClosedException e) {
                // the frontend is gone: nobody waits
            }
        }
    }
}
