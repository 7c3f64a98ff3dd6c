package jvalkka.internal;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A backend that a {@link RemoteLauncher} started on another host, seen as a
 * {@link Process}: its pid is the pid on that host, {@link #isAlive()} turns false
 * and {@link #onExit()} completes when the node reports its exit or the cluster
 * loses the node, and {@link #destroy()}/{@link #destroyForcibly()} ask the node
 * to end it. Its standard streams are empty: the node logs the backend's
 * standard error on its host. Not part of the API.
 *
 * <p>The waiting is done here, once, over one exit future: a launcher's backend
 * calls {@link #exited()} when it learns of the end (after it has noted the
 * status that {@link #status()} gives), and {@code waitFor}, {@code exitValue},
 * {@code isAlive} and {@code onExit} follow from that.
 */
public abstract class RemoteBackend extends Process {
    private final CompletableFuture<Process> exit = new CompletableFuture<>();

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

    /**
     * How long after the backend's connection to its frontend ended the backend's end may take to be
     * known here (its exit status from the node, or the loss of the node): the frontend waits up to
     * this long for it before it reports the end without its reason. A backend whose node was killed
     * closes its connection (it ends with its node) before the cluster's failure detector has noticed
     * the node lost, so a launcher whose losses come from a failure detector gives its detection time.
     *
     * @return the bound, 1 s unless a launcher's backend says otherwise
     */
    public java.time.Duration exitNoticeWithin() {
        return java.time.Duration.ofSeconds(1);
    }

    /**
     * The exit status, asked only once the backend has ended ({@link #exited()}).
     *
     * @return the status the node reported, or -1 when there is none (the node was lost)
     */
    protected abstract int status();

    /**
     * Marks the backend ended: {@link #onExit()} completes, {@code waitFor} returns.
     * Only the first call counts; note the status before calling it.
     *
     * @return whether this call ended it (false: it had ended already)
     */
    protected final boolean exited() {
        return exit.complete(this);
    }

    /** {@return an empty stream: the backend's standard input is its node's} */
    @Override
    public OutputStream getOutputStream() {
        return OutputStream.nullOutputStream();
    }

    /** {@return an empty stream: the backend's standard output is its node's} */
    @Override
    public InputStream getInputStream() {
        return InputStream.nullInputStream();
    }

    /** {@return an empty stream, unless a launcher's backend gives more: its node logs the backend's standard error} */
    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public final int waitFor() throws InterruptedException {
        try {
            exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never: the future is only completed normally
        }
        return status();
    }

    @Override
    public final boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public final int exitValue() {
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("backend pid " + pid() + " on " + host() + " has not exited");
        }
        return status();
    }

    @Override
    public final boolean isAlive() {
        return !exit.isDone();
    }

    /** {@return a future completed when the backend ends (a copy: completing it ends nothing)} */
    @Override
    public final CompletableFuture<Process> onExit() {
        return exit.copy();
    }
}
