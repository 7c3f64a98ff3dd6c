package jvalkka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.NotSerializableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.typesafe.config.Config;

import jvalkka.testing.JavaProgram;

/** The cluster's configuration: TLS unless asked otherwise, no Java serialization, no wildcard, safe keys. */
@Timeout(60)
class ClusterSettingsTest {

    @AfterAll
    static void noLeftovers() throws Exception {
        ClusterLeftovers.assertNone();
    }

    private static Path keys(Path dir, String mode) throws IOException {
        Files.writeString(dir.resolve("node.p12"), "x");
        Files.writeString(dir.resolve("trust.p12"), "x");
        Path pw = dir.resolve("password");
        Files.writeString(pw, "secret\n");
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString(mode));
        return dir;
    }

    @Test
    void withoutKeysOrAnExplicitPlainTcpThereIsNoConfiguration() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClusterSettings.bind("192.0.2.9", 25520).toConfig());
        assertTrue(e.getMessage().contains("scripts/node-keys"), e.getMessage());
    }

    @Test
    void theDefaultIsMutualTlsOnTheGivenAddressWithJavaSerializationOff(@TempDir Path dir) throws IOException {
        Config c = ClusterSettings.bind("192.0.2.9", 25520).withSeeds(List.of("192.0.2.8:25520"))
                .withKeys(keys(dir, "rw-------")).toConfig();
        assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
        assertTrue(c.getBoolean("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication"));
        assertEquals("secret", c.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store-password"));
        assertEquals("192.0.2.9", c.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals("192.0.2.9", c.getString("pekko.remote.artery.bind.hostname"));
        assertFalse(c.getBoolean("pekko.actor.allow-java-serialization"));
        assertEquals(List.of("pekko://jvalkka@192.0.2.8:25520"), c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals("jvalkka-agent", c.getString("pekko.actor.serialization-bindings.\"jvalkka.cluster.AgentMessage\""));
    }

    @Test
    void aPasswordFileOthersCanReadIsRefused(@TempDir Path dir) throws IOException {
        IOException e = assertThrows(IOException.class,
                () -> ClusterSettings.bind("192.0.2.9", 25520).withKeys(keys(dir, "rw-r--r--")).toConfig());
        assertTrue(e.getMessage().contains("readable by other users"), e.getMessage());
    }

    @Test
    void theDetectionTimeIsWherePekkosFailureDetectorGivesUpOnASilentMember() throws IOException {
        ClusterSettings s = ClusterSettings.bind("192.0.2.9", 25520).withPlainTcp()
                .withFailureDetector(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(1));
        Config c = s.toConfig();
        assertEquals(ClusterSettings.PHI_THRESHOLD, c.getDouble("pekko.cluster.failure-detector.threshold"));
        assertEquals(ClusterSettings.MIN_STD_DEVIATION_MS,
                c.getDuration("pekko.cluster.failure-detector.min-std-deviation").toMillis());
        // the last reply's age (200) + mean interval (200) + pause (1000) + 5.23 x 100 ms + reaper tick (125)
        assertEquals(2048, s.detectionTime().toMillis());
        assertEquals(s.detectionTime(), s.detectionTime(java.time.Duration.ofMillis(60)), "below the floor");
        for (int jitter : new int[] {0, 100, 150, 250}) {
            // Pekko's own detector, fed 200 heartbeats 200 ms apart, alternately jitter early and late
            long[] now = {0};
            org.apache.pekko.remote.FailureDetector.Clock clock = new org.apache.pekko.remote.FailureDetector.Clock() {
                @Override
                public long apply$mcJ$sp() {
                    return now[0];
                }

                @Override
                public Object apply() {
                    return now[0];
                }
            };
            var fd = new org.apache.pekko.remote.PhiAccrualFailureDetector(ClusterSettings.PHI_THRESHOLD, 1000,
                    scala.concurrent.duration.FiniteDuration.create(ClusterSettings.MIN_STD_DEVIATION_MS, "ms"),
                    scala.concurrent.duration.FiniteDuration.create(1000, "ms"),
                    scala.concurrent.duration.FiniteDuration.create(200, "ms"), clock);
            for (int i = 0; i < 200; i++) {
                now[0] += 200 + (i % 2 == 0 ? jitter : -jitter);
                fd.heartbeat();
            }
            long last = now[0];
            while (fd.isAvailable()) {
                now[0]++;
            }
            long silent = now[0] - last;
            // the bound adds the last reply's age (one heartbeat) and the reaper tick to the detector's own time
            long bound = s.detectionTime(java.time.Duration.ofMillis(jitter)).toMillis() - 200 - 125;
            assertTrue(silent <= bound && silent >= bound - 40, "jitter " + jitter + " ms: the detector gave up after "
                    + silent + " ms of silence; the bound says " + bound);
        }
    }

    @Test
    void aDriversActorSystemNeverKeepsTheUsersJvmAliveButAnAgentsDoes() throws IOException {
        // a driver's close() waits 10 s for its actor system; under load the leave ran longer and the
        // driver's JVM (RemoteLaunchClusterTest's, in CI) stayed up after its main method had returned
        ClusterSettings s = ClusterSettings.bind("192.0.2.9", 25520).withPlainTcp();
        assertTrue(ClusterDriver.driverConfig(s).getBoolean("pekko.daemonic"));
        assertEquals(List.of(ClusterDriver.ROLE), ClusterDriver.driverConfig(s).getStringList("pekko.cluster.roles"));
        assertFalse(s.toConfig().getBoolean("pekko.daemonic"), "the agent's main thread is its actor system's");
    }

    @Test
    void aLoadedMachineNeitherFailsAMembersBindNorMakesTheResolverDownEveryMember() throws IOException {
        Config c = ClusterSettings.bind("192.0.2.9", 25520).withPlainTcp().toConfig();
        // FalseSuspicionClusterTest's first run: the seed agent died at its start, its TLS bind over Pekko's 3 s
        assertTrue(c.getDuration("pekko.remote.artery.bind.bind-timeout").toSeconds() >= 20,
                c.getValue("pekko.remote.artery.bind.bind-timeout").render());
        // a slow member flapping while another is lost made every member's resolver down every member
        // (driver included) after stable-after + 3/4 of it: that must never be the answer to load
        assertEquals("off", c.getString("pekko.cluster.split-brain-resolver.down-all-when-unstable"));
        assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    }

    @Test
    void aLostNodesReasonStatesTheDetectorsRealBoundNotOnlyItsPause() {
        ClusterSettings s = ClusterSettings.bind("192.0.2.9", 25520).withPlainTcp()
                .withFailureDetector(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(1));
        String why = ClusterDriver.lostReason(s);
        assertTrue(why.startsWith("unreachable"), why);
        assertTrue(why.contains("within 2048 ms"), why); // was "no heartbeat within the failure detector's 1000 ms"
        assertFalse(why.contains("within 1000 ms"), why);
    }

    @Test
    void plainTcpOnlyWhenAskedFor() throws IOException {
        assertEquals("tcp", ClusterSettings.bind("192.0.2.9", 25520).withPlainTcp().toConfig()
                .getString("pekko.remote.artery.transport"));
    }

    @Test
    void agentInfoCrossesAsItsOwnBinaryFormAndBadInputIsRefused() throws Exception {
        AgentSerializer s = new AgentSerializer(null);
        AgentInfo info = new AgentInfo("node1", "pekko://jvalkka@192.0.2.2:25520", 4, Map.of("zone", "a"), 42);
        byte[] bytes = s.toBinary(info);
        assertEquals(info, s.fromBinary(bytes, s.manifest(info)));
        assertThrows(NotSerializableException.class, () -> s.fromBinary(bytes, "X"));
        assertThrows(NotSerializableException.class, () -> s.fromBinary(new byte[] {1, 2}, "I"));
        assertThrows(IllegalArgumentException.class, () -> s.toBinary("not an agent message"));
    }

    @Test
    void theStartProtocolsRepliesCrossAsTheirOwnBinaryFormAndBadInputIsRefused() throws Exception {
        AgentSerializer s = new AgentSerializer(null);
        String lines = "Exception in thread \"main\" java.lang.NoClassDefFoundError: app/Worker\n\tat x.y(Z.java:1)";
        for (AgentMessage m : List.of(new AgentMessage.Started(7, 12345), new AgentMessage.StartFailed(8, "no java"),
                new AgentMessage.StopBackend(12345, true), new AgentMessage.BackendExited(7, 12345, 137, lines),
                new AgentMessage.BackendExited(9, 1, 0, "x".repeat(70_000)))) {
            assertEquals(m, s.fromBinary(s.toBinary(m), s.manifest(m)));
        }
        // a text longer than 1 MiB is refused, not allocated
        byte[] huge = java.nio.ByteBuffer.allocate(16).putLong(8).putInt(Integer.MAX_VALUE).putInt(0).array();
        assertThrows(NotSerializableException.class, () -> s.fromBinary(huge, s.manifest(
                new AgentMessage.StartFailed(0, ""))));
        byte[] stop = s.toBinary(new AgentMessage.StopBackend(1, false));
        assertThrows(NotSerializableException.class, () -> s.fromBinary(java.util.Arrays.copyOf(stop, 4),
                s.manifest(new AgentMessage.StopBackend(1, false))));
    }

    @Test
    void theAgentRefusesAWildcardAddressUnlessAskedFor() throws Exception {
        JavaProgram.Result r = JavaProgram.run(NodeAgent.class, 60, "--bind", "0.0.0.0", "--insecure-plain-tcp");
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().contains("wildcard"), r.output());
        JavaProgram.Result noKeys = JavaProgram.run(NodeAgent.class, 60, "--bind", "192.0.2.9");
        assertEquals(2, noKeys.exitCode(), noKeys.output());
        assertTrue(noKeys.output().contains("scripts/node-keys"), noKeys.output());
    }
}
