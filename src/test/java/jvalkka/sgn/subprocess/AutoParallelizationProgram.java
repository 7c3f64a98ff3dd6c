package jvalkka.sgn.subprocess;

import jvalkka.sgn.Pipeline;

/**
 * Runs a pipeline with a thread-mode {@code Parallelize*Element} by {@link Pipeline#run()} alone,
 * in a fresh JVM whose code never names {@link Parallelize}, and prints what it saw.
 */
public final class AutoParallelizationProgram {
    private AutoParallelizationProgram() {
    }

    public static void main(String[] args) {
        TestElements.Numbers src = new TestElements.Numbers(100);
        TestElements.Squarer sq = new TestElements.ThreadSquarer();
        TestElements.Collect snk = new TestElements.Collect();
        Pipeline p = new Pipeline();
        p.insert(src, sq, snk);
        p.connect(src, sq);
        p.connect(sq, snk);
        p.run();
        System.out.println("frames=" + snk.got.size() + " last=" + snk.got.get(snk.got.size() - 1)
                + " workerEnded=" + sq.terminated.isSet());
    }
}
