package jvalkka.internal;

/**
 * TEMPORARY: timestamps of a start's stages (-Djvalkka.trace.start=true), for tracing the warm start.
 * Not for users; removed before merging.
 */
public final class StartTrace {
    public static final boolean ON = Boolean.getBoolean("jvalkka.trace.start");
    private static final long[] T = new long[256];
    private static final String[] W = new String[256];
    private static int n;

    private StartTrace() {
    }

    public static void mark(String what) {
        if (ON) {
            long t = System.nanoTime();
            synchronized (StartTrace.class) {
                if (n < T.length) {
                    T[n] = t;
                    W[n++] = what + " [" + Thread.currentThread().getName() + "]";
                }
            }
        }
    }

    public static void dump(String who) {
        if (!ON) {
            return;
        }
        StringBuilder b = new StringBuilder();
        synchronized (StartTrace.class) {
            for (int i = 0; i < n; i++) {
                b.append("TRACE ").append(who).append(' ').append(T[i]).append(' ').append(W[i]).append('\n');
            }
            n = 0;
        }
        System.err.print(b);
        System.err.flush();
    }
}
