package jvalkka.tutorial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.shm.internal.RunRecord;

/**
 * {@code scripts/cluster-demo} as a newcomer runs it (on the build the tests run on: JV_NO_BUILD):
 * three node agents on this machine, the manager's workers each answering from the node it was
 * placed on, the queue's results in input order, the summary, no WARNING or ERROR line, and
 * nothing left afterwards: no process it started (agent, driver, backend, keytool: each carries a
 * tag in its environment, which the test watches for while the script runs), no /dev/shm file
 * they were seen to map, no run record of theirs (a JVM's record outlives it only if it died
 * holding a backend or a segment), no keys in the temp directory.
 */
@Timeout(300)
class ClusterDemoTest {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Pattern ANSWER = Pattern.compile(
            "Manager - INFO - handleMessage__ : (worker-\\d) answered job \\d+ = \\d+ from node (n\\d) "
                    + "\\(host [^,]+, placed Placement\\.node\\((n\\d)\\)\\)");

    /** The pids of this user's processes whose environment holds {@code marker}. */
    static Set<Long> tagged(String marker) {
        Set<Long> found = new TreeSet<>();
        File[] procs = new File("/proc").listFiles((d, n) -> n.matches("[0-9]+"));
        if (procs == null) {
            return found;
        }
        byte[] want = marker.getBytes(StandardCharsets.UTF_8);
        for (File p : procs) {
            try {
                byte[] env = Files.readAllBytes(p.toPath().resolve("environ"));
                if (indexOf(env, want) >= 0) {
                    found.add(Long.parseLong(p.getName()));
                }
            } catch (IOException | SecurityException e) {
                // gone, or another user's
            }
        }
        return found;
    }

    /** Adds the /dev/shm files that the processes {@code pids} have mapped to {@code into}. */
    static void shmMappedBy(Set<Long> pids, Set<String> into) {
        for (long pid : pids) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"))) {
                    int at = line.indexOf("/dev/shm/");
                    if (at >= 0) {
                        into.add(line.substring(at).replace(" (deleted)", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone
            }
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void theClusterDemoRunsWorkersOnThreeNodesKeepsOrderAndLeavesNothing() throws Exception {
        String marker = "JVALKKA_CLUSTER_DEMO_TEST=" + UUID.randomUUID();
        Path tmp = Files.createTempDirectory("cluster-demo-test");
        Set<Long> seen = new ConcurrentSkipListSet<>();
        Set<String> segments = new TreeSet<>();
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("scripts/cluster-demo").toString(), "3", "9")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JV_NO_BUILD", "1");
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().put(marker.substring(0, marker.indexOf('=')), marker.substring(marker.indexOf('=') + 1));
        // the agents' backends without class-data sharing: its snapshot jars live in a per-user cache that
        // keeps the newest 24 files, and where several checkouts build at once (CI runners, a shared
        // machine) another JVM may prune a jar an agent planned with before its backend starts
        // ("Could not find or load main class jvalkka.multiprocess.BackendMain"; seen once here)
        pb.environment().put("JV_JAVA_OPTS", "-Djvalkka.cds=false");
        try {
            run(pb, tmp, marker, seen, segments);
        } finally {
            // also when the demo did not end in time (its own clean-up may not have run then)
            try (var s = Files.walk(tmp)) {
                for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static void run(ProcessBuilder pb, Path tmp, String marker, Set<Long> seen, Set<String> segments)
            throws Exception {
        Process p = pb.start();
        String out;
        try {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(270);
            while (!p.waitFor(250, TimeUnit.MILLISECONDS)) {
                Set<Long> now = tagged(marker);
                seen.addAll(now);
                shmMappedBy(now, segments);
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("scripts/cluster-demo did not end within 270 s");
                }
            }
            out = new String(read.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        } finally {
            if (p.isAlive()) {
                p.destroy(); // its trap stops what it started
                p.waitFor(30, TimeUnit.SECONDS);
            }
            for (long pid : tagged(marker)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        try {
            assertEquals(0, p.exitValue(), out);
            // each worker answered, from the node it was placed on
            TreeMap<String, String> nodeOfWorker = new TreeMap<>();
            Matcher m = ANSWER.matcher(out);
            int answers = 0;
            while (m.find()) {
                answers++;
                assertEquals(m.group(3), m.group(2), "a worker answered from another node than its own: " + m.group());
                nodeOfWorker.put(m.group(1), m.group(2));
            }
            assertEquals(6, answers, out);
            assertEquals("{worker-0=n1, worker-1=n2, worker-2=n3}", nodeOfWorker.toString(), out);
            // how many items each node took depends on the queue's batching; every one came from a node
            assertTrue(out.matches("(?s).*ClusterDemo - INFO - process queue: 9 items on nodes \\{(n[1-3]=[1-9], )*"
                    + "n[1-3]=[1-9]\\}, results in input order: true\n.*"), out);
            assertTrue(out.matches("(?s).*ClusterDemo - INFO - summary: 3 nodes, 3 workers, 6 jobs done, 9 items in"
                    + " order, [0-9.]+ s: ok\n.*"), out);
            for (String line : out.split("\n")) {
                // Pekko's failure detector warns of late heartbeats when the machine is busy, and the driver's
                // join of a seed that has not answered within the seed-node timeout (5 s: a TLS handshake with a
                // JVM that is still compiling it, on a machine at a load of 25 and more) is tried again with a
                // warning: both expected here; that the join succeeded, the summary line above says
                boolean late = line.contains("heartbeat interval is growing too large")
                        || line.contains("Scheduled sending of heartbeat was delayed")
                        || line.contains("Couldn't join seed nodes after") && line.contains("will try again");
                assertFalse(!late && (line.startsWith("WARNING") || line.contains(" - WARNING - ")
                        || line.contains(" - ERROR - ") || line.startsWith("scripts/cluster-demo: pid")),
                        "an unexpected line: " + line + "\n" + out);
            }
            // nothing left: no process, no run record of theirs, no keys
            assertTrue(seen.size() >= 1 + 3 + 1 + 3, "the agents, driver and backends were seen: " + seen);
            assertEquals(Set.of(), tagged(marker), "processes of the demo left running\n" + out);
            List<String> records = new ArrayList<>();
            for (long pid : seen) {
                if (Files.exists(RunRecord.defaultDirectory().resolve(pid + ".rec"))) {
                    records.add(pid + ".rec");
                }
            }
            assertEquals(List.of(), records, "run records (backends or segments) left");
            assertEquals(List.of(), segments.stream().filter(f -> Files.exists(Path.of(f))).toList(),
                    "/dev/shm segments the demo's processes mapped are left");
            try (var s = Files.list(tmp)) {
                assertEquals(List.of(), s.toList(), "the demo's temp directory (its keys) was left");
            }
        } finally {
            for (long pid : tagged(marker)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
