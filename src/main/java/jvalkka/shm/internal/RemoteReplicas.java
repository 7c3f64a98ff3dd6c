package jvalkka.shm.internal;

/**
 * How a {@code ReplicatedArray} reaches across hosts: in a backend on another
 * host, each one that crossed from the frontend is a private copy whose
 * {@code push} and {@code pull} travel to the frontend's array through the
 * {@link Link} (messages on the backend's internal pipe, in chunks of at most
 * {@link #CHUNK_BYTES}). Internal: not part of jvalkka's API.
 */
public final class RemoteReplicas {
    /** The most bytes one push or pull message carries: well under the pipes' 16 MiB message limit. */
    public static final int CHUNK_BYTES = 4 << 20;

    /** Where a pulled chunk goes. */
    public interface Sink {
        /**
         * Chunk {@code data} of the frontend's array, at byte {@code offset}.
         *
         * @param offset the byte offset in the array
         * @param data the bytes
         */
        void put(long offset, byte[] data);
    }

    /** The backend's side: the messages to the frontend. */
    public interface Link {
        /**
         * Sends bytes of the copy to the frontend's array {@code array}, at {@code offset}.
         *
         * @param array the array's id (the frontend's segment name)
         * @param offset the byte offset
         * @param data at most {@link #CHUNK_BYTES} bytes
         * @throws IllegalStateException when the frontend is gone
         */
        void push(String array, long offset, byte[] data);

        /**
         * Asks the frontend for all {@code nbytes} of array {@code array} and gives them to
         * {@code sink}, in chunks, before it returns.
         *
         * @param array the array's id
         * @param nbytes its size in bytes
         * @param sink where the chunks go
         * @param timeoutMillis how long to wait for the frontend's answer
         * @throws IllegalStateException when the frontend is gone, refused, or did not answer in time
         */
        void pull(String array, long nbytes, Sink sink, long timeoutMillis);
    }

    private static volatile Link link;

    private RemoteReplicas() {
    }

    /**
     * Makes this JVM a remote backend: from now on a replicated array that crosses
     * here is a private copy linked to the frontend through {@code l}. Called once,
     * before the process object is restored.
     *
     * @param l the link to the frontend
     */
    public static void connect(Link l) {
        link = l;
    }

    /**
     * The link of a remote backend, or null in a frontend or a local backend.
     *
     * @return the link, or null
     */
    public static Link link() {
        return link;
    }
}
