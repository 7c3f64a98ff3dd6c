package jvalkka.internal;

/**
 * A backend that a {@link RemoteLauncher} started on another host, seen as a
 * {@link Process}: its pid is the pid on that host, {@link #isAlive()} turns false
 * and {@link #onExit()} completes when the node reports its exit or the cluster
 * loses the node, and {@link #destroy()}/{@link #destroyForcibly()} ask the node
 * to end it. Its standard streams are empty: the node logs the backend's
 * standard error on its host. Not part of the API.
 */
public abstract class RemoteBackend extends Process {
    /**
     * The host (node name and address) the backend runs on, for messages.
     *
     * @return a description of the host
     */
    public abstract String host();

    /**
     * Why the backend ended, naming the host (for example "node n2 (198.51.100.3)
     * unreachable"), or null while it runs or when it exited by itself with its
     * status.
     *
     * @return the reason, or null
     */
    public abstract String exitReason();
}
