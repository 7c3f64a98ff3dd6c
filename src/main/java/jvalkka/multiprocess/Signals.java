package jvalkka.multiprocess;

/** Signal dispositions through the JDK's {@code sun.misc.Signal} (module jdk.unsupported). */
final class Signals {
    private Signals() {
    }

    /** Ignores the signal ("INT", "TERM") in this JVM, at the OS level. */
    @SuppressWarnings("restriction")
    static void ignore(String name) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sun.misc.SignalHandler.SIG_IGN);
    }
}
