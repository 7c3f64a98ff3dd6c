package jvalkka.multiprocess;

import java.lang.reflect.Array;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jvalkka.internal.FieldWalker;
import jvalkka.shm.ReplicatedArray;
import jvalkka.shm.SharedArray;
import jvalkka.shm.SharedMemory;
import jvalkka.shm.internal.RemoteReplicas;
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
 * <li>a {@link ReplicatedArray} crosses as a private copy in the backend; its
 *     {@code push} and {@code pull} are {@link WireProtocol#REPLICA} messages on the
 *     same internal pipe (chunks of at most {@link RemoteReplicas#CHUNK_BYTES}):
 *     {@link ReplicaLink} in the backend, {@link Groups#replica} in the frontend,
 *     which answers a pull on that pipe's other direction (the backend reads nothing
 *     else there).</li>
 * </ul>
 */
final class RemoteCrossing {
    /** The most objects {@link #pathTo} looks at: a name for the field, not a full audit. */
    private static final int MAX_OBJECTS = 100_000;

    private RemoteCrossing() {
    }

    /** Makes this JVM a remote backend whose crossed groups and replicated arrays report on {@code internal}. */
    static void connect(MessagePipe internal) {
        RemoteEvents.connect(new EventLink(internal));
        RemoteReplicas.connect(new ReplicaLink(internal));
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
                        + (h instanceof SharedArray ? "Hold it as a ReplicatedArray (ReplicatedArray.of(array)) "
                        + "for an explicit copy there, moved with push() and pull(); or send" : "Send")
                        + " the data in messages instead (or make the field transient and fill it in the "
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
        private final Map<String, ReplicatedArray> arrays = new ConcurrentHashMap<>();

        Groups(List<Object> crossed) {
            for (Object h : crossed) {
                if (h instanceof EventGroup g) {
                    byName.put(g.name(), g);
                } else if (h instanceof ReplicatedArray a) {
                    arrays.put(a.id(), a);
                }
            }
        }

        boolean isEmpty() {
            return byName.isEmpty() && arrays.isEmpty();
        }

        /**
         * Applies a {@link WireProtocol#REPLICA} message from the backend: a push writes its
         * bytes into the array that crossed to it (bounds checked: a bad one is dropped and
         * logged), a pull is answered on {@code internal} with the array's contents in chunks
         * (or an error, for an array that did not cross to this backend or is closed).
         */
        void replica(MessageObject m, MessagePipe internal, String label) {
            ReplicatedArray a = arrays.get(String.valueOf(m.get("array")));
            String op = String.valueOf(m.get("op"));
            if (op.equals("push")) {
                if (a == null || !(m.get("offset") instanceof Number o) || !(m.get("data") instanceof byte[] d)) {
                    drop(label, "a push to an array that did not cross to it, or a malformed one", m);
                    return;
                }
                try {
                    SharedArray arr = a.array();
                    long off = o.longValue();
                    if (off < 0 || off + d.length > arr.nbytes()) {
                        drop(label, "a push of " + d.length + " bytes at " + off + ", outside the " + arr.nbytes()
                                + " bytes of '" + a.id() + "'", m);
                        return;
                    }
                    arr.segment().putBytes((int) off, d, 0, d.length); // guarded against a close meanwhile
                } catch (RuntimeException e) { // closed meanwhile
                    drop(label, "a push to '" + a.id() + "', which is closed: " + e.getMessage(), m);
                }
                return;
            }
            if (!op.equals("pull") || !(m.get("seq") instanceof Number seq)) {
                drop(label, "an unknown replica message", m);
                return;
            }
            try {
                if (a == null) {
                    internal.send(replicaError(seq.longValue(), "array '" + m.get("array")
                            + "' did not cross to this backend"));
                } else {
                    sendContents(a, seq.longValue(), internal);
                }
                internal.flush();
            } catch (PipeClosedException e) {
                // the backend is gone: nobody waits for the answer
            }
        }

        private static void sendContents(ReplicatedArray a, long seq, MessagePipe internal) {
            SharedArray arr;
            try {
                arr = a.array();
                arr.segment().checkOpen();
            } catch (RuntimeException e) {
                internal.send(replicaError(seq, "array '" + a.id() + "' is closed in the frontend"));
                return;
            }
            long n = arr.nbytes();
            for (long at = 0; at < n; at += RemoteReplicas.CHUNK_BYTES) {
                byte[] chunk = new byte[(int) Math.min(RemoteReplicas.CHUNK_BYTES, n - at)];
                try {
                    arr.segment().getBytes((int) at, chunk, 0, chunk.length); // guarded against a close meanwhile
                } catch (RuntimeException e) { // closed meanwhile
                    internal.send(replicaError(seq, "array '" + a.id() + "' was closed in the frontend"));
                    return;
                }
                internal.send(new MessageObject(WireProtocol.REPLICA, "op", "data", "seq", seq, "offset", at,
                        "data", chunk));
            }
        }

        private static MessageObject replicaError(long seq, String error) {
            return new MessageObject(WireProtocol.REPLICA, "op", "data", "seq", seq, "error", error);
        }

        private static void drop(String label, String what, MessageObject m) {
            System.err.println("jvalkka: " + label + " sent " + what + "; ignored: " + m.command() + " "
                    + m.get("array"));
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

    /** The backend's side of a replicated array's copy: pushes and pulls on the internal pipe. */
    static final class ReplicaLink implements RemoteReplicas.Link {
        private final MessagePipe internal;
        private long seqs; // under pulling
        private final Object pulling = new Object(); // one reader of the internal pipe at a time

        ReplicaLink(MessagePipe internal) {
            this.internal = internal;
        }

        @Override
        public void push(String array, long offset, byte[] data) {
            try {
                internal.send(new MessageObject(WireProtocol.REPLICA, "op", "push", "array", array, "offset", offset,
                        "data", data));
            } catch (PipeClosedException e) {
                throw new IllegalStateException("cannot push replicated array '" + array
                        + "': the frontend is gone", e);
            }
        }

        @Override
        public void pull(String array, long nbytes, RemoteReplicas.Sink sink, long timeoutMillis) {
            synchronized (pulling) {
                long seq = ++seqs;
                long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
                try {
                    internal.send(new MessageObject(WireProtocol.REPLICA, "op", "pull", "array", array, "seq", seq));
                    internal.flush();
                    long got = 0;
                    while (got < nbytes) {
                        long left = (deadline - System.nanoTime()) / 1_000_000;
                        if (left <= 0) {
                            throw new IllegalStateException("cannot pull replicated array '" + array
                                    + "': the frontend did not answer within " + timeoutMillis + " ms");
                        }
                        MessageObject m;
                        try {
                            m = internal.recv(left);
                        } catch (MessagePipe.TimeoutWaiting e) {
                            continue;
                        }
                        if (!WireProtocol.isReplica(m) || !(m.get("seq") instanceof Number s)
                                || s.longValue() != seq) {
                            continue; // the answer to an earlier pull that timed out
                        }
                        if (m.get("error") != null) {
                            throw new IllegalStateException("cannot pull replicated array '" + array + "': "
                                    + m.get("error"));
                        }
                        if (!(m.get("offset") instanceof Number o) || !(m.get("data") instanceof byte[] d)
                                || o.longValue() < 0 || o.longValue() + d.length > nbytes) {
                            throw new IllegalStateException("cannot pull replicated array '" + array
                                    + "': a malformed answer from the frontend");
                        }
                        sink.put(o.longValue(), d);
                        got += d.length;
                    }
                } catch (PipeClosedException e) {
                    throw new IllegalStateException("cannot pull replicated array '" + array
                            + "': the frontend is gone", e);
                }
            }
        }
    }
}
