package jvalkka.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test hosts: reachable from each other and the driver, private files, partitions, and nothing left. */
@Timeout(60)
class NetHostsTest {
    private static NetHosts hosts;

    @BeforeAll
    static void makeHosts() throws IOException {
        String why = NetHosts.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
        hosts = NetHosts.create(3);
        System.out.println(hosts.describe());
    }

    @AfterAll
    static void removeHosts() throws Exception {
        if (hosts != null) {
            hosts.close();
        }
        assertEquals(List.of(), NetHosts.leftoversOfThisJvm(), "namespaces or links left");
    }

    private static NetHosts.HostProcess server(int host, int port) throws Exception {
        NetHosts.HostProcess s = hosts.startJava(host, TcpPingPong.class.getName(), List.of(),
                "server", hosts.address(host), Integer.toString(port));
        assertNotNull(s.awaitLine(l -> l.startsWith("listening"), Duration.ofSeconds(20)), s.output());
        return s;
    }

    @Test
    void aHostReachesAnotherOverTcp() throws Exception {
        NetHosts.HostProcess s = server(2, 7001);
        NetHosts.HostProcess c = hosts.startJava(1, TcpPingPong.class.getName(), List.of(),
                "client", hosts.address(2), "7001", "200", "50");
        assertNotNull(c.awaitLine(l -> l.startsWith("tcp_floor_rtt_p50_us"), Duration.ofSeconds(20)), c.output());
        assertTrue(s.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the server ends with its client");
    }

    @Test
    void theDriverReachesAHost() throws Exception {
        NetHosts.HostProcess s = server(3, 7002);
        try (Socket k = new Socket()) {
            k.connect(new InetSocketAddress(hosts.address(3), 7002), 2000);
        }
        assertTrue(s.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void aHostHasItsOwnDevShmAndTmp() throws Exception {
        Assumptions.assumeTrue(hosts.mode() == NetHosts.Mode.NETNS, "private mounts need network namespaces; ran " + hosts.mode());
        String name = "jvn-probe-" + ProcessHandle.current().pid();
        NetHosts.HostProcess p = hosts.start(1, List.of("sh", "-c",
                "touch /dev/shm/" + name + " /tmp/" + name + " && ls /dev/shm /tmp && echo done"));
        assertNotNull(p.awaitLine(l -> l.equals("done"), Duration.ofSeconds(10)), p.output());
        assertTrue(p.output().contains(name), p.output());
        assertFalse(Files.exists(Path.of("/dev/shm", name)), "the host's /dev/shm is this machine's");
        assertFalse(Files.exists(Path.of("/tmp", name)), "the host's /tmp is this machine's");
    }

    @Test
    void aLinkDownCutsAHostOffUntilItIsUpAgain() throws Exception {
        Assumptions.assumeTrue(hosts.canPartition(), "partitions need network namespaces; ran " + hosts.mode());
        NetHosts.HostProcess s = server(2, 7003);
        hosts.linkDown(2);
        try {
            assertThrows(IOException.class, () -> {
                try (Socket k = new Socket()) {
                    k.connect(new InetSocketAddress(hosts.address(2), 7003), 500);
                }
            });
        } finally {
            hosts.linkUp(2);
        }
        try (Socket k = new Socket()) {
            k.connect(new InetSocketAddress(hosts.address(2), 7003), 5000);
        }
        assertTrue(s.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void aKilledTestJvmLeavesNoNamespaceLinkOrProcess() throws Exception {
        Assumptions.assumeTrue(hosts.mode() == NetHosts.Mode.NETNS, "namespaces only; ran " + hosts.mode());
        JavaProgram owner = JavaProgram.start(NetHosts.class);
        String ready;
        try {
            owner.awaitOutput("ready", 60);
            ready = owner.output().lines().filter(l -> l.startsWith("ready")).findFirst().orElseThrow();
            assertEquals(3, NetHosts.leftoversOf(owner.pid()).size(), "the run's bridge and host namespaces and driver link exist");
        } finally {
            owner.process().destroyForcibly(); // kill -9: no finally, no shutdown hook runs in it
            owner.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        long sleeper = Long.parseLong(ready.split(" ")[1]);
        long deadline = System.nanoTime() + 20_000_000_000L;
        List<String> left = NetHosts.leftoversOf(owner.pid());
        while ((!left.isEmpty() || ProcessHandle.of(sleeper).map(ProcessHandle::isAlive).orElse(false))
                && System.nanoTime() < deadline) {
            Thread.sleep(100); // polling /run/netns and /proc: there is nothing to wait on
            left = NetHosts.leftoversOf(owner.pid());
        }
        assertEquals(List.of(), left, "namespaces or links of the killed JVM's run");
        NetHosts.sweep(); // its run directory, which only a sweep can remove
        try (var dirs = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")), "jvn-" + owner.pid() + "-*")) {
            assertFalse(dirs.iterator().hasNext(), "the killed JVM's run directory was not swept");
        }
        assertFalse(ProcessHandle.of(sleeper).map(ProcessHandle::isAlive).orElse(false), "its host's process lives on");
    }
}
