package jvalkka.shm.internal;

/**
 * Removes what crashed jvalkka runs left behind (see {@link RunRecord#sweepStale()})
 * and prints what it removed. {@code scripts/cleanup} runs it. Touches only what
 * a dead JVM's run record lists. Exit status 0.
 */
public final class Cleanup {
    private Cleanup() {
    }

    /**
     * Removes what crashed jvalkka programs of this user left behind ({@code scripts/cleanup}).
     *
     * @param args none
     */
    public static void main(String[] args) {
        RunRecord.SweepResult r = RunRecord.sweepStale();
        for (String s : r.segments()) {
            System.out.println("removed shared memory " + RunRecord.SHM_DIRECTORY.resolve(s));
        }
        for (String c : r.children()) {
            System.out.println("killed orphaned child " + c);
        }
        for (var p : r.records()) {
            System.out.println("removed run record " + p);
        }
        if (r.isEmpty()) {
            System.out.println("nothing to clean up (records in " + RunRecord.defaultDirectory() + ")");
        }
    }
}
