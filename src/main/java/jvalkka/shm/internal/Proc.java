package jvalkka.shm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Facts about processes read from {@code /proc}, without native calls.
 *
 * <p>A pid alone does not name a process for long: the kernel reuses pids. The
 * start time (field 22 of {@code /proc/<pid>/stat}, in clock ticks since boot)
 * together with the pid does, so every "is it still the same process" decision
 * in this package compares both.
 */
final class Proc {
    private static final long SELF_PID = ProcessHandle.current().pid();
    private static volatile long selfStart = Long.MIN_VALUE;

    private Proc() {
    }

    static long pid() {
        return SELF_PID;
    }

    /** This JVM's start time in clock ticks since boot. */
    static long selfStartTicks() {
        long s = selfStart;
        if (s == Long.MIN_VALUE) {
            s = startTicks(SELF_PID);
            selfStart = s;
        }
        return s;
    }

    /** The start time of {@code pid} in clock ticks since boot, or -1 when no such process exists. */
    static long startTicks(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // the command name (field 2) is in parentheses and may itself contain spaces and parentheses
            int close = stat.lastIndexOf(')');
            String[] fields = stat.substring(close + 2).trim().split(" ");
            // fields[0] is field 3 (state), so field 22 is fields[19]
            if (fields[0].equals("Z") || fields[0].equals("X")) {
                return -1; // a zombie is dead for our purposes: it sets nothing, holds nothing
            }
            return Long.parseLong(fields[19]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether the process {@code pid} that started at {@code startTicks} is still running. */
    static boolean isSameProcessAlive(long pid, long startTicks) {
        long now = startTicks(pid);
        return now >= 0 && now == startTicks;
    }

    /**
     * A digest of the command line of {@code pid} (SHA-256 of {@code /proc/<pid>/cmdline},
     * in hex), or null when it cannot be read. A run record keeps it with the start time,
     * so that a sweep kills a pid only while it still runs the very program recorded.
     */
    static String commandDigest(long pid) {
        if (pid <= 0) {
            return null;
        }
        try {
            byte[] cmd = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (cmd.length == 0) {
                return null; // a zombie or a kernel thread: nothing to match
            }
            return digest(cmd);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What {@link #commandDigest(long)} reads for a process that runs {@code command}, made from
     * the words themselves (as {@code /proc/<pid>/cmdline} has them: each one's UTF-8, then a
     * NUL), without reading {@code /proc}; null for an empty command.
     */
    static String commandDigest(java.util.List<String> command) {
        if (command.isEmpty()) {
            return null;
        }
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(4096);
        for (String word : command) {
            b.writeBytes(word.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return digest(b.toByteArray());
    }

    private static String digest(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    /** The effective user id of this JVM (the owner of {@code /proc/self}). */
    static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            String user = System.getProperty("user.name", "unknown");
            return Math.abs(user.hashCode()); // only names a directory; ownership is still checked
        }
    }
}
