package jvalkka.sync.internal;

/**
 * A synchronisation handle that can be told which processes may signal it, so
 * that its waiters stop waiting when all of them have died. The core attaches
 * each started backend to the handles that crossed to it.
 */
public interface PeerAware {
    /**
     * Adds a process that may signal this handle. Thread-safe.
     *
     * @param peer the peer
     */
    void addPeer(Peer peer);
}
