package jvalkka.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The driver's view of the cluster: the node agents, their labels, and what
 * happens to them. A driver is a member of the cluster (role {@code driver}),
 * so it needs the same transport and keys as the agents.
 *
 * <pre>{@code
 * try (ClusterDriver d = ClusterDriver.join(ClusterSettings.bind("10.0.0.5", 0)
 *         .withSeeds(List.of("10.0.0.1:25520")).withKeys(Path.of("keys")))) {
 *     List<AgentInfo> agents = d.awaitAgents(3, Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * Thread-safe. Events ({@link Event}) are kept, the last 1,000, for
 * {@link #awaitEvent}.
 */
public final class ClusterDriver implements AutoCloseable {
    /** The role of drivers in the cluster. */
    public static final String ROLE = "driver";
    private static final int KEPT_EVENTS = 1000;

    /** What happened to an agent. */
    public enum Kind {
        /** Found through the receptionist, its info known. */
        JOINED,
        /** The failure detector lost it. */
        UNREACHABLE,
        /** Reachable again. */
        REACHABLE,
        /** Removed from the cluster (it left, or was downed). */
        REMOVED
    }

    /**
     * An event about the agent at {@code address}; {@code info} is null if the
     * driver had not learnt it yet. {@code nanoTime} is when the driver saw it.
     */
    public record Event(Kind kind, String address, AgentInfo info, long nanoTime) {
    }

    private final ActorSystem<Msg> system;
    private final Map<String, AgentInfo> agents = new ConcurrentHashMap<>();
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final Deque<Event> events = new ArrayDeque<>();

    private interface Msg {
    }

    private record Listed(Receptionist.Listing listing) implements Msg {
    }

    private record Described(AgentInfo info) implements Msg {
    }

    private record NotDescribed(String address) implements Msg {
    }

    private record Reach(ClusterEvent.ReachabilityEvent event) implements Msg {
    }

    private record Membership(ClusterEvent.MemberEvent event) implements Msg {
    }

    private ClusterDriver(ClusterSettings settings) throws IOException {
        Behavior<Msg> behavior = Behaviors.setup(ctx -> {
            ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.SERVICE, listings));
            Cluster cluster = Cluster.get(ctx.getSystem());
            cluster.subscriptions().tell(Subscribe.create(
                    ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reach::new),
                    ClusterEvent.ReachabilityEvent.class));
            cluster.subscriptions().tell(Subscribe.create(
                    ctx.messageAdapter(ClusterEvent.MemberEvent.class, Membership::new),
                    ClusterEvent.MemberEvent.class));
            Set<String> asked = new HashSet<>();
            return Behaviors.receive(Msg.class)
                    .onMessage(Listed.class, l -> {
                        for (ActorRef<AgentMessage> ref : l.listing().getServiceInstances(NodeAgent.SERVICE)) {
                            String address = ref.path().address().toString();
                            if (asked.add(address)) {
                                ctx.ask(AgentInfo.class, ref, Duration.ofSeconds(10), AgentMessage.Describe::new,
                                        (info, err) -> info != null ? new Described(info) : new NotDescribed(address));
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Described.class, d -> {
                        agents.put(d.info().address(), d.info());
                        record(Kind.JOINED, d.info().address());
                        return Behaviors.same();
                    })
                    .onMessage(NotDescribed.class, n -> {
                        asked.remove(n.address()); // asked again at the next listing
                        return Behaviors.same();
                    })
                    .onMessage(Reach.class, r -> {
                        String address = r.event().member().address().toString();
                        if (r.event() instanceof ClusterEvent.UnreachableMember) {
                            unreachable.add(address);
                            record(Kind.UNREACHABLE, address);
                        } else {
                            unreachable.remove(address);
                            record(Kind.REACHABLE, address);
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Membership.class, m -> {
                        if (m.event() instanceof ClusterEvent.MemberRemoved removed) {
                            String address = removed.member().address().toString();
                            record(Kind.REMOVED, address);
                            agents.remove(address);
                            unreachable.remove(address);
                            asked.remove(address);
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
        system = ActorSystem.create(behavior, settings.systemName(), settings.withRoles(List.of(ROLE)).toConfig());
    }

    /**
     * Joins the cluster as a driver with {@code settings} (its own bind address, the seeds, the keys).
     * Returns once the driver's actor system runs; the join itself, and the discovery of agents,
     * go on in the background ({@link #awaitAgents}).
     *
     * @param settings this member's settings; the driver adds its role, {@link #ROLE}
     * @return the driver; {@link #close()} leaves the cluster
     * @throws IOException if the keys cannot be read ({@link ClusterSettings#toConfig()})
     * @throws IllegalStateException when the settings have neither keys nor plain TCP
     */
    public static ClusterDriver join(ClusterSettings settings) throws IOException {
        return new ClusterDriver(settings);
    }

    private void record(Kind kind, String address) {
        Event e = new Event(kind, address, agents.get(address), System.nanoTime());
        synchronized (events) {
            events.addLast(e);
            if (events.size() > KEPT_EVENTS) {
                events.removeFirst();
            }
            events.notifyAll();
        }
    }

    /**
     * This driver's own cluster address.
     *
     * @return the address, {@code pekko://SYSTEM@HOST:PORT} (with the port actually bound)
     */
    public String address() {
        return Cluster.get(system).selfMember().address().toString();
    }

    /**
     * The agents known now and reachable, in no particular order.
     *
     * @return a new list: agents that answered the driver's describe request and are not unreachable now
     */
    public List<AgentInfo> agents() {
        List<AgentInfo> out = new ArrayList<>();
        for (AgentInfo a : agents.values()) {
            if (!unreachable.contains(a.address())) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * The agents whose label {@code key} is {@code value}.
     *
     * @param key the label's name
     * @param value the value it must have (compared with {@code equals}; not null)
     * @return the reachable agents that carry this label with this value, in no particular order
     */
    public List<AgentInfo> agentsLabelled(String key, String value) {
        return agents().stream().filter(a -> value.equals(a.label(key))).toList();
    }

    /**
     * Waits until at least {@code n} agents are known and reachable.
     *
     * @param n how many agents to wait for
     * @param timeout the longest wait
     * @return the reachable agents at that moment (at least {@code n})
     * @throws java.util.concurrent.TimeoutException naming the agents seen, if {@code timeout} passes first
     * @throws InterruptedException if the thread is interrupted while it waits
     */
    public List<AgentInfo> awaitAgents(int n, Duration timeout)
            throws InterruptedException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (events) {
            while (true) {
                List<AgentInfo> now = agents();
                if (now.size() >= n) {
                    return now;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new java.util.concurrent.TimeoutException(
                            "saw " + now.size() + " of " + n + " agents within " + timeout + ": " + now);
                }
                TimeUnit.NANOSECONDS.timedWait(events, Math.min(left, 100_000_000L));
            }
        }
    }

    /**
     * Waits for an event that matches {@code match} and was seen at or after
     * {@code sinceNanoTime}; returns it, or null if {@code timeout} passed first.
     * Only the last 1,000 events are kept, so an older match may have been dropped.
     *
     * @param match the condition, tested on the driver's kept events (oldest first) under its lock
     * @param sinceNanoTime a {@link System#nanoTime()} value; earlier events are skipped
     * @param timeout the longest wait
     * @return the oldest matching event, or null when none came in time
     * @throws InterruptedException if the thread is interrupted while it waits
     */
    public Event awaitEvent(Predicate<Event> match, long sinceNanoTime, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (events) {
            while (true) {
                for (Event e : events) {
                    if (e.nanoTime() - sinceNanoTime >= 0 && match.test(e)) {
                        return e;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(events, Math.min(left, 100_000_000L));
            }
        }
    }

    /**
     * The events kept so far, oldest first.
     *
     * @return an unmodifiable copy of the last (at most 1,000) events
     */
    public List<Event> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** Leaves the cluster and stops, waiting up to 10 s. */
    @Override
    public void close() {
        ActorSystems.terminate(system);
    }
}
