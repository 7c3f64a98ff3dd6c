package jvalkka.multiprocess;

import java.io.IOException;

/**
 * The frontend's side of connecting to one backend it launched: a listening
 * socket, the boot line that tells the backend where it is and how to prove
 * itself, and accepting the backend's two connections. {@link BackendConnection}
 * does it on this host (a Unix-domain socket, the peer's pid checked, then its
 * token); {@link RemoteConnection} for a backend on another host (TCP, its token
 * in a hello frame).
 */
interface BackendListener {
    /**
     * The line the backend reads on its standard input, newline included.
     *
     * @return the boot line, UTF-8
     */
    byte[] bootLine();

    /**
     * Accepts the backend's main and internal connections until {@code deadlineNanos},
     * refusing every other one, connects {@code main} and {@code internal} to them,
     * and closes the listening socket whatever happens.
     *
     * @throws BackendConnection.Failed when the backend exited or did not connect in time
     */
    void acceptInto(MessagePipe main, MessagePipe internal, Process process, long deadlineNanos, long timeoutMillis)
            throws InterruptedException, IOException;

    /** Closes the listening socket (the accepted connections stay); idempotent. */
    void close();
}
