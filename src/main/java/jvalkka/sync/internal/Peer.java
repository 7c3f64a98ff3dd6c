package jvalkka.sync.internal;

/**
 * The process on the other side of a synchronisation primitive: the one expected
 * to set an event. A waiter asks it whether waiting still makes sense.
 *
 * <p>The core ({@code jvalkka.multiprocess}) implements this for every backend
 * it starts and attaches it to each {@link EventGroup} that crosses to that
 * backend, so that {@code SyncIndex.close()} fails with a clear error instead of
 * waiting forever when the backend dies. Implementations are thread-safe.
 */
public interface Peer {
    /**
     * Whether the peer process is still running.
     *
     * @return whether the peer process is still running
     */
    boolean isAlive();

    /**
     * A one-line account of the death, for example
     *  {@code backend MyProcess.my-process (pid 1234) exited with status 137}.
     *
     * @return a one-line account of the death, for example {@code backend MyProcess.my-process (pid 1234) exited with status 137}
     */
    String deathReport();

    /**
     * Runs {@code action} once when the peer dies; at once if it is already dead.
     *
     * @param action what to run when the peer dies
     */
    void onDeath(Runnable action);

    /**
     * Whether the peer learns event indexes only from messages sent to it by the
     * thread that holds the {@link SyncIndex} (a jvalkka backend does). When every
     * peer of a group does, a SyncIndex block that sent nothing (it failed before
     * its send) does not wait in close(). Default false: the index may reach the
     * peer another way.
     */
    default boolean learnsIndexesByMessage() {
        return false;
    }
}
