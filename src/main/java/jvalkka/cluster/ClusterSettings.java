package jvalkka.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * How a member (a node agent or a driver) joins the cluster: its bind address,
 * the seed addresses, the transport and its keys, and the failure detector.
 * Immutable; {@code with*} return a copy.
 *
 * <p>Defaults: mutual TLS ({@code tls-tcp}) with the keys of
 * {@link #withKeys(Path)}, which must be given unless {@link #withPlainTcp()}
 * was asked for; Pekko's failure detector with a 1 s heartbeat and a 3 s
 * acceptable pause; an unreachable member is downed (removed) by the
 * split-brain resolver, keep-majority, after {@code downAfter} (20 s) without a
 * change of reachability. While reachability keeps changing (a member that is
 * only slow, on a loaded machine, is marked unreachable and reachable again) the
 * resolver waits: it never downs every member for instability (Pekko's
 * {@code down-all-when-unstable} is off), so a false suspicion costs at most the
 * backends on the suspected node, not the cluster. Tests use short settings:
 * {@code withFailureDetector(200 ms, 1 s).withDownAfter(10 s)}.
 *
 * <p><b>How soon a lost member is noticed.</b> Pekko's failure detector is a phi
 * accrual one (threshold {@value #PHI_THRESHOLD}, standard deviation floor
 * {@value #MIN_STD_DEVIATION_MS} ms, set here): it learns how regularly each
 * member's heartbeat replies arrive, and marks a member unreachable once it has
 * been silent for the mean interval plus the acceptable pause plus about 5.2
 * standard deviations of the intervals (at least of the floor). On a quiet
 * machine that is {@link #detectionTime()} at most; where heartbeats arrive with
 * more jitter (a busy machine, a slow network) the detector waits longer, by
 * design, so as not to mistake a slow member for a lost one:
 * {@link #detectionTime(Duration)}.
 * Java serialization is off; agent messages use {@link AgentSerializer}.
 * The bind address is the address given, never a wildcard unless given as one.
 */
public final class ClusterSettings {
    /** The actor system's name, the same on every member of one cluster. */
    public static final String DEFAULT_SYSTEM = "jvalkka";
    /** The port a node agent binds by default. */
    public static final int DEFAULT_PORT = 25520;
    /** The failure detector's phi threshold (Pekko's default, set explicitly). */
    public static final double PHI_THRESHOLD = 8.0;
    /** How long a member's transport may take to bind its address before its start fails (Pekko's default is 3 s). */
    static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);
    /** The floor of the heartbeat intervals' standard deviation the failure detector assumes, in ms (Pekko's default, set explicitly). */
    public static final int MIN_STD_DEVIATION_MS = 100;

    private final String system;
    private final String host;
    private final int port;
    private final List<String> seeds;
    private final Path keys;
    private final boolean plainTcp;
    private final Duration heartbeat;
    private final Duration acceptablePause;
    private final Duration downAfter;
    private final List<String> roles;
    private final String logLevel;

    private ClusterSettings(String system, String host, int port, List<String> seeds, Path keys, boolean plainTcp,
            Duration heartbeat, Duration acceptablePause, Duration downAfter, List<String> roles, String logLevel) {
        this.system = system;
        this.host = host;
        this.port = port;
        this.seeds = List.copyOf(seeds);
        this.keys = keys;
        this.plainTcp = plainTcp;
        this.heartbeat = heartbeat;
        this.acceptablePause = acceptablePause;
        this.downAfter = downAfter;
        this.roles = List.copyOf(roles);
        this.logLevel = logLevel;
    }

    /**
     * Settings for a member that binds {@code host:port} ({@code port} 0: any
     * free port). {@code host} is an address or a name of this machine; it is
     * what other members connect to, and the only address bound.
     *
     * @param host the address or host name to bind and advertise; {@code 0.0.0.0} binds every interface
     * @param port the port, 0..65535 (0: any free port)
     * @return settings with the defaults of the class comment, no seeds and no keys yet
     * @throws NullPointerException when {@code host} is null
     * @throws IllegalArgumentException when {@code host} is blank or {@code port} is out of range
     */
    public static ClusterSettings bind(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("a bind address is needed (a wildcard only if given as 0.0.0.0)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        return new ClusterSettings(DEFAULT_SYSTEM, host, port, List.of(), null, false,
                Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(20), List.of(), "WARNING");
    }

    /**
     * The seed members' addresses, {@code host:port}; a member that is its own first seed starts the cluster.
     *
     * @param hostPorts the seeds, each {@code host:port} with a port of 1..65535, in the order tried
     * @return a copy with these seeds (replacing any given before)
     * @throws IllegalArgumentException (a {@link NumberFormatException} for a port that is no number)
     *     when an entry is not {@code host:port}
     */
    public ClusterSettings withSeeds(List<String> hostPorts) {
        for (String s : hostPorts) {
            parseHostPort(s);
        }
        return new ClusterSettings(system, host, port, hostPorts, keys, plainTcp, heartbeat, acceptablePause,
                downAfter, roles, logLevel);
    }

    /**
     * The directory that {@code scripts/node-keys} made: {@code node.p12}, {@code trust.p12}, {@code password}.
     *
     * @param dir the keys directory; read (and checked) only by {@link #toConfig()}
     * @return a copy that uses mutual TLS with these keys (undoing {@link #withPlainTcp()})
     */
    public ClusterSettings withKeys(Path dir) {
        return new ClusterSettings(system, host, port, seeds, dir, false, heartbeat, acceptablePause, downAfter,
                roles, logLevel);
    }

    /**
     * Plain TCP, no authentication: for a trusted network only, and only when asked for.
     *
     * @return a copy that uses plain TCP and no keys (undoing {@link #withKeys(Path)})
     */
    public ClusterSettings withPlainTcp() {
        return new ClusterSettings(system, host, port, seeds, null, true, heartbeat, acceptablePause, downAfter,
                roles, logLevel);
    }

    /**
     * The failure detector's heartbeat interval and acceptable pause (a member silent longer than the
     * pause and a margin learnt from its heartbeats is unreachable: see {@link #detectionTime(Duration)}).
     *
     * @param heartbeatInterval how often members send heartbeats; positive
     * @param pause how long a member may be silent, beyond its usual heartbeat interval and jitter,
     *     before it is marked unreachable; at least {@code heartbeatInterval}. The cluster's gossip
     *     and reaper intervals are derived from it
     * @return a copy with this failure detector
     * @throws IllegalArgumentException unless {@code 0 < heartbeatInterval <= pause}
     */
    public ClusterSettings withFailureDetector(Duration heartbeatInterval, Duration pause) {
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero() || pause.compareTo(heartbeatInterval) < 0) {
            throw new IllegalArgumentException("need 0 < heartbeat <= pause, not " + heartbeatInterval + ", " + pause);
        }
        return new ClusterSettings(system, host, port, seeds, keys, plainTcp, heartbeatInterval, pause, downAfter,
                roles, logLevel);
    }

    /**
     * How long a member stays unreachable before the others remove it (the split-brain resolver's stable-after).
     *
     * @param d the time an unreachable member is kept before it is downed (not checked here)
     * @return a copy with this delay
     */
    public ClusterSettings withDownAfter(Duration d) {
        return new ClusterSettings(system, host, port, seeds, keys, plainTcp, heartbeat, acceptablePause, d, roles,
                logLevel);
    }

    /**
     * The actor system's name (all members of one cluster share it).
     *
     * @param name the name, part of every member's address; members with another name do not join
     * @return a copy with this name
     */
    public ClusterSettings withSystemName(String name) {
        return new ClusterSettings(name, host, port, seeds, keys, plainTcp, heartbeat, acceptablePause, downAfter,
                roles, logLevel);
    }

    ClusterSettings withRoles(List<String> r) {
        return new ClusterSettings(system, host, port, seeds, keys, plainTcp, heartbeat, acceptablePause, downAfter,
                r, logLevel);
    }

    /**
     * Pekko's log level: OFF, ERROR, WARNING (default), INFO, DEBUG.
     *
     * @param level one of those names, written into the configuration as given (not checked here)
     * @return a copy with this level; INFO and DEBUG also turn on the cluster's info log
     */
    public ClusterSettings withLogLevel(String level) {
        return new ClusterSettings(system, host, port, seeds, keys, plainTcp, heartbeat, acceptablePause, downAfter,
                roles, level);
    }

    /**
     * The actor system's name.
     *
     * @return the name given to {@link #withSystemName(String)}, else {@link #DEFAULT_SYSTEM}
     */
    public String systemName() {
        return system;
    }

    /**
     * The bind address.
     *
     * @return the address or host name given to {@link #bind(String, int)}
     */
    public String host() {
        return host;
    }

    /**
     * The bind port.
     *
     * @return the port given to {@link #bind(String, int)}; 0 means any free port, chosen at start
     */
    public int port() {
        return port;
    }

    /**
     * The seed members' addresses.
     *
     * @return the seeds, {@code host:port}, unmodifiable; empty unless {@link #withSeeds(List)} set them
     */
    public List<String> seeds() {
        return seeds;
    }

    /**
     * Whether the transport is plain TCP rather than mutual TLS.
     *
     * @return true after {@link #withPlainTcp()}, false (mutual TLS) otherwise
     */
    public boolean plainTcp() {
        return plainTcp;
    }

    /**
     * The keys directory.
     *
     * @return the directory given to {@link #withKeys(Path)}, or null with plain TCP
     */
    public Path keysDir() {
        return keys;
    }

    /**
     * The failure detector's acceptable pause.
     *
     * @return how long a member may be silent, beyond its usual heartbeat interval and jitter, before
     *     it is marked unreachable (default 3 s)
     */
    public Duration acceptablePause() {
        return acceptablePause;
    }

    /**
     * The split-brain resolver's stable-after ({@link #withDownAfter(Duration)}).
     *
     * @return how long a member stays unreachable, with no change of reachability, before the
     *     others remove it (default 20 s)
     */
    public Duration downAfter() {
        return downAfter;
    }

    /**
     * The failure detector's heartbeat interval.
     *
     * @return how often members send heartbeats (default 1 s)
     */
    public Duration heartbeat() {
        return heartbeat;
    }

    /**
     * How long after a member falls silent (killed, cut off, stopped) the others mark it unreachable
     * at the latest, on a machine where heartbeats arrive on time: {@code detectionTime(Duration.ZERO)}.
     * With the defaults (1 s heartbeat, 3 s pause) 5.9 s; with a 200 ms heartbeat and a 1 s pause 2.05 s.
     *
     * @return the bound, rounded up to a millisecond
     */
    public Duration detectionTime() {
        return detectionTime(Duration.ZERO);
    }

    /**
     * How long after a member falls silent the others mark it unreachable at the latest, when its
     * heartbeat replies arrived with a standard deviation of {@code jitter}: the age of its last reply
     * (up to one heartbeat interval), then the mean interval (the heartbeat interval) plus the
     * acceptable pause plus {@code z} standard deviations ({@code jitter}, at least
     * {@value #MIN_STD_DEVIATION_MS} ms), where {@code z} (5.23) is where Pekko's phi reaches
     * {@value #PHI_THRESHOLD}, then up to one reaper tick (the pause / 8, at most 1 s) until the
     * member is reported. The event then reaches a driver's listeners through its actor system,
     * which a busy machine may delay further.
     *
     * @param jitter the standard deviation of the member's heartbeat reply intervals
     * @return the bound, rounded up to a millisecond
     */
    public Duration detectionTime(Duration jitter) {
        double sigma = Math.max(MIN_STD_DEVIATION_MS, jitter.toNanos() / 1e6);
        double ms = 2.0 * heartbeat.toNanos() / 1e6 + acceptablePause.toNanos() / 1e6 + PHI_Z * sigma
                + reaperTick().toNanos() / 1e6;
        return Duration.ofMillis((long) Math.ceil(ms));
    }

    /** Where Pekko's phi (its logistic approximation of the normal distribution) reaches {@link #PHI_THRESHOLD}. */
    private static final double PHI_Z = phiZ(PHI_THRESHOLD);

    static double phiZ(double threshold) {
        double lo = 0;
        double hi = 40;
        for (int i = 0; i < 100; i++) {
            double y = (lo + hi) / 2;
            double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
            if (-Math.log10(e / (1.0 + e)) < threshold) {
                lo = y;
            } else {
                hi = y;
            }
        }
        return lo;
    }

    private Duration reaperTick() {
        return min(Duration.ofSeconds(1), acceptablePause.dividedBy(8));
    }

    static String[] parseHostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + s + "'");
        }
        int p = Integer.parseInt(s.substring(colon + 1));
        if (p <= 0 || p > 65535) {
            throw new IllegalArgumentException("port out of range in '" + s + "'");
        }
        return new String[] {s.substring(0, colon), s.substring(colon + 1)};
    }

    private static String ms(Duration d) {
        return d.toMillis() + "ms";
    }

    private static String quote(String s) {
        return ConfigFactory.empty().withValue("x", com.typesafe.config.ConfigValueFactory.fromAnyRef(s))
                .root().get("x").render(com.typesafe.config.ConfigRenderOptions.concise());
    }

    /**
     * The Pekko configuration: these settings over the user's
     * {@code application.conf} and Pekko's defaults.
     *
     * @return the configuration to create the actor system with
     * @throws IOException if the keys directory is missing, incomplete, or its
     *     {@code password} file is readable by other users or owned by another user
     * @throws IllegalStateException when neither keys nor plain TCP were given
     */
    public Config toConfig() throws IOException {
        if (!plainTcp && keys == null) {
            throw new IllegalStateException("mutual TLS needs a keys directory (scripts/node-keys DIR; --keys DIR), "
                    + "or ask for plain TCP on a trusted network (--insecure-plain-tcp)");
        }
        StringBuilder c = new StringBuilder();
        actorConfig(c);
        remoteConfig(c);
        if (!plainTcp) {
            tlsConfig(c);
        }
        membershipConfig(c);
        failureDetectorConfig(c);
        downingConfig(c);
        return ConfigFactory.parseString(c.toString()).withFallback(ConfigFactory.load());
    }

    /** Logging, the cluster provider, and serialization: the agent protocol's own, no Java serialization. */
    private void actorConfig(StringBuilder c) {
        c.append("pekko.loglevel = ").append(logLevel).append('\n');
        c.append("pekko.stdout-loglevel = ").append(logLevel).append('\n');
        c.append("pekko.actor.provider = cluster\n");
        c.append("pekko.actor.allow-java-serialization = off\n");
        c.append("pekko.actor.warn-about-java-serializer-usage = on\n");
        c.append("pekko.actor.serializers.jvalkka-agent = \"").append(AgentSerializer.class.getName()).append("\"\n");
        c.append("pekko.actor.serialization-bindings { \"").append(AgentMessage.class.getName())
                .append("\" = jvalkka-agent }\n");
        c.append("pekko.actor.serialization-identifiers { \"").append(AgentSerializer.class.getName())
                .append("\" = ").append(AgentSerializer.ID).append(" }\n");
    }

    /** Artery: the transport, this member's address and its bind. */
    private void remoteConfig(StringBuilder c) {
        c.append("pekko.remote.artery.transport = ").append(plainTcp ? "tcp" : "tls-tcp").append('\n');
        c.append("pekko.remote.artery.canonical.hostname = ").append(quote(host)).append('\n');
        c.append("pekko.remote.artery.canonical.port = ").append(port).append('\n');
        c.append("pekko.remote.artery.bind.hostname = ").append(quote(host)).append('\n');
        // Pekko gives the bind 3 s, then fails the start: a fresh agent JVM on a loaded machine (TLS
        // context, key stores, the first C1 compiles) took longer, and the seed agent died at its start
        c.append("pekko.remote.artery.bind.bind-timeout = ").append(ms(BIND_TIMEOUT)).append('\n');
    }

    /** Mutual TLS 1.3 with the key and trust stores of {@link #keys} (which must exist). */
    private void tlsConfig(StringBuilder c) throws IOException {
        Path node = keys.resolve("node.p12");
        Path trust = keys.resolve("trust.p12");
        String password = jvalkka.internal.NodeKeys.password(keys);
        for (Path p : List.of(node, trust)) {
            if (!Files.isRegularFile(p)) {
                throw new IOException("missing " + p + " (make the keys with scripts/node-keys)");
            }
        }
        String e = "pekko.remote.artery.ssl.config-ssl-engine.";
        c.append(e).append("key-store = ").append(quote(node.toString())).append('\n');
        c.append(e).append("trust-store = ").append(quote(trust.toString())).append('\n');
        c.append(e).append("key-store-password = ").append(quote(password)).append('\n');
        c.append(e).append("key-password = ").append(quote(password)).append('\n');
        c.append(e).append("trust-store-password = ").append(quote(password)).append('\n');
        c.append(e).append("require-mutual-authentication = on\n");
        c.append(e).append("protocol = \"TLSv1.3\"\n");
    }

    /** The seeds, the roles, no cluster MBeans, cluster info logged only at INFO or DEBUG. */
    private void membershipConfig(StringBuilder c) {
        List<String> seedUris = new ArrayList<>();
        for (String s : seeds) {
            String[] hp = parseHostPort(s);
            seedUris.add(quote("pekko://" + system + "@" + hp[0] + ":" + hp[1]));
        }
        c.append("pekko.cluster.seed-nodes = ").append(seedUris).append('\n');
        c.append("pekko.cluster.roles = ").append(roles.stream().map(ClusterSettings::quote).toList()).append('\n');
        c.append("pekko.cluster.jmx.enabled = off\n");
        c.append("pekko.cluster.log-info = ").append(logLevel.equals("INFO") || logLevel.equals("DEBUG") ? "on" : "off").append('\n');
    }

    /** The failure detector and the cluster's periodic tasks, from {@link #heartbeat} and {@link #acceptablePause}. */
    private void failureDetectorConfig(StringBuilder c) {
        Duration tick = reaperTick();
        c.append("pekko.cluster.failure-detector.threshold = ").append(PHI_THRESHOLD).append('\n');
        c.append("pekko.cluster.failure-detector.min-std-deviation = ").append(MIN_STD_DEVIATION_MS).append(" ms\n");
        c.append("pekko.cluster.failure-detector.heartbeat-interval = ").append(ms(heartbeat)).append('\n');
        c.append("pekko.cluster.failure-detector.acceptable-heartbeat-pause = ").append(ms(acceptablePause)).append('\n');
        c.append("pekko.cluster.failure-detector.expected-response-after = ")
                .append(ms(min(Duration.ofSeconds(1), heartbeat.multipliedBy(2)))).append('\n');
        c.append("pekko.cluster.unreachable-nodes-reaper-interval = ").append(ms(tick)).append('\n');
        c.append("pekko.cluster.periodic-tasks-initial-delay = ").append(ms(tick)).append('\n');
        c.append("pekko.cluster.gossip-interval = ").append(ms(min(Duration.ofSeconds(1), acceptablePause.dividedBy(2)))).append('\n');
        c.append("pekko.cluster.leader-actions-interval = ").append(ms(min(Duration.ofSeconds(1), acceptablePause.dividedBy(2)))).append('\n');
        c.append("pekko.cluster.seed-node-timeout = ").append(ms(min(Duration.ofSeconds(5), acceptablePause.multipliedBy(2)))).append('\n');
        c.append("pekko.cluster.retry-unsuccessful-join-after = ").append(ms(min(Duration.ofSeconds(10), acceptablePause.multipliedBy(2)))).append('\n');
    }

    /** The split-brain resolver: keep the majority once the picture was stable for {@link #downAfter}. */
    private void downingConfig(StringBuilder c) {
        c.append("pekko.cluster.downing-provider-class = \"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"\n");
        c.append("pekko.cluster.split-brain-resolver.active-strategy = keep-majority\n");
        c.append("pekko.cluster.split-brain-resolver.stable-after = ").append(ms(downAfter)).append('\n');
        // Pekko's default (on) makes every member down every member, itself included, once reachability
        // has kept changing for stable-after + 3/4 of it while some member stayed unreachable: a loaded
        // machine (a slow member marked unreachable and reachable again, a lost one waiting to be
        // downed) took the whole cluster down. Off: the decision waits for a stable picture instead.
        c.append("pekko.cluster.split-brain-resolver.down-all-when-unstable = off\n");
        // The resolver also downs "indirectly connected" members (seen unreachable by some members and
        // reachable by others: no clean partition), whatever the strategy, once the picture has been
        // stable for stable-after. That rule has no setting (Pekko's SplitBrainResolverSettings reads
        // the strategy, stable-after and down-all-when-unstable only). What keeps it from downing a
        // member that is only slow (a loaded machine, a cluster forming) is the detector's acceptable
        // pause (a shorter silence raises no suspicion) and stable-after: a suspicion that heals
        // resets its clock, and a member one observer has not heard from for all of downAfter is
        // not only slow.
        c.append("pekko.cluster.run-coordinated-shutdown-when-down = on\n");
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
