package jvalkka.multiprocess;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;

import jvalkka.sync.internal.Peer;

/**
 * One backend's life as its frontend sees it: {@code NEW -> LAUNCHED -> RUNNING
 * -> EXITED} (or {@code LAUNCHED -> EXITED} when the start fails), the stop
 * request, and the death: noticed once, from whichever thread sees it first
 * (the process's exit, {@code waitStop}, the reply router), reported in one line,
 * and announced to the frontend's own clean-up and then to the {@link #onDeath}
 * actions (a {@code SyncIndex} waiting on the backend).
 */
final class Lifecycle implements Peer {
    /** Where a backend is in its life; it only moves forwards. */
    enum State { NEW, LAUNCHED, RUNNING, EXITED }

    private final String label;
    private final Logger logger;
    private final Consumer<String> whenExited;
    private final List<Runnable> deathActions = new CopyOnWriteArrayList<>();
    private volatile State state = State.NEW;
    private volatile Process process;
    private volatile boolean stopRequested;
    private volatile String deathReport;

    /**
     * @param whenExited the frontend's clean-up once the backend has exited, given
     *        the death report; it runs before the {@link #onDeath} actions
     */
    Lifecycle(String label, Logger logger, Consumer<String> whenExited) {
        this.label = label;
        this.logger = logger;
        this.whenExited = whenExited;
    }

    State state() {
        return state;
    }

    /** NEW -> LAUNCHED: the backend's JVM {@code p} runs. */
    synchronized void launched(Process p) {
        if (state != State.NEW) {
            throw new IllegalStateException("backend " + label + " was already started: a process starts once");
        }
        process = p; // published by the volatile state
        state = State.LAUNCHED;
    }

    /** LAUNCHED -> RUNNING: the backend is ready; from now its exit is noticed by itself. */
    void running() {
        synchronized (this) {
            if (state != State.LAUNCHED) {
                throw new IllegalStateException("backend " + label + " is " + state + ", not launched");
            }
            state = State.RUNNING;
        }
        process.onExit().thenRun(this::exited);
    }

    /** LAUNCHED -> EXITED without the death actions: the start failed (the caller ended the process). */
    synchronized void failedToStart() {
        deathReport = "backend " + label + " (pid " + pid() + ") failed to start";
        state = State.EXITED;
    }

    /** Marks the stop as asked for; true the first time, while the backend runs (then send the stop marker). */
    synchronized boolean requestStop() {
        if (state != State.RUNNING || stopRequested) {
            return false;
        }
        stopRequested = true;
        return true;
    }

    /** Whether the frontend asked the backend to stop: its end is expected. */
    boolean stopRequested() {
        return stopRequested;
    }

    /**
     * Waits up to {@code timeout} for the backend to exit, kills it after that
     * (with a warning), then counts it as exited.
     */
    void awaitExitOrKill(Duration timeout) {
        Process p = process;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                logger.warn("waitStop: the backend (pid {}) did not stop within {} ms: killing it", p.pid(),
                        timeout.toMillis());
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("waitStop interrupted", e);
        }
        exited();
    }

    /** The end of a pipe comes a moment before the exit status: waits for it up to {@code millis}. */
    void awaitExit(long millis) {
        try {
            if (process.waitFor(millis, TimeUnit.MILLISECONDS)) {
                exited();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs once when the backend JVM has exited, from whichever thread notices first. */
    void exited() {
        String report;
        synchronized (this) {
            if (state == State.EXITED || process.isAlive()) {
                return;
            }
            // the report first: a thread that sees EXITED may read it at once
            report = reportOf(process);
            deathReport = report;
            state = State.EXITED;
        }
        runQuietly(() -> whenExited.accept(report));
        for (Runnable r : deathActions) {
            runQuietly(r);
        }
        if (!stopRequested) {
            logger.warn("the backend exited without being asked to stop: {}", report);
        }
    }

    /** " on host" for a backend on another host, else nothing. */
    private static String where(Process p) {
        return p instanceof jvalkka.internal.RemoteBackend rb ? " on " + rb.host() : "";
    }

    /** Why a backend on another host was lost (naming the host), or null: it exited with a status, or runs. */
    static String lostReason(Process p) {
        return p instanceof jvalkka.internal.RemoteBackend rb ? rb.exitReason() : null;
    }

    /** The exit status for the "exited" event: -1 while it runs, or for a backend whose node was lost. */
    static int exitStatus(Process p) {
        return p.isAlive() || lostReason(p) != null ? -1 : p.exitValue();
    }

    /** How an exited backend ended: its status (and host, if another), or why its host was lost (naming it). */
    static String howEnded(Process p) {
        String lost = lostReason(p);
        return lost != null ? "was lost: " + lost : describeStatus(p.exitValue()) + where(p);
    }

    static String describeStatus(int status) {
        if (status > 128 && status < 160) {
            int sig = status - 128;
            String name = switch (sig) {
                case 9 -> "SIGKILL";
                case 15 -> "SIGTERM";
                case 2 -> "SIGINT";
                case 6 -> "SIGABRT";
                case 11 -> "SIGSEGV";
                default -> "signal " + sig;
            };
            return "was killed by " + name + " (exit status " + status + ")";
        }
        return "exited with status " + status;
    }

    /**
     * The death report. The JDK reaps the process (its {@code isAlive} turns false) a moment before
     * the exit callback that records the report runs, and a thread that sees the backend dead in
     * between (a {@code SyncIndex} waiter) gets the same report, made from the process.
     */
    String describeDeath() {
        String r = deathReport;
        if (r != null) {
            return r;
        }
        Process p = process;
        return p != null && !p.isAlive() ? reportOf(p) : "the backend " + label + " is gone";
    }

    /** The one-line report of exited backend {@code p}. */
    private String reportOf(Process p) {
        return "backend " + label + " (pid " + p.pid() + ") " + howEnded(p);
    }

    Process process() {
        return process;
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    /** The exit status once the process has ended (it knows before our exit callback has run), else -1. */
    int exitCode() {
        Process p = process;
        return p != null && !p.isAlive() ? p.exitValue() : -1;
    }

    boolean isAliveProcess() {
        Process p = process;
        return p != null && p.isAlive();
    }

    @Override
    public boolean isAlive() {
        return state != State.EXITED && isAliveProcess();
    }

    @Override
    public boolean learnsIndexesByMessage() {
        return true; // a backend gets an index in a message from sendMessageToBack or a proxy call
    }

    @Override
    public String deathReport() {
        return describeDeath();
    }

    @Override
    public void onDeath(Runnable action) {
        deathActions.add(action);
        if (state == State.EXITED && deathActions.remove(action)) {
            runQuietly(action);
        }
    }

    private static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // a death action must not stop the others
        }
    }
}
