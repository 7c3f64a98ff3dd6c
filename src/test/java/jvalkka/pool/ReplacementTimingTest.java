package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import jnr.ffi.LibraryLoader;
import jvalkka.multiprocess.WarmPool;

/**
 * When a crashed worker's replacement is asked for: at the first sign of its end (its channel's end of stream),
 * not after its exit status, which the kernel gives only once the process is fully gone.
 */
@Timeout(60)
class ReplacementTimingTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @TempDir
    Path dir;

    @AfterEach
    void noChildren() throws InterruptedException {
        Testing.assertNoChildren();
    }

    /** The C library's {@code shutdown(2)}. */
    public interface LibC {
        /**
         * Shuts a socket down.
         *
         * @param fd the socket
         * @param how 2: both directions
         * @return 0, or -1
         */
        int shutdown(int fd, int how);
    }

    /**
     * Worker: for a negative item, notes the time, shuts every socket of this JVM down (its frontend sees the
     * end of both channels, as when it dies) and lives on for {@code -x} ms before it halts; else its pid.
     */
    static Long closeAndLinger(Integer x, String note) {
        if (x >= 0) {
            return ProcessHandle.current().pid();
        }
        try {
            LibC libc = LibraryLoader.create(LibC.class).load("c");
            long t = System.nanoTime(); // CLOCK_MONOTONIC: comparable across the JVMs of one host
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
                            libc.shutdown(Integer.parseInt(fd.getFileName().toString()), 2);
                        }
                    } catch (java.io.IOException | RuntimeException gone) {
                        // the listing's own descriptor, closed by now
                    }
                }
            }
            // whole or not at all: the test reads the note as soon as it exists
            Path part = Files.writeString(Path.of(note + ".part"), Long.toString(t));
            Files.move(part, Path.of(note), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Thread.sleep(-x);
        } catch (Exception e) {
            // halts below all the same
        }
        Runtime.getRuntime().halt(3);
        return -1L;
    }

    @Test
    void aWorkersReplacementIsAskedForAtItsChannelsEndNotAtItsExitStatus() throws Exception {
        String note = dir.resolve("closed").toString();
        ObjectName jmx = new ObjectName("jvalkka:type=ProcessQueue,name=eofpool");
        try (ProcessQueue<Integer, Long> q = ProcessQueue.<Integer, Long>of(x -> closeAndLinger(x, note))
                .name("eofpool").workers(1).start()) {
            q.put(0);
            long pid = q.get().getOrThrow();
            Testing.await(() -> WarmPool.idle() == ProcessQueue.DEFAULT_WARM_POOL, "the spare is ready");
            q.put(-8000); // its channels end now; its exit comes 8 s later
            Testing.await(() -> Files.exists(Path.of(note)), "the worker shut its channels");
            // the replacement's start takes the spare: the moment it was asked for (its start's own time, which
            // on a loaded machine can pass a second, does not count)
            Testing.await(() -> WarmPool.idle() == 0, "the replacement took the spare");
            long taken = System.nanoTime();
            long closed = Long.parseLong(Files.readString(Path.of(note)).trim());
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "the old worker still lives");
            long ms = TimeUnit.NANOSECONDS.toMillis(taken - closed);
            // the frontend's "exited" event waits up to 1 s for the exit status of a process whose channel ended
            assertTrue(ms < 800, "the replacement was asked for " + ms + " ms after the worker's channels ended");
            Testing.await(() -> workersAlive(jmx) >= 2, "the replacement joined while the old worker lives");
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "the old worker still lives");
            q.put(1);
            long next = q.get().getOrThrow();
            assertTrue(next != pid, "the replacement answers");
        }
    }

    private static int workersAlive(ObjectName n) {
        try {
            return ((Number) SERVER.getAttribute(n, "WorkersAlive")).intValue();
        } catch (javax.management.JMException e) {
            throw new IllegalStateException(e);
        }
    }
}
