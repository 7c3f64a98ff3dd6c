package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.internal.RemoteLaunchers;
import jvalkka.multiprocess.LoopbackLauncher;

/** A driver that cannot finish joining undoes what it did: construct or clean up. One JVM, no agents. */
@Timeout(60)
class ClusterDriverJoinTest {

    @AfterAll
    static void noLeftovers() throws Exception {
        ClusterLeftovers.assertNone();
    }

    @Test
    void aDriverThatCannotBeThisJvmsLauncherStopsItsActorSystemAndFreesItsPort() throws Exception {
        try (LoopbackLauncher other = LoopbackLauncher.install()) { // another launcher of this JVM
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            String system = "jvtest-driver-" + UUID.randomUUID().toString().substring(0, 8);
            ClusterSettings s = ClusterSettings.bind("127.0.0.1", port).withPlainTcp().withSystemName(system);
            assertThrows(IllegalStateException.class, () -> ClusterDriver.join(s), "another launcher is installed");
            assertSame(other, RemoteLaunchers.installed(), "the other launcher stays");
            // the actor system it started is gone: its threads end and its port is free again
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (threadsOf(system) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20); // polling a real condition, bounded
            }
            assertTrue(threadsOf(system) == 0, "threads of the failed driver's actor system: " + threadsOf(system));
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)); // throws while taken
            }
        }
    }

    private static long threadsOf(String system) {
        List<Thread> all = List.copyOf(Thread.getAllStackTraces().keySet());
        return all.stream().filter(t -> t.isAlive() && t.getName().startsWith(system)).count();
    }
}
