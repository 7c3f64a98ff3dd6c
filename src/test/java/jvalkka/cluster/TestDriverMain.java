package jvalkka.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import jvalkka.internal.RemoteBackend;
import jvalkka.internal.RemoteLauncher;
import jvalkka.multiprocess.BackendOptions;

/**
 * A driver in a JVM of its own, for the tests that kill one: joins with
 * {@code BIND SEED KEYS HEARTBEAT PAUSE DOWN_AFTER N}, starts a backend that
 * waits on its standard input on each of N agents, prints
 * {@code backends HOST=PID ...}, and then waits until it is killed (at most 5
 * minutes), or with a last argument {@code close} closes the driver at once.
 */
public final class TestDriverMain {
    private TestDriverMain() {
    }

    public static void main(String[] args) throws Exception {
        String[] bind = ClusterSettings.parseHostPort(args[0]);
        ClusterSettings s = ClusterSettings.bind(bind[0], Integer.parseInt(bind[1])).withSeeds(List.of(args[1]))
                .withKeys(Path.of(args[2]))
                .withFailureDetector(NodeAgent.parseDuration(args[3]), NodeAgent.parseDuration(args[4]))
                .withDownAfter(NodeAgent.parseDuration(args[5]));
        int n = Integer.parseInt(args[6]);
        ClusterDriver d = ClusterDriver.join(s);
        List<AgentInfo> agents = d.awaitAgents(n, Duration.ofSeconds(60));
        StringBuilder out = new StringBuilder("backends");
        for (AgentInfo a : agents) {
            RemoteBackend b = d.launch(new RemoteLauncher.Request(a.host(), java.util.Map.of(), "orphan-" + a.host(),
                    BackendOptions.SMALL_JVM, ""));
            out.append(' ').append(a.host()).append('=').append(b.pid());
        }
        System.out.println(out);
        System.out.flush();
        if (args.length > 7 && args[7].equals("close")) {
            long t0 = System.nanoTime();
            d.close();
            // "closed" first on its line (the test waits for it); how long the leave took, for the record:
            // Pekko's coordinated shutdown ran past close()'s 10 s under load (cluster-exiting)
            System.out.println("closed");
            System.out.println("close took " + (System.nanoTime() - t0) / 1_000_000 + " ms; events " + d.events());
            return;
        }
        Thread.sleep(300_000); // until the test kills it (bounded, should the test die first)
        d.close();
    }
}
