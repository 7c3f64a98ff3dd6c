package jvalkka.multiprocess;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Copies a starting backend's standard error to ours, keeping the text (up to
 * 64 KiB) for an error report. A backend that is ready takes over our standard
 * error directly (see {@code BackendMain}), which ends this copy.
 */
final class StderrPump {
    private static final int KEEP = 64 * 1024;
    private final StringBuilder captured = new StringBuilder();
    private Thread thread;

    /** Starts copying {@code in} on a daemon thread named for {@code label}. */
    void start(InputStream in, String label) {
        thread = new Thread(null, () -> pump(in), "jvalkka-stderr-" + label, 64 * 1024);
        thread.setDaemon(true);
        thread.start();
    }

    private void pump(InputStream in) {
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
        }
    }

    /** What was copied so far, after waiting up to {@code millis} for the copy to end. */
    String awaitCaptured(long millis) {
        try {
            if (thread != null) {
                thread.join(millis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (captured) {
            return captured.toString();
        }
    }
}
