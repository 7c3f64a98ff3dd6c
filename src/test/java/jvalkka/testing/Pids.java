package jvalkka.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Whether a process that is not this JVM's child still runs.
 *
 * <p>{@link ProcessHandle#isAlive()} is true for a zombie: a process that has exited but
 * whose parent has not collected its status yet. A backend whose parent was killed is
 * adopted by the machine's init process, which collects it when it gets round to it; on
 * the machines this project runs on, that init (not a shell or systemd) takes 1 to 2 s, so
 * a backend that ended within milliseconds of its parent's death still "is alive" to
 * {@code ProcessHandle} for that long. A test of how soon a process ends must ask whether
 * it still runs: its {@code /proc/PID/stat} state is neither {@code Z} (zombie) nor
 * {@code X} (dead).
 */
public final class Pids {
    private Pids() {
    }

    /** Whether {@code pid} names a process that has not exited (a zombie has). */
    public static boolean running(long pid) {
        String stat;
        try {
            stat = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/stat")), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return !Files.notExists(Path.of("/proc/" + pid)); // unreadable: say it runs unless it is gone
        }
        // "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so the state follows the last ')'
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            return true;
        }
        char state = stat.charAt(close + 2);
        return state != 'Z' && state != 'X';
    }

    /**
     * Waits until {@code pid} no longer runs; returns false if it still runs after {@code within}.
     * There is nothing to wait on for a process that is not our child, so this polls /proc.
     */
    public static boolean awaitExit(long pid, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (running(pid)) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }
}
