package jvalkka.multiprocess;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Copies a starting backend's standard error to ours, keeping the text (up to
 * 64 KiB) for an error report. A backend that is ready takes over our standard
 * error directly (see {@code BackendMain}), which ends this copy.
 *
 * <p>The copies run on a few shared daemon threads: a copy takes an idle one,
 * and a thread is started only when every one is copying. A copy lasts while its
 * backend boots (it ends when the backend adopts our standard error), so
 * {@code startAll}'s hundred starts, a few at a time, run on a few threads
 * instead of starting one each (a thread start and end cost about as much CPU as
 * the rest of the copy). A thread idle for {@value #IDLE_SECONDS} seconds ends.
 */
final class StderrPump {
    private static final int KEEP = 64 * 1024;
    /** How long a copying thread waits for a next copy before it ends. */
    static final int IDLE_SECONDS = 10;
    private static final Object LOCK = new Object();
    /** The copies no thread has taken yet (under LOCK). */
    private static final ArrayDeque<StderrPump> WAITING = new ArrayDeque<>();
    /** Threads waiting for a copy (under LOCK). */
    private static int idle;
    /** Pump threads started since the class was loaded (under LOCK): for the tests. */
    private static int threadsStarted;

    private final StringBuilder captured = new StringBuilder();
    private final CountDownLatch copied = new CountDownLatch(1);
    private volatile Thread thread;
    private InputStream in;
    private String label;
    private volatile boolean started;

    /** Starts copying {@code in} on a pump thread, shown while it copies as {@code jvalkka-stderr-<label>}. */
    void start(InputStream in, String label) {
        this.in = in;
        this.label = label;
        started = true;
        synchronized (LOCK) {
            if (idle > WAITING.size()) { // an idle thread that no waiting copy has spoken for yet
                WAITING.add(this);
                LOCK.notify();
                return;
            }
            threadsStarted++;
        }
        Thread t = new Thread(null, () -> serve(this), "jvalkka-stderr-" + label, 64 * 1024);
        t.setDaemon(true);
        t.start();
    }

    /**
     * A pump thread: copies {@code job}, then the copies that wait, and ends after
     * {@link #IDLE_SECONDS} without one. It counts itself idle before it tells that a
     * copy ended, so that a start that follows the end of another (one after another,
     * as in a start window) finds it idle.
     */
    private static void serve(StderrPump job) {
        Thread me = Thread.currentThread();
        while (true) {
            me.setName("jvalkka-stderr-" + job.label);
            job.thread = me;
            try {
                job.pump();
            } catch (RuntimeException | Error e) {
                job.copied.countDown(); // this thread ends: it never counted itself idle
                throw e;
            }
            me.setName("jvalkka-stderr");
            synchronized (LOCK) {
                idle++;
            }
            job.copied.countDown();
            synchronized (LOCK) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
                while ((job = WAITING.poll()) == null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        idle--;
                        return;
                    }
                    try {
                        LOCK.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        // a daemon pump thread has no one to answer to: keep serving
                    }
                }
                idle--;
            }
        }
    }

    private void pump() {
        byte[] buf = new byte[4096];
        PrintStream err = System.err;
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (captured) {
                    if (captured.length() < KEEP) {
                        captured.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
                err.write(buf, 0, n);
                err.flush();
            }
        } catch (IOException ignored) {
            // the backend closed its end
        } finally {
            in = null;
        }
    }

    /** How many pump threads were started since this class was loaded. */
    static int threadsStarted() {
        synchronized (LOCK) {
            return threadsStarted;
        }
    }

    /** The thread that copies (copied) this pump's stream, or null before a thread took it. */
    Thread copier() {
        return thread;
    }

    /** What was copied so far, after waiting up to {@code millis} for the copy to end ("" if it never started). */
    String awaitCaptured(long millis) {
        try {
            if (started) { // a remote backend's start has no pump: nothing to wait for
                copied.await(millis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (captured) {
            return captured.toString();
        }
    }
}
