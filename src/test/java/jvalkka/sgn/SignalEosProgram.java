package jvalkka.sgn;

import jvalkka.sgn.sources.NullSource;

/**
 * Run by {@link SignalEOSTest} in its own JVM: an endless pipeline under {@link SignalEOS}.
 * Prints {@code running} once frames flow, {@code drained ...} when a signal has made the
 * pipeline stop, then {@code handlers restored; waiting for another signal}; a second signal
 * must then get the JVM's own handler back (exit 128 + signal number). Exits 3 if none comes.
 */
public final class SignalEosProgram {
    private SignalEosProgram() {
    }

    public static void main(String[] args) throws InterruptedException {
        NullSource src = new NullSource("src", "out").waitMillis(1); // endless, gently
        long[] frames = {0};
        boolean[] sawEos = {false};
        SinkElement snk = new SinkElement("snk", "out") {
            @Override
            public void pull(SinkPad pad, Frame frame) {
                if (++frames[0] == 1) {
                    System.out.println("running");
                    System.out.flush();
                }
                if (frame.isEOS()) {
                    sawEos[0] = true;
                    markEos(pad);
                }
            }
        };
        Pipeline p = new Pipeline().connect(src, snk);
        try (SignalEOS signals = new SignalEOS()) {
            p.run();
        }
        System.out.println("drained: frames=" + frames[0] + " eos=" + sawEos[0] + " signals="
                + SignalEOS.receivedSignals() + " signaledEos=" + SignalEOS.signaledEos());
        System.out.println("handlers restored; waiting for another signal");
        System.out.flush();
        Thread.sleep(60_000); // the JVM's handler should end us long before
        System.out.println("no second signal arrived");
        System.exit(3);
    }
}
