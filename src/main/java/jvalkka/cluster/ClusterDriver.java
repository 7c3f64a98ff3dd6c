package jvalkka.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
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

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

import jvalkka.internal.RemoteBackend;
import jvalkka.internal.RemoteLauncher;
import jvalkka.internal.RemoteLaunchers;

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
 * While it runs, it is this JVM's {@link RemoteLauncher} (at most one driver per
 * JVM): a {@code MessageProcess} whose options carry a
 * {@link jvalkka.multiprocess.Placement} starts its backend on a node agent it
 * chooses ({@link #launch}).
 *
 * <p>Thread-safe. Events ({@link Event}) are kept, the last 1,000, for
 * {@link #awaitEvent}.
 */
public final class ClusterDriver implements AutoCloseable, RemoteLauncher {
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
        /**
         * Removed from the cluster (it left, or was downed). With the driver's own
         * {@link ClusterDriver#address()}: the cluster removed this driver (it did not close).
         */
        REMOVED
    }

    /**
     * An event about the agent at {@code address}; {@code info} is null if the
     * driver had not learnt it yet. {@code nanoTime} is when the driver saw it.
     */
    public record Event(Kind kind, String address, AgentInfo info, long nanoTime) {
    }

    private final ActorSystem<Msg> system;
    private final ClusterSettings settings;
    private final InetAddress frontendAddress;
    private final Map<String, AgentInfo> agents = new ConcurrentHashMap<>();
    private final Map<String, ActorRef<AgentMessage>> agentRefs = new ConcurrentHashMap<>();
    private final DriverBackends backends = new DriverBackends(this);
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    /** Agents that left or are leaving: no longer offered for new backends. */
    private final Set<String> leaving = ConcurrentHashMap.newKeySet();
    private final Deque<Event> events = new ArrayDeque<>();
    private final String self;
    private volatile boolean closing;

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

    private record WatchAgent(String address, ActorRef<AgentMessage> agent) implements Msg {
    }

    private record AgentGone(String address) implements Msg {
    }

    /**
     * Starts the actor system, then installs this driver as the JVM's {@link RemoteLauncher} and
     * hears of its own removal; a failure on the way undoes what was done, in reverse order.
     */
    private ClusterDriver(ClusterSettings settings) throws IOException {
        this.settings = settings;
        this.frontendAddress = InetAddress.getByName(settings.host());
        String lostAfter = lostReason(settings);
        system = ActorSystem.create(Behaviors.setup(ctx -> new Watch(ctx, lostAfter).start()), settings.systemName(),
                driverConfig(settings));
        try {
            self = address();
            RemoteLaunchers.install(this);
            try {
                // runs when the cluster removes this driver (the split-brain resolver downed it) or its system stops
                org.apache.pekko.cluster.Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
                        .registerOnMemberRemoved(this::removed);
            } catch (RuntimeException | Error e) {
                RemoteLaunchers.uninstall(this);
                throw e;
            }
        } catch (RuntimeException | Error e) {
            ActorSystems.terminate(system);
            throw e;
        }
    }

    /**
     * The driver's actor: learns the agents from the receptionist (asking each for its
     * {@link AgentInfo}), follows reachability and membership, and watches the agents that run
     * this driver's backends. Its state is the actor's, touched by its messages only.
     */
    private final class Watch {
        private final ActorContext<Msg> ctx;
        private final String lostAfter;
        /** Agents watched for their stop (they run backends of this driver). */
        private final Set<String> watched = new HashSet<>();
        /** Agents asked to describe themselves (again at the next listing if they did not answer). */
        private final Set<String> asked = new HashSet<>();

        Watch(ActorContext<Msg> ctx, String lostAfter) {
            this.ctx = ctx;
            this.lostAfter = lostAfter;
        }

        /** Spawns the backends' event listener, subscribes, and returns the behaviour. */
        Behavior<Msg> start() {
            backends.events(ctx.spawn(Behaviors.receive(AgentMessage.class)
                    .onMessage(AgentMessage.BackendExited.class, x -> {
                        backends.exited(x);
                        return Behaviors.same();
                    }).build(), "backends"));
            ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.SERVICE, listings));
            Cluster cluster = Cluster.get(ctx.getSystem());
            cluster.subscriptions().tell(Subscribe.create(
                    ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reach::new),
                    ClusterEvent.ReachabilityEvent.class));
            cluster.subscriptions().tell(Subscribe.create(
                    ctx.messageAdapter(ClusterEvent.MemberEvent.class, Membership::new),
                    ClusterEvent.MemberEvent.class));
            return Behaviors.receive(Msg.class)
                    .onMessage(Listed.class, this::listed)
                    .onMessage(Described.class, d -> {
                        agents.put(d.info().address(), d.info());
                        record(Kind.JOINED, d.info().address());
                        return Behaviors.same();
                    })
                    .onMessage(NotDescribed.class, n -> {
                        asked.remove(n.address()); // asked again at the next listing
                        return Behaviors.same();
                    })
                    .onMessage(Reach.class, this::reach)
                    .onMessage(Membership.class, this::membership)
                    .onMessage(WatchAgent.class, w -> {
                        if (watched.add(w.address())) {
                            ctx.watchWith(w.agent(), new AgentGone(w.address()));
                        }
                        return Behaviors.same();
                    })
                    .onMessage(AgentGone.class, g -> {
                        watched.remove(g.address());
                        backends.nodeLost(g.address(), "lost its agent (the agent stopped)");
                        return Behaviors.same();
                    })
                    .build();
        }

        private Behavior<Msg> listed(Listed l) {
            for (ActorRef<AgentMessage> ref : l.listing().getServiceInstances(NodeAgent.SERVICE)) {
                String address = ref.path().address().toString();
                agentRefs.put(address, ref);
                if (asked.add(address)) {
                    ctx.ask(AgentInfo.class, ref, Duration.ofSeconds(10), AgentMessage.Describe::new,
                            (info, err) -> info != null ? new Described(info) : new NotDescribed(address));
                }
            }
            return Behaviors.same();
        }

        private Behavior<Msg> reach(Reach r) {
            String address = r.event().member().address().toString();
            if (r.event() instanceof ClusterEvent.UnreachableMember) {
                unreachable.add(address);
                backends.nodeLost(address, lostAfter);
                record(Kind.UNREACHABLE, address);
            } else {
                unreachable.remove(address);
                backends.nodeBack(address);
                record(Kind.REACHABLE, address);
            }
            return Behaviors.same();
        }

        private Behavior<Msg> membership(Membership m) {
            if (m.event() instanceof ClusterEvent.MemberRemoved removed) {
                String address = removed.member().address().toString();
                backends.nodeRemoved(address);
                record(Kind.REMOVED, address);
                agents.remove(address);
                agentRefs.remove(address);
                leaving.remove(address);
                unreachable.remove(address);
                asked.remove(address);
            } else if (m.event() instanceof ClusterEvent.MemberLeft
                    || m.event() instanceof ClusterEvent.MemberExited) {
                String address = m.event().member().address().toString();
                leaving.add(address);
                backends.nodeLost(address, "left the cluster");
            }
            return Behaviors.same();
        }
    }

    /**
     * This driver is no longer a member: unless it is closing, the others downed it (it was
     * unreachable from the majority for the down-after time, or it was on the minority side of a
     * partition). A downed member cannot come back with the same actor system, so its backends end
     * here, with that reason (their agents end them there, as for a crashed driver), and it starts
     * no more; a {@link Kind#REMOVED} event with its own address says so.
     */
    private void removed() {
        if (closing) {
            return;
        }
        String why = "this cluster driver (" + self + ") was removed from the cluster: the split-brain resolver "
                + "downed it (unreachable from the majority for " + settings.downAfter().toMillis()
                + " ms, or on the minority side of a partition); close it and join again with a new ClusterDriver";
        backends.driverRemoved(why);
        record(Kind.REMOVED, self);
    }

    /**
     * What a backend's end says when its node became unreachable: the failure detector's real
     * bound ({@link ClusterSettings#detectionTime()}), not only its acceptable pause, which is a
     * part of it.
     */
    static String lostReason(ClusterSettings settings) {
        return "unreachable: silent longer than the failure detector allows (a silent node is found within "
                + settings.detectionTime().toMillis() + " ms when heartbeats are regular, later when they jitter: "
                + settings.heartbeat().toMillis() + " ms heartbeats, " + settings.acceptablePause().toMillis()
                + " ms acceptable pause)";
    }

    /**
     * Joins the cluster as a driver with {@code settings} (its own bind address, the seeds, the keys).
     * Returns once the driver's actor system runs; the join itself, and the discovery of agents,
     * go on in the background ({@link #awaitAgents}).
     *
     * @param settings this member's settings; the driver adds its role, {@link #ROLE}
     * @return the driver; {@link #close()} leaves the cluster
     * @throws IOException if the keys cannot be read ({@link ClusterSettings#toConfig()})
     * @throws IllegalStateException when the settings have neither keys nor plain TCP, or another
     *     driver runs in this JVM
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

    ActorRef<AgentMessage> agentRef(String address) {
        return agentRefs.get(address);
    }

    /** Death-watches the agent at {@code address}: its actor stopping ends the backends placed there. */
    void watchAgent(String address, ActorRef<AgentMessage> agent) {
        system.tell(new WatchAgent(address, agent));
    }

    /** The heartbeat jitter {@link #lossNoticeWithin()} allows for: a loaded machine's (2 cores at a load of ~28). */
    static final Duration LOADED_JITTER = Duration.ofMillis(250);

    /**
     * How long after a placed backend's connection ended its node may take to be found lost: the
     * failure detector's time with {@link #LOADED_JITTER} ({@link ClusterSettings#detectionTime(Duration)})
     * and 1 s for the event to reach this driver. A frontend waits up to this long for the reason.
     */
    Duration lossNoticeWithin() {
        return settings.detectionTime(LOADED_JITTER).plusSeconds(1);
    }

    /** The driver's actor system (for the package's tests, which down the driver as the resolver would). */
    ActorSystem<?> actorSystem() {
        return system;
    }

    Scheduler scheduler() {
        return system.scheduler();
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
     * @return a new list: agents that answered the driver's describe request and are neither unreachable
     *     nor leaving the cluster now
     */
    public List<AgentInfo> agents() {
        List<AgentInfo> out = new ArrayList<>();
        for (AgentInfo a : agents.values()) {
            if (!unreachable.contains(a.address()) && !leaving.contains(a.address())) {
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

    /**
     * This driver's bind address: where its frontends listen for the backends they start on nodes.
     *
     * @return the address of {@link ClusterSettings#host()}
     */
    @Override
    public InetAddress frontendAddress() {
        return frontendAddress;
    }

    /**
     * The cluster's keys directory, for mutual TLS on the data path as between members.
     *
     * @return {@link ClusterSettings#keysDir()}: null when the cluster runs plain TCP
     */
    @Override
    public Path keysDir() {
        return settings.keysDir();
    }

    /**
     * Starts a backend on an Up, reachable agent that matches the request's node name (the agent's
     * {@code --host}) and labels: among those, the one with the fewest backends this driver placed
     * there per core it offers. Waits for the agent's answer (up to 15 s), not for the backend.
     * The backend ends ({@link RemoteBackend#onExit()}) when the agent reports its exit, or with
     * status -1 and a reason naming the node when the driver loses the agent: unreachable (the
     * failure detector's acceptable pause), left or removed from the cluster, its actor stopped.
     * {@code destroy()} and {@code destroyForcibly()} ask the agent to end it.
     *
     * @param request what to start and where
     * @return the backend, its pid the one on the node's host
     * @throws IllegalStateException naming the placement and the nodes seen when none matches; with
     *     the agent's reason when it could not start the JVM or did not answer
     */
    @Override
    public RemoteBackend launch(Request request) {
        return backends.launch(request);
    }

    /**
     * The driver's configuration: {@code settings} as the driver's role, with the
     * actor system's threads daemons. A driver lives in the user's program, whose
     * own threads decide when it ends: once {@link #close()} returned (it waits up
     * to 10 s for the actor system), a leave still under way (Pekko's coordinated
     * shutdown, slow on a loaded machine) must not keep that JVM alive.
     */
    static Config driverConfig(ClusterSettings settings) throws IOException {
        return ConfigFactory.parseString("pekko.daemonic = on").withFallback(settings.withRoles(List.of(ROLE)).toConfig());
    }

    /**
     * Ends the backends this driver placed (asking their agents to stop them; each counts as
     * ended with status -1), leaves the cluster and stops, waiting up to 10 s. Agents also end a
     * driver's backends by themselves when the driver is gone, even after a {@code kill -9}.
     * With a member unreachable (lost, or not yet removed), the driver marks itself down instead of
     * leaving ({@link #downSelfIfAMemberIsUnreachable}), so that the close does not wait for the
     * lost member's removal.
     */
    @Override
    public void close() {
        closing = true;
        RemoteLaunchers.uninstall(this);
        backends.close();
        downSelfIfAMemberIsUnreachable();
        ActorSystems.terminate(system);
    }

    /**
     * A leave cannot finish while a member is unreachable: the leader moves a leaving member on
     * (to exiting, then removed) only once every unreachable member is down, which the split-brain
     * resolver decides after {@link ClusterSettings#downAfter()}; Pekko's coordinated shutdown
     * waited for that in its cluster-exiting phase until that phase's timeout (10 s), so that a
     * driver whose agents were lost took 10 s to close. A member marked down needs no such
     * agreement: it shuts down at once, after telling the others, who remove it. The down goes to
     * the cluster's core before the shutdown's leave (the same actor, told first, from this
     * thread), so the leave finds this member down and does nothing. The backends' stop requests
     * were sent before ({@link DriverBackends#close}), so reachable agents still end them; and a
     * driver has nothing else to hand over on its way out. With every member reachable, the
     * driver leaves as before.
     */
    private void downSelfIfAMemberIsUnreachable() {
        try {
            org.apache.pekko.cluster.Cluster cluster = org.apache.pekko.cluster.Cluster
                    .get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
            if (!cluster.state().getUnreachable().isEmpty()) {
                cluster.down(cluster.selfAddress());
            }
        } catch (RuntimeException e) {
            // the system already stops (the cluster downed this driver): the shutdown goes on as it is
        }
    }
}
