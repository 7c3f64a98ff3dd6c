package jvalkka.pool;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The one-line progress view of a long run: items done, rate, time left,
 * redrawn in place on standard error. Shown only on a terminal and only for
 * runs that last over a second, so logs and short runs stay clean. Used by the
 * distributor thread only.
 */
final class ProgressView {
    private static final long SHOW_AFTER_NANOS = 1_000_000_000L;
    private static final long REDRAW_NANOS = 250_000_000L;

    private final String name;
    private final PrintStream out;
    private long runStart = -1;
    private long runStartDone;
    private long lastDraw;
    private boolean drawn;
    private int width;

    ProgressView(String name, PrintStream out) {
        this.name = name;
        this.out = out;
    }

    /** The view for {@code mode}: null follows the terminal test ({@code System.console() != null}). */
    static ProgressView forMode(String name, Boolean mode) {
        boolean on = mode != null ? mode : System.console() != null;
        return on ? new ProgressView(name, System.err) : null;
    }

    /**
     * Called every few hundred milliseconds.
     *
     * @param done items answered so far (over the queue's life)
     * @param put items put so far
     * @param total the count the run is heading for, or -1 when unknown
     */
    void tick(long now, long done, long put, long total) {
        if (done >= put && (total < 0 || done >= total)) {
            end(now, done, put, total);
            return;
        }
        if (runStart < 0) {
            runStart = now;
            runStartDone = done;
            return;
        }
        if (now - runStart < SHOW_AFTER_NANOS || now - lastDraw < REDRAW_NANOS) {
            return;
        }
        draw(now, done, put, total);
    }

    private void end(long now, long done, long put, long total) {
        if (drawn) {
            draw(now, done, put, total);
            out.print('\n');
            out.flush();
        }
        drawn = false;
        runStart = -1;
        width = 0;
    }

    private void draw(long now, long done, long put, long total) {
        double seconds = (now - runStart) / 1e9;
        double rate = seconds > 0 ? (done - runStartDone) / seconds : 0;
        String s = line(name, done, put, total, rate);
        int pad = Math.max(0, width - s.length());
        width = s.length();
        out.print("\r" + s + " ".repeat(pad));
        out.flush();
        drawn = true;
        lastDraw = now;
    }

    /** {@code pool: 1234/5000 done (24.7%), 812.3 items/s, 4.6 s left}. */
    static String line(String name, long done, long put, long total, double rate) {
        long target = total >= 0 ? total : put;
        StringBuilder b = new StringBuilder(name).append(": ").append(done).append('/').append(target);
        b.append(total >= 0 ? " done" : " done (of those put so far)");
        if (target > 0) {
            b.append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * done / target));
        }
        b.append(String.format(Locale.ROOT, ", %.1f items/s", rate));
        if (rate > 0 && target > done) {
            b.append(", ").append(seconds((target - done) / rate)).append(" left");
        }
        return b.toString();
    }

    private static String seconds(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        long m = (long) (s / 60);
        return String.format(Locale.ROOT, "%d min %02d s", m, (long) s - 60 * m);
    }
}
