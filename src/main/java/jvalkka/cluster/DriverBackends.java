package jvalkka.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

import jvalkka.internal.RemoteLauncher;
import jvalkka.multiprocess.Placement;

/**
 * The backends one {@link ClusterDriver} placed on node agents: the choice of
 * a node for a placement, the start request, and the end of each backend when
 * its agent reports it or the driver loses the agent. Thread-safe.
 */
final class DriverBackends {
    /** How long a start request may take to be answered: the agent answers once the JVM is forked. */
    static final Duration START_ANSWER = Duration.ofSeconds(15);

    private final ClusterDriver view;
    private final Map<Long, ClusterBackend> backends = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile ActorRef<AgentMessage> events;
    private volatile boolean closed;
    /** Why this driver starts no more backends, when the cluster removed it; else null. */
    private volatile String removed;

    DriverBackends(ClusterDriver view) {
        this.view = view;
    }

    /** The driver's actor that receives {@link AgentMessage.BackendExited}; set once, as the driver starts. */
    void events(ActorRef<AgentMessage> ref) {
        events = ref;
    }

    /** "node NAME (HOST)" for the agent {@code a}. */
    static String describe(AgentInfo a) {
        String addr = a.address();
        int at = addr.indexOf('@');
        int colon = addr.lastIndexOf(':');
        String host = at >= 0 && colon > at ? addr.substring(at + 1, colon) : addr;
        return "node " + a.host() + " (" + host + ")";
    }

    static Placement placementOf(RemoteLauncher.Request r) {
        Placement p = r.node() != null ? Placement.node(r.node()) : Placement.any();
        for (Map.Entry<String, String> e : new TreeMap<>(r.labels()).entrySet()) {
            p = p.andLabel(e.getKey(), e.getValue());
        }
        return p;
    }

    private static boolean matches(AgentInfo a, RemoteLauncher.Request r) {
        if (r.node() != null && !r.node().equals(a.host())) {
            return false;
        }
        for (Map.Entry<String, String> e : r.labels().entrySet()) {
            if (!e.getValue().equals(a.label(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Backends of this driver that run (or are starting) on the agent at {@code address}. */
    int placedOn(String address) {
        int n = 0;
        for (ClusterBackend b : backends.values()) {
            if (b.agentAddress.equals(address) && b.isAlive()) {
                n++;
            }
        }
        return n;
    }

    /** See {@link RemoteLauncher#launch}. */
    ClusterBackend launch(RemoteLauncher.Request r) {
        if (closed) {
            throw new IllegalStateException("the cluster driver is closed");
        }
        String gone = removed;
        if (gone != null) {
            throw new IllegalStateException("cannot start " + r.label() + ": " + gone);
        }
        Placement placement = placementOf(r);
        ClusterBackend b;
        ActorRef<AgentMessage> ref;
        AgentInfo chosen;
        synchronized (this) { // a choice and its count together, so that concurrent starts spread
            List<AgentInfo> all = view.agents();
            List<AgentInfo> fit = new ArrayList<>();
            for (AgentInfo a : all) {
                if (matches(a, r) && view.agentRef(a.address()) != null) {
                    fit.add(a);
                }
            }
            if (fit.isEmpty()) {
                throw new IllegalStateException("no cluster node matches " + placement + " for " + r.label()
                        + "; nodes seen: " + (all.isEmpty() ? "none" : all.stream()
                        .map(a -> describe(a) + " labels " + new TreeMap<>(a.labels())).toList()));
            }
            chosen = fit.stream().min(Comparator.<AgentInfo>comparingDouble(a -> (double) placedOn(a.address())
                    / a.cores()).thenComparing(AgentInfo::address)).orElseThrow();
            ref = view.agentRef(chosen.address());
            b = new ClusterBackend(ids.incrementAndGet(), chosen.address(), describe(chosen), ref,
                    view.lossNoticeWithin());
            backends.put(b.id, b);
        }
        ActorRef<AgentMessage> driver = events;
        CompletableFuture<AgentMessage> answer = AskPattern.<AgentMessage, AgentMessage>ask(ref,
                replyTo -> new AgentMessage.StartBackend(b.id, r.label(), r.jvmArgs(), r.bootLine(), replyTo, driver),
                START_ANSWER, view.scheduler()).toCompletableFuture();
        Object got;
        try {
            got = CompletableFuture.anyOf(answer, b.onExit())
                    .get(START_ANSWER.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            forget(b, "interrupted while starting");
            throw new IllegalStateException("interrupted while " + b.host() + " started " + r.label());
        } catch (ExecutionException | TimeoutException e) {
            Throwable c = e instanceof ExecutionException ? e.getCause() : e;
            forget(b, "no answer to the start request");
            throw new IllegalStateException(b.host() + " did not answer the start of " + r.label() + " within "
                    + START_ANSWER.toSeconds() + " s (" + c + "); placement " + placement, c);
        }
        if (got instanceof AgentMessage.Started s) {
            b.started(s.pid());
        } else if (got instanceof AgentMessage.StartFailed f) {
            forget(b, f.reason());
            throw new IllegalStateException(f.reason() + " (placement " + placement + ")");
        } else if (b.exitReason() != null && b.pid() < 0) {
            backends.remove(b.id);
            throw new IllegalStateException("cannot start " + r.label() + ": " + b.exitReason());
        }
        view.watchAgent(chosen.address(), ref);
        return b;
    }

    private void forget(ClusterBackend b, String why) {
        backends.remove(b.id);
        b.end(-1, b.host() + ": " + why, "");
    }

    /** The agent reports that a backend ended. */
    void exited(AgentMessage.BackendExited x) {
        ClusterBackend b = backends.remove(x.id());
        if (b != null) {
            if (b.pid() < 0) {
                b.started(x.pid());
            }
            b.end(x.status(), null, x.lastLines());
        }
    }

    /** The agent at {@code address} was lost ({@code what} happened): its backends end with -1. */
    void nodeLost(String address, String what) {
        for (ClusterBackend b : backends.values()) {
            if (b.agentAddress.equals(address) && b.isAlive()) {
                b.lostWithNode = true;
                b.end(-1, b.host() + " " + what, "");
            }
        }
    }

    /** The agent at {@code address} is reachable again: the backends given up for it are ended there. */
    void nodeBack(String address) {
        for (ClusterBackend b : List.copyOf(backends.values())) {
            if (b.agentAddress.equals(address) && b.lostWithNode) {
                b.stopOnNode();
                backends.remove(b.id);
            }
        }
    }

    /** The agent at {@code address} is no longer a member. */
    void nodeRemoved(String address) {
        nodeLost(address, "was removed from the cluster");
        backends.values().removeIf(b -> b.agentAddress.equals(address));
    }

    /**
     * The cluster removed the driver ({@code why}): every backend counts as ended with that reason
     * (its agent ends it once it sees the driver gone), and no more start.
     */
    void driverRemoved(String why) {
        removed = why;
        for (ClusterBackend b : List.copyOf(backends.values())) {
            b.lostWithNode = true;
            b.end(-1, b.host() + " lost: " + why, "");
        }
        backends.clear();
    }

    /** The driver closes: every backend is asked to stop and counts as ended. */
    void close() {
        closed = true;
        for (ClusterBackend b : List.copyOf(backends.values())) {
            b.destroy();
            b.end(-1, b.host() + ": the cluster driver closed", "");
        }
        backends.clear();
    }
}
