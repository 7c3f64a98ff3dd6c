package jvalkka.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.typed.ActorRef;

import jvalkka.multiprocess.NodeLaunch;

/**
 * The backends one node agent started, for the drivers that asked: started
 * through {@link NodeLaunch} (the agent is their parent), their standard error
 * copied to the agent's with a prefix (the last 20 lines kept for
 * {@link AgentMessage.BackendExited}), ended when their driver is gone.
 * Thread-safe: the agent's actor calls it, the backends' exits complete on other threads.
 */
final class AgentBackends {
    private static final int LAST_LINES = 20;
    /** How long a backend whose driver is gone has after SIGTERM before SIGKILL. */
    private static final long GRACE_MILLIS = 2000;

    private final String host;
    /** The cluster's keys, given to each backend for its TLS connection; null when the cluster runs plain TCP. */
    private final java.nio.file.Path keysDir;
    private final Map<Long, Child> children = new ConcurrentHashMap<>();
    /** Starts run here, off the actor's thread: a JVM's fork and the first class-data plan take a while. */
    private final ExecutorService launcher = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jvalkka-agent-launch");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private record Child(long id, String label, Process process, ActorRef<AgentMessage> driver) {
    }

    AgentBackends(String host, java.nio.file.Path keysDir) {
        this.host = host;
        this.keysDir = keysDir;
    }

    /** Starts the backend {@code b} asks for and answers {@code b.replyTo()}; returns at once. */
    void start(AgentMessage.StartBackend b) {
        launcher.execute(() -> {
            if (closed) {
                b.replyTo().tell(new AgentMessage.StartFailed(b.id(), "node " + host + " is stopping"));
                return;
            }
            Process p;
            try {
                p = NodeLaunch.start(b.label(), b.jvmArgs(), b.bootLine(), keysDir);
            } catch (IOException | RuntimeException e) {
                b.replyTo().tell(new AgentMessage.StartFailed(b.id(), "node " + host + " cannot start backend "
                        + b.label() + ": " + e.getMessage()));
                return;
            }
            Child c = new Child(b.id(), b.label(), p, b.driver());
            children.put(p.pid(), c);
            Deque<String> last = new ArrayDeque<>();
            Thread pump = new Thread(() -> pump(c, last), "jvalkka-agent-stderr-" + p.pid());
            pump.setDaemon(true);
            pump.start();
            b.replyTo().tell(new AgentMessage.Started(b.id(), p.pid()));
            p.onExit().thenRunAsync(() -> {
                try {
                    pump.join(1000); // the last lines come before the pipe's end
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                children.remove(p.pid());
                String lines;
                synchronized (last) {
                    lines = String.join("\n", last);
                }
                b.driver().tell(new AgentMessage.BackendExited(b.id(), p.pid(), p.exitValue(), lines));
            });
        });
    }

    /** Copies the backend's standard error to ours, each line prefixed, keeping the last lines. */
    private void pump(Child c, Deque<String> last) {
        String prefix = "[node " + host + " backend " + c.label() + " pid " + c.process().pid() + "] ";
        PrintStream err = System.err;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(c.process().getErrorStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                err.println(prefix + line);
                synchronized (last) {
                    last.addLast(line);
                    if (last.size() > LAST_LINES) {
                        last.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // the backend closed its end
        }
    }

    /** Ends backend {@code pid} if this agent started it; other pids are ignored. */
    void stop(long pid, boolean forcibly) {
        Child c = children.get(pid);
        if (c == null) {
            return;
        }
        if (forcibly) {
            c.process().destroyForcibly();
        } else {
            c.process().destroy();
        }
    }

    /** Ends the backends that {@code driver} placed here: SIGTERM, then SIGKILL after a grace. */
    void driverGone(ActorRef<?> driver) {
        for (Child c : List.copyOf(children.values())) {
            if (c.driver().equals(driver)) {
                System.err.println("jvalkka node " + host + ": driver " + driver.path().address()
                        + " is gone; stopping backend " + c.label() + " pid " + c.process().pid());
                c.process().destroy();
                CompletableFuture.delayedExecutor(GRACE_MILLIS, TimeUnit.MILLISECONDS).execute(() -> {
                    if (c.process().isAlive()) {
                        c.process().destroyForcibly();
                    }
                });
            }
        }
    }

    /** How many backends run now. */
    int running() {
        return children.size();
    }

    /** Ends every backend (SIGKILL) and waits up to 5 s for them. */
    void close() {
        closed = true;
        launcher.shutdown();
        try {
            launcher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Child c : List.copyOf(children.values())) {
            c.process().destroyForcibly();
        }
        for (Child c : List.copyOf(children.values())) {
            try {
                c.process().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
