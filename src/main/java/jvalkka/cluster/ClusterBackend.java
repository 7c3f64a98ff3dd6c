package jvalkka.cluster;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.apache.pekko.actor.typed.ActorRef;

import jvalkka.internal.RemoteBackend;

/**
 * A backend a {@link ClusterDriver} started through a node agent. It ends when
 * the agent reports its exit ({@link AgentMessage.BackendExited}: its status,
 * {@link #exitReason()} null) or when the driver loses the agent (status -1,
 * the reason naming the node and what happened), whichever comes first.
 *
 * <p>{@link #getErrorStream()} gives, once the backend ended, the last lines of
 * its standard error that the agent reported (its whole standard error is in the
 * agent's log); it blocks until then. Its other streams are empty.
 */
final class ClusterBackend extends RemoteBackend {
    final long id;
    final String agentAddress;
    private final String host;
    private final ActorRef<AgentMessage> agent;
    private boolean ended; // guarded by this: the first end() counts
    private volatile long pid = -1;
    private volatile int status;
    private volatile String reason;
    private volatile String lastLines = "";
    /** Set when the driver gave it up for a lost node: stopped if that node comes back. */
    volatile boolean lostWithNode;

    private final java.time.Duration noticeWithin;

    ClusterBackend(long id, String agentAddress, String host, ActorRef<AgentMessage> agent,
            java.time.Duration noticeWithin) {
        this.id = id;
        this.agentAddress = agentAddress;
        this.host = host;
        this.agent = agent;
        this.noticeWithin = noticeWithin;
    }

    /**
     * The driver's time to notice a lost node ({@link ClusterDriver#lossNoticeWithin()}): a backend
     * whose agent was killed closes its connection before the node is found lost.
     */
    @Override
    public java.time.Duration exitNoticeWithin() {
        return noticeWithin;
    }

    void started(long p) {
        pid = p;
    }

    /** Ends it with {@code s} and {@code why} (null: exited by itself); only the first end counts. */
    boolean end(int s, String why, String lines) {
        synchronized (this) {
            if (ended) {
                return false;
            }
            ended = true;
            status = s;
            reason = why;
            lastLines = lines == null ? "" : lines;
        }
        return exited();
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public String exitReason() {
        return isAlive() ? null : reason;
    }

    @Override
    public long pid() {
        return pid;
    }



    @Override
    public InputStream getErrorStream() {
        return new InputStream() {
            private InputStream lines;

            private InputStream lines() throws IOException {
                if (lines == null) {
                    try {
                        waitFor();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while the backend runs");
                    }
                    String text = lastLines;
                    lines = new ByteArrayInputStream((text.isEmpty() ? "" : text + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
                return lines;
            }

            @Override
            public int read() throws IOException {
                return lines().read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return lines().read(b, off, len);
            }
        };
    }

    @Override
    protected int status() {
        return status;
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public void destroy() {
        stop(false);
    }

    @Override
    public Process destroyForcibly() {
        stop(true);
        return this;
    }

    private void stop(boolean forcibly) {
        long p = pid;
        if (p > 0 && isAlive()) {
            agent.tell(new AgentMessage.StopBackend(p, forcibly));
        }
    }

    /** Asks the agent to end it even though it counts as ended here (its node was lost, then came back). */
    void stopOnNode() {
        long p = pid;
        if (p > 0) {
            agent.tell(new AgentMessage.StopBackend(p, true));
        }
    }

    @Override
    public String toString() {
        return "backend pid " + pid + " on " + host + (!isAlive() ? " (exited " + status
                + (reason != null ? ": " + reason : "") + ")" : "");
    }
}
