package jvalkka.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jvalkka.cluster.AgentInfo;
import jvalkka.cluster.ClusterDriver;
import jvalkka.cluster.ClusterSettings;
import jvalkka.cluster.NodeAgent;
import jvalkka.cluster.TestKeys;
import jvalkka.testing.NetHosts;
import jvalkka.testing.TcpPingPong;

/**
 * {@code scripts/bench cluster}: across two test hosts (network namespaces as
 * root, else 127.x addresses; the mode is printed on stderr), the plain TCP round
 * trip that remote messages are measured against, and how long the driver takes
 * to see a node agent killed with kill -9 (mutual TLS, 200 ms heartbeats, 1 s
 * acceptable pause; {@code -Dpause=..., -Dheartbeat=...} change them). Later
 * rounds add the remote MessageProcess figures.
 */
public final class ClusterBench {
    private ClusterBench() {
    }

    public static void main(String[] args) throws Exception {
        String heartbeat = System.getProperty("heartbeat", "200ms");
        String pause = System.getProperty("pause", "1000ms");
        String why = NetHosts.unavailableReason();
        if (why != null) {
            System.err.println("cluster bench: " + why);
            System.exit(2);
        }
        try (NetHosts hosts = NetHosts.create(2)) {
            System.err.println(hosts.describe());
            tcpFloor(hosts);
            killDetect(hosts, heartbeat, pause);
        }
    }

    private static void tcpFloor(NetHosts hosts) throws Exception {
        NetHosts.HostProcess server = hosts.startJava(2, TcpPingPong.class.getName(), List.of(),
                "server", hosts.address(2), "7100");
        if (server.awaitLine(l -> l.startsWith("listening"), Duration.ofSeconds(30)) == null) {
            throw new IllegalStateException("the ping-pong server did not start: " + server.output());
        }
        NetHosts.HostProcess client = hosts.startJava(1, TcpPingPong.class.getName(), List.of(),
                "client", hosts.address(2), "7100", "20000", "5000");
        if (client.awaitLine(l -> l.startsWith("tcp_floor_rtt_p99_us"), Duration.ofSeconds(120)) == null) {
            throw new IllegalStateException("the ping-pong client did not finish: " + client.output());
        }
        client.output().lines().filter(l -> l.startsWith("tcp_floor_")).forEach(System.out::println);
        server.process().waitFor(10, TimeUnit.SECONDS);
    }

    private static void killDetect(NetHosts hosts, String heartbeat, String pause) throws Exception {
        Path keys = TestKeys.of("cluster-a");
        String seed = hosts.address(1) + ":" + ClusterSettings.DEFAULT_PORT;
        NetHosts.HostProcess[] agents = new NetHosts.HostProcess[2];
        for (int i = 1; i <= 2; i++) {
            agents[i - 1] = hosts.startJava(i, NodeAgent.class.getName(),
                    List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m"),
                    "--bind", hosts.address(i) + ":" + ClusterSettings.DEFAULT_PORT, "--seed", seed,
                    "--keys", keys.toString(), "--host", "node" + i,
                    "--heartbeat", heartbeat, "--failure-pause", pause, "--down-after", "10s");
        }
        try (ClusterDriver driver = ClusterDriver.join(ClusterSettings.bind(hosts.driverAddress(), 0)
                .withSeeds(List.of(seed)).withKeys(keys)
                .withFailureDetector(NodeAgentArgs.duration(heartbeat), NodeAgentArgs.duration(pause))
                .withDownAfter(Duration.ofSeconds(10)))) {
            driver.awaitAgents(2, Duration.ofSeconds(90));
            // let the failure detector learn the heartbeat intervals of a settled cluster
            Thread.sleep(3000);
            AgentInfo victim = driver.agents().stream().filter(a -> a.host().equals("node2")).findFirst().orElseThrow();
            long t0 = System.nanoTime();
            agents[1].process().destroyForcibly();
            ClusterDriver.Event e = driver.awaitEvent(x -> x.kind() == ClusterDriver.Kind.UNREACHABLE
                    && x.address().equals(victim.address()), t0, Duration.ofSeconds(30));
            if (e == null) {
                throw new IllegalStateException("the killed agent was not detected within 30 s: " + driver.events());
            }
            System.out.println("agent_kill_detect_ms " + TimeUnit.NANOSECONDS.toMillis(e.nanoTime() - t0) + " ms");
        }
    }

    /** Durations in scripts/node's form (500ms, 2s). */
    private static final class NodeAgentArgs {
        static Duration duration(String s) {
            return s.endsWith("ms") ? Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)))
                    : Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
        }
    }
}
