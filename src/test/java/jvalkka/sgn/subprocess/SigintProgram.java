package jvalkka.sgn.subprocess;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;

/**
 * Run by {@link SigintTest} in its own JVM: an endless number source, a squaring transform in
 * a worker (argument {@code process}, the default, or {@code thread}), and a counting sink in
 * the main process, under {@link Parallelize} (which turns SIGINT into end of stream). Prints,
 * in order:
 * <ul>
 * <li>{@code shm <name>} and {@code worker pid <pid>} (-1 in thread mode);</li>
 * <li>{@code flowing} once 1000 squares have arrived, then {@code progress #<k> frames=<n>}
 * every 100 ms while frames flow (so a test can wait for flow to go on after a signal);</li>
 * <li>after the pipeline has drained, while the workers are still up:
 * {@code drained: worker alive=<bool> eos=<bool>};</li>
 * <li>after close: {@code source emitted=<n> sink received=<n> in order=<bool> signals=[...]}.</li>
 * </ul>
 * Exits 0 when it ends through the pipeline's EOS (an exit by the signal would be 130).
 */
final class SigintProgram {
    private SigintProgram() {
    }

    /** Counts the squares, checks them against their position, and prints the heartbeat. */
    static final class CountingSink extends SinkElement {
        long received;
        boolean inOrder = true;
        boolean sawEos;
        private int heartbeats;
        private long nextBeat;

        CountingSink() {
            super("count", "in");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (!frame.isGap() && frame.data() != null) {
                received++;
                int k = (int) received;
                inOrder &= (Integer) frame.data() == k * k; // int arithmetic wraps as the worker's does
                if (received == 1000) {
                    System.out.println("flowing");
                    nextBeat = System.nanoTime();
                }
                if (received >= 1000 && System.nanoTime() - nextBeat >= 0) {
                    System.out.println("progress #" + ++heartbeats + " frames=" + received);
                    nextBeat = System.nanoTime() + 100_000_000L;
                }
            }
            if (frame.isEOS()) {
                sawEos = true;
                markEos(pad);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        boolean threads = args.length > 0 && args[0].equals("thread");
        // a toShm segment too: it must go on close even when the run ended through a signal
        String shmName = "jvsgn-sigint-" + ProcessHandle.current().pid();
        Parallelize.toShm(shmName, new byte[64]);
        System.out.println("shm " + shmName);
        TestElements.Numbers source = new TestElements.Numbers(-1); // endless until SIGINT/SIGTERM
        TestElements.Squarer squarer = threads ? new TestElements.ThreadSquarer() : new TestElements.ProcessSquarer();
        CountingSink sink = new CountingSink();
        Pipeline pipeline = new Pipeline();
        pipeline.insert(source, squarer, sink);
        pipeline.connect(source, squarer);
        pipeline.connect(squarer, sink);
        try (Parallelize par = new Parallelize(pipeline)) {
            long pid = squarer.workerPid();
            System.out.println("worker pid " + pid);
            par.run();
            // the pipeline has drained and the workers are not stopped yet: a worker JVM that
            // took the SIGINT as a reason to exit would be gone by now
            boolean alive = pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            System.out.println("drained: worker alive=" + alive + " eos=" + sink.sawEos);
        }
        System.out.println("source emitted=" + source.n + " sink received=" + sink.received + " in order="
                + sink.inOrder + " signals=" + SignalEOS.receivedSignals());
    }
}
