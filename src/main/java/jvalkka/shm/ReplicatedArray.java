package jvalkka.shm;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicLong;

import jvalkka.shm.internal.Crossing;
import jvalkka.shm.internal.RemoteReplicas;

/**
 * A {@link SharedArray} that may cross to a backend on another host as an
 * explicit copy: the way to hand array data to a process with a placement,
 * where a plain {@code SharedArray} field fails {@code start()} (each host has
 * its own {@code /dev/shm}).
 *
 * <pre>{@code
 * SharedArray frames = SharedArray.create("frames-1", DType.UINT8, 480, 640, 3);
 * ReplicatedArray shared = ReplicatedArray.of(frames);  // a field of the process object
 * // in the backend, on another host:
 * shared.pull();                       // the frontend's contents, here
 * shared.array().set(1, 0, 0, 0);      // work on the copy
 * shared.push();                       // the copy's contents, to the frontend's array
 * }</pre>
 *
 * <p><b>Where it is a copy.</b> In the process that made it ({@link #of}) it is
 * the original array. When the process object crosses to a backend on the same
 * host, it re-opens the same shared memory, as a {@code SharedArray} does:
 * there is one array, and {@link #push()} and {@link #pull()} return at once.
 * When it crosses to a backend on another host, the backend gets a private copy
 * ({@link #isCopy()}), filled with the original's contents on its first use
 * ({@link #array()}, {@link #push()} or {@link #pull()}); from then on the two
 * differ until one of those calls:
 * <ul>
 * <li>{@link #pull()}: the original's contents, as they are while it copies,
 *     replace the copy's;</li>
 * <li>{@link #push()}: the copy's contents replace the original's. A push is
 *     ordered with what the backend sends afterwards on the same process: an
 *     {@code EventGroup.set} or a {@code return_out__} after {@code push()}
 *     reaches the frontend after the pushed bytes are in its array (so a
 *     frontend {@code SyncIndex} that wakes sees them).</li>
 * </ul>
 * Neither is atomic against writers on the other side: synchronise with an
 * {@code EventGroup}, as for shared memory. Only the backend's side (the copy)
 * moves data; in the original, both calls return at once.
 *
 * <p><b>Size and cost.</b> Both calls move the whole array over the backend's
 * internal pipe, in chunks of at most 4 MiB (so an array of any size fits the
 * 16 MiB message limit); they cost one transfer of {@link SharedArray#nbytes()}
 * bytes, and wait for the frontend to read that pipe (as {@code return_out__}
 * does). {@link #pull()} fails after {@link #PULL_TIMEOUT_MILLIS} without an
 * answer, or at once when the frontend is gone.
 *
 * <p><b>Lifetime.</b> {@link #close()} closes the array (in the original: as
 * {@link SharedArray#close()} does for the array given to {@link #of}; the
 * segment's name stays its creator's to unlink). A copy lives in memory of its
 * backend that no other process maps, and nothing of it stays in
 * {@code /dev/shm}.
 */
public final class ReplicatedArray implements AutoCloseable, Serializable {
    private static final long serialVersionUID = 1L;
    /** How long {@link #pull()} waits for the frontend to answer. */
    public static final long PULL_TIMEOUT_MILLIS = 60_000;
    private static final AtomicLong COPIES = new AtomicLong();

    private final transient SharedArray array;
    private final transient String id;
    private final transient boolean copy;
    private transient boolean filled; // under this

    private ReplicatedArray(SharedArray array, String id, boolean copy) {
        this.array = array;
        this.id = id;
        this.copy = copy;
    }

    /**
     * Makes {@code original} replicable: this object, not the array, is what a process object holds.
     *
     * @param original an open array; this object's {@link #close()} closes it
     * @return the original, as a replicated array
     * @throws IllegalStateException when {@code original} is closed
     */
    public static ReplicatedArray of(SharedArray original) {
        original.segment().checkOpen();
        return new ReplicatedArray(original, original.segment().name(), false);
    }

    /**
     * The array to read and write: the original, the same shared memory (a backend on
     * the same host), or the copy (a backend on another host), filled first if it was not yet.
     *
     * @return the array
     * @throws IllegalStateException when a copy's first fill fails (see {@link #pull()})
     */
    public SharedArray array() {
        if (copy) {
            synchronized (this) {
                if (!filled) {
                    pullNow();
                }
            }
        }
        return array;
    }

    /**
     * Whether this is a private copy in a backend on another host.
     *
     * @return whether it is
     */
    public boolean isCopy() {
        return copy;
    }

    /**
     * The id the original and its copies share: the original's segment name.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * In a copy: replaces the original's contents with the copy's (see the class comment); elsewhere nothing.
     *
     * @throws IllegalStateException when the frontend is gone, or this is closed
     */
    public void push() {
        if (!copy) {
            array.segment().checkOpen();
            return;
        }
        synchronized (this) {
            if (!filled) {
                pullNow(); // nothing was changed here yet: the original stays as it is
                return;
            }
            array.segment().checkOpen();
            RemoteReplicas.Link l = link();
            long n = array.nbytes();
            for (long at = 0; at < n; at += RemoteReplicas.CHUNK_BYTES) {
                byte[] chunk = new byte[(int) Math.min(RemoteReplicas.CHUNK_BYTES, n - at)];
                array.segment().getBytes(Math.toIntExact(at), chunk, 0, chunk.length); // guarded against close()
                l.push(id, at, chunk);
            }
        }
    }

    /**
     * In a copy: replaces the copy's contents with the original's (see the class comment); elsewhere nothing.
     *
     * @throws IllegalStateException when the frontend is gone, refused, or did not answer within
     *     {@link #PULL_TIMEOUT_MILLIS}; the copy may then hold a part of the original's contents
     */
    public void pull() {
        if (!copy) {
            array.segment().checkOpen();
            return;
        }
        synchronized (this) {
            pullNow();
        }
    }

    private void pullNow() {
        array.segment().checkOpen();
        link().pull(id, array.nbytes(), (offset, data) ->
                array.segment().putBytes(Math.toIntExact(offset), data, 0, data.length), PULL_TIMEOUT_MILLIS);
        filled = true;
    }

    private static RemoteReplicas.Link link() {
        RemoteReplicas.Link l = RemoteReplicas.link();
        if (l == null) {
            throw new IllegalStateException("a replicated array's copy lost its link to the frontend");
        }
        return l;
    }

    /** Closes the array (a copy: frees its memory). Idempotent. */
    @Override
    public void close() {
        array.close();
        if (copy) {
            array.segment().close();
        }
    }

    @Override
    public String toString() {
        return (copy ? "ReplicatedArray copy of '" : "ReplicatedArray '") + id + "' " + array.dtype() + " "
                + SharedArray.shapeString(array.shape());
    }

    // --- serialization: as a handle; the receiving side decides between the same memory and a copy ---

    /**
     * Serializes as a handle (id, dtype, shape), never the elements.
     *
     * @return the handle
     * @throws ObjectStreamException ({@link InvalidObjectException}) when the array is closed
     */
    private Object writeReplace() throws ObjectStreamException {
        if (array.segment().isClosed()) {
            throw new InvalidObjectException("ReplicatedArray '" + id + "' is closed");
        }
        Crossing.note(this);
        return new Handle(id, array.dtype(), array.shape());
    }

    /**
     * Refuses a stream that holds a ReplicatedArray itself: only its handle is ever written.
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    private void readObject(java.io.ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("ReplicatedArray crosses as a Handle");
    }

    /** The serialized form. */
    static final class Handle implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String id;
        private final DType dtype;
        private final int[] shape;

        Handle(String id, DType dtype, int[] shape) {
            this.id = id;
            this.dtype = dtype;
            this.shape = shape;
        }

        private Object readResolve() throws ObjectStreamException {
            try {
                if (RemoteReplicas.link() == null) {
                    return new ReplicatedArray(SharedArray.open(id, dtype, shape), id, false);
                }
                return new ReplicatedArray(privateCopy(dtype, shape), id, true);
            } catch (IOException | RuntimeException e) {
                InvalidObjectException ioe = new InvalidObjectException("cannot restore ReplicatedArray '" + id
                        + "': " + e.getMessage());
                ioe.initCause(e);
                throw ioe;
            }
        }

        /** Memory of this JVM only: a segment unlinked at once, so that nothing stays in /dev/shm. */
        private static SharedArray privateCopy(DType dtype, int[] shape) throws IOException {
            long nbytes = SharedArray.checkShape(shape, dtype.itemSize()) * dtype.itemSize();
            String name = "jvalkka-replica-" + ProcessHandle.current().pid() + "-" + COPIES.incrementAndGet();
            SharedMemory m = SharedMemory.create(name, Math.max(1, nbytes));
            m.unlink();
            try {
                return SharedArray.wrap(m, dtype, shape);
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
    }
}
