package jvalkka.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;

import com.typesafe.config.ConfigFactory;

/**
 * A node agent: one per host, a member of the cluster that advertises the host,
 * its cores and the user's labels under {@link #SERVICE} (Pekko's receptionist),
 * so that drivers find it ({@link ClusterDriver}). Started by {@code scripts/node}
 * ({@link #main}) or in a program with {@link #start}.
 *
 * <p>It binds the address it is given and no other; a wildcard address only if
 * {@code --allow-wildcard} is given as well. It leaves the cluster cleanly on
 * SIGTERM, Ctrl+C or {@link #close()}; an agent that the others removed (it was
 * unreachable longer than the down-after time) exits, for its supervisor to
 * start again.
 *
 * <p>It starts backends on its host when a driver asks ({@link AgentMessage.StartBackend}), with
 * {@link jvalkka.multiprocess.NodeLaunch}: the agent is their parent, so they end with it (even
 * on {@code kill -9}), and the run record and {@code scripts/cleanup} cover them. Their standard
 * error goes to the agent's, each line prefixed with the host, the process label and the pid. It
 * watches each driver that placed a backend here and ends that driver's backends when the
 * driver is gone (it left, or the cluster removed it after a crash). The agent's class path must
 * hold the application's classes (the process objects' classes), as the driver's does. A member
 * of the cluster may run any JVM options here: the cluster's members trust each other (mutual TLS).
 */
public final class NodeAgent implements AutoCloseable {
    /** The receptionist key under which every agent registers. */
    public static final ServiceKey<AgentMessage> SERVICE = ServiceKey.create(AgentMessage.class, "jvalkka-node-agent");
    /** The role of agents in the cluster. */
    public static final String ROLE = "agent";

    private final ActorSystem<AgentMessage> system;
    private final AgentInfo info;

    private final AgentBackends backends;

    private NodeAgent(ActorSystem<AgentMessage> system, AgentInfo info, AgentBackends backends) {
        this.system = system;
        this.info = info;
        this.backends = backends;
    }

    /**
     * Starts an agent with {@code settings}, advertising {@code host},
     * {@code cores} and {@code labels}. Returns when its actor system runs; it
     * joins the seeds in the background ({@link #awaitUp}).
     *
     * @param settings this member's settings; the agent adds its role, {@link #ROLE}
     * @param host the host name to advertise
     * @param cores the cores to offer, at least 1
     * @param labels the user's labels, copied
     * @return the running agent; {@link #close()} leaves the cluster
     * @throws IOException if the keys cannot be read ({@link ClusterSettings#toConfig()})
     * @throws IllegalStateException when the settings have neither keys nor plain TCP
     */
    public static NodeAgent start(ClusterSettings settings, String host, int cores, Map<String, String> labels)
            throws IOException {
        return start(settings, host, cores, labels, false);
    }

    static NodeAgent start(ClusterSettings settings, String host, int cores, Map<String, String> labels,
            boolean exitJvmWhenDown) throws IOException {
        var config = settings.withRoles(List.of(ROLE)).toConfig();
        if (exitJvmWhenDown) {
            config = ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on").withFallback(config);
        }
        AgentInfo[] holder = new AgentInfo[1];
        AgentBackends backends = new AgentBackends(host, settings.plainTcp() ? null : settings.keysDir());
        Behavior<AgentMessage> behavior = Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE, ctx.getSelf()));
            return Behaviors.receive(AgentMessage.class)
                    .onMessage(AgentMessage.Describe.class, d -> {
                        d.replyTo().tell(holder[0]);
                        return Behaviors.same();
                    })
                    .onMessage(AgentMessage.StartBackend.class, b -> {
                        ctx.watch(b.driver()); // its backends go when it goes (watching twice is watching once)
                        backends.start(b);
                        return Behaviors.same();
                    })
                    .onMessage(AgentMessage.StopBackend.class, b -> {
                        backends.stop(b.pid(), b.forcibly());
                        return Behaviors.same();
                    })
                    .onSignal(Terminated.class, t -> {
                        backends.driverGone(t.getRef());
                        return Behaviors.same();
                    })
                    .build();
        });
        // the info needs the bound address, known once the system runs; the behaviour reads it only on a Describe
        ActorSystem<AgentMessage> system = ActorSystem.create(behavior, settings.systemName(), config);
        // stopping (close(), SIGTERM, removal from the cluster) ends the backends first
        CoordinatedShutdown.get(system).addJvmShutdownHook(backends::close);
        system.getWhenTerminated().thenRun(backends::close);
        String address = Cluster.get(system).selfMember().address().toString();
        holder[0] = new AgentInfo(host, address, cores, labels, ProcessHandle.current().pid());
        return new NodeAgent(system, holder[0], backends);
    }

    /**
     * What this agent advertises.
     *
     * @return the agent's info, its bound address included
     */
    public AgentInfo info() {
        return info;
    }

    /**
     * Waits until this agent is an Up member of the cluster; false if {@code timeout} passed first.
     *
     * @param timeout the longest wait
     * @return true once the agent is Up, false when the timeout passed first
     * @throws InterruptedException if the thread is interrupted while it waits
     */
    public boolean awaitUp(Duration timeout) throws InterruptedException {
        CompletableFuture<Void> up = new CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
        try {
            up.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /**
     * How many backends this agent started that still run.
     *
     * @return the number of running backends it started
     */
    public int backendsRunning() {
        return backends.running();
    }

    /** Ends the backends it started, leaves the cluster and stops, waiting up to 10 s. */
    @Override
    public void close() {
        backends.close();
        ActorSystems.terminate(system);
    }

    static Duration parseDuration(String s) {
        String t = s.strip();
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
        }
        throw new IllegalArgumentException("a duration is like 500ms or 2s, not '" + s + "'");
    }

    private static final String USAGE = String.join("\n",
            "usage: scripts/node --bind ADDRESS[:PORT] [--seed HOST:PORT ...] --keys DIR [options]",
            "  --bind ADDRESS[:PORT]   the address (and port, default " + ClusterSettings.DEFAULT_PORT
                    + ") to bind and advertise; never a wildcard unless --allow-wildcard",
            "  --seed HOST:PORT        a seed member (repeat, or comma-separated); none: this agent starts a cluster",
            "  --keys DIR              mutual TLS keys made by scripts/node-keys",
            "  --insecure-plain-tcp    no TLS, no authentication: trusted networks only",
            "  --name NAME             the node's name, which Placement.node(NAME) selects (default: this",
            "                          machine's host name; --host NAME is the same)",
            "  --cores N               the cores to offer (default: the available processors)",
            "  --label KEY=VALUE       a user label (repeat)",
            "  --heartbeat D           failure detector heartbeat interval (default 1s)",
            "  --failure-pause D       a member silent longer is unreachable (default 3s)",
            "  --down-after D          an unreachable member is removed after this (default 20s)",
            "  --system NAME           the cluster's actor system name (default jvalkka)",
            "  --log-level LEVEL       Pekko's log level: OFF ERROR WARNING INFO DEBUG (default WARNING)",
            "  --allow-wildcard        allow --bind 0.0.0.0 or ::");

    /**
     * {@code scripts/node}: see {@link #USAGE}, printed by {@code --help}. Runs until the agent's
     * actor system ends (SIGTERM, Ctrl+C, or removal from the cluster, which exits the JVM).
     * Bad options print the usage and exit with status 2.
     *
     * @param args the command line options of {@code scripts/node}
     * @throws Exception when the agent cannot start (unreadable keys, an address that cannot be bound)
     */
    public static void main(String[] args) throws Exception {
        CommandLine c;
        try {
            c = CommandLine.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("scripts/node: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (c == null) {
            System.out.println(USAGE);
            return;
        }
        String[] bind = bindHostPort(c.bind);
        if (!c.wildcard && InetAddress.getByName(bind[0]).isAnyLocalAddress()) {
            System.err.println("scripts/node: " + bind[0] + " is a wildcard address; give the host's own address, "
                    + "or add --allow-wildcard");
            System.exit(2);
            return;
        }
        String host = c.host != null ? c.host : InetAddress.getLocalHost().getHostName();
        NodeAgent agent = start(c.settings(bind[0], Integer.parseInt(bind[1])), host, c.cores, c.labels, true);
        runUntilTerminated(agent, c);
    }

    /** {@code --bind}'s host (without brackets) and port (the default port when it names none). */
    private static String[] bindHostPort(String bind) {
        if (bind.startsWith("[") || bind.chars().filter(ch -> ch == ':').count() == 1) {
            String[] hp = ClusterSettings.parseHostPort(bind);
            return new String[] {hp[0].replace("[", "").replace("]", ""), hp[1]};
        }
        return new String[] {bind, Integer.toString(ClusterSettings.DEFAULT_PORT)};
    }

    /** Prints the started, up and stopped lines of a node started from the command line; returns once it stopped. */
    private static void runUntilTerminated(NodeAgent agent, CommandLine c) {
        AgentInfo info = agent.info();
        System.out.println("jvalkka node: started " + info.address() + " host=" + info.host() + " cores="
                + info.cores() + " labels=" + info.labels() + " transport=" + (c.plain ? "plain-tcp" : "mutual-tls")
                + " seeds=" + c.seeds);
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(agent.system)).registerOnMemberUp(
                () -> System.out.println("jvalkka node: up " + info.address()));
        agent.system.getWhenTerminated().toCompletableFuture().join();
        System.out.println("jvalkka node: stopped " + info.address());
    }

    /** The options of {@code scripts/node} (see {@link #USAGE}), with their defaults. */
    private static final class CommandLine {
        String bind;
        final List<String> seeds = new ArrayList<>();
        Path keys;
        boolean plain;
        boolean wildcard;
        String host;
        int cores = Runtime.getRuntime().availableProcessors();
        final Map<String, String> labels = new LinkedHashMap<>();
        Duration heartbeat = Duration.ofSeconds(1);
        Duration pause = Duration.ofSeconds(3);
        Duration downAfter = Duration.ofSeconds(20);
        String system = ClusterSettings.DEFAULT_SYSTEM;
        String logLevel = "WARNING";

        /**
         * @return the options, or null for {@code --help}
         * @throws IllegalArgumentException naming a bad, unknown or missing option
         */
        static CommandLine parse(String[] args) {
            CommandLine c = new CommandLine();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help", "-h" -> {
                        return null;
                    }
                    case "--insecure-plain-tcp" -> c.plain = true;
                    case "--allow-wildcard" -> c.wildcard = true;
                    default -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(a + " needs a value");
                        }
                        c.option(a, args[++i]);
                    }
                }
            }
            c.checkRequired();
            return c;
        }

        /** One option that takes a value. */
        private void option(String a, String v) {
            switch (a) {
                case "--bind" -> bind = v;
                case "--seed" -> {
                    for (String s : v.split(",")) {
                        if (!s.isBlank()) {
                            seeds.add(s.strip());
                        }
                    }
                }
                case "--keys" -> keys = Path.of(v);
                case "--host", "--name" -> host = v;
                case "--cores" -> cores = Integer.parseInt(v);
                case "--label" -> label(v);
                case "--heartbeat" -> heartbeat = parseDuration(v);
                case "--failure-pause" -> pause = parseDuration(v);
                case "--down-after" -> downAfter = parseDuration(v);
                case "--system" -> system = v;
                case "--log-level" -> logLevel = v;
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }

        private void label(String v) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--label needs KEY=VALUE, not '" + v + "'");
            }
            labels.put(v.substring(0, eq), v.substring(eq + 1));
        }

        private void checkRequired() {
            if (bind == null) {
                throw new IllegalArgumentException("--bind ADDRESS[:PORT] is required (no wildcard default)");
            }
            if (keys == null && !plain) {
                throw new IllegalArgumentException("--keys DIR is required (scripts/node-keys DIR makes them), "
                        + "or --insecure-plain-tcp on a trusted network");
            }
        }

        /** The node's settings, bound to {@code host}:{@code port}. */
        ClusterSettings settings(String bindHost, int port) {
            ClusterSettings s = ClusterSettings.bind(bindHost, port).withSeeds(seeds)
                    .withFailureDetector(heartbeat, pause).withDownAfter(downAfter).withSystemName(system)
                    .withLogLevel(logLevel);
            return plain ? s.withPlainTcp() : s.withKeys(keys);
        }
    }
}
