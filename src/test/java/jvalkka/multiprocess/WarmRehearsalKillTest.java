package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A warm JVM killed during its rehearsal leaves none of its socket names in the
 * private socket directory: the pool that started it removes them once it has
 * exited (before, they stayed until the next JVM's sweep).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmRehearsalKillTest {
    static final class Idle extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Idle() {
            super("rehearsal-kill");
        }
    }

    private static List<String> namesOf(long pid) throws Exception {
        try (Stream<Path> s = Files.list(RunDir.sockets())) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(pid + "-") || n.startsWith("." + pid + "-")).sorted().toList();
        }
    }

    private static long rehearsingWarmJvm() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (ProcessHandle h : ProcessHandle.current().children().toList()) {
                String cmd = jvalkka.testing.CommandLines.of(h);
                if (h.isAlive() && cmd.contains("-Djvalkka.warm=true") && !namesOf(h.pid()).isEmpty()) {
                    return h.pid();
                }
            }
            Thread.sleep(5); // polling a real condition, bounded
        }
        throw new AssertionError("no warm JVM with a rehearsal socket within 60 s");
    }

    @Test
    void aWarmJvmKilledDuringItsRehearsalLeavesNoSocketName() throws Exception {
        // a rehearsal of a hundred million rounds: still rehearsing when it is killed
        BackendOptions pool = BackendOptions.defaults().withWarmPool(1)
                .withExtraJvmArgs("-Djvalkka.warm.rounds=100000000");
        try {
            Idle first = new Idle();
            first.setOptions(pool);
            first.start(); // cold: it tells the pool what to keep warm
            first.stop();
            long pid = rehearsingWarmJvm();
            ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
            h.destroyForcibly();
            h.onExit().get(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!namesOf(pid).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5); // polling a real condition, bounded
            }
            assertEquals(List.of(), namesOf(pid), "socket names of the killed warm JVM " + pid);
        } finally {
            WarmPool.stop(pool);
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }
}
