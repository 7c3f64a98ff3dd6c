package jvalkka.sgn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGINT and SIGTERM into end of stream while a pipeline runs, so that Ctrl+C or a
 * {@code kill} drains the pipeline and lets it stop cleanly instead of killing the JVM mid-frame.
 * As in SGN, use it around {@link Pipeline#run()}:
 * <pre>{@code
 * try (SignalEOS signals = new SignalEOS()) {
 *     pipeline.run();
 * }}</pre>
 * Creating an instance installs handlers for SIGINT and SIGTERM that only record the signal;
 * sources poll {@link #signaledEos()} and send EOS once it is true (the built-in
 * {@code NullSource}, {@code IterSource} and {@code DequeSource} do; a custom source adds
 * {@code || SignalEOS.signaledEos()} to its EOS condition). {@link #close()} puts back the
 * handlers that were there before (normally the JVM's, which exit) and forgets the signals.
 *
 * <p>Instances may nest: only the outermost close clears the received signals. Thread-safety:
 * {@link #signaledEos()} may be called from any thread; create and close instances on one thread,
 * innermost first. Relies on {@code sun.misc.Signal} (module {@code jdk.unsupported}), the JDK's
 * only signal API; a JVM started with {@code -Xrs} does not deliver these signals to it.
 */
public class SignalEOS implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SignalEOS.class);

    /** The signals handled: SIGINT and SIGTERM. */
    public static final List<String> HANDLED_SIGNALS = List.of("INT", "TERM");

    private static final Set<String> RECEIVED = Collections.synchronizedSet(new LinkedHashSet<>());
    private static volatile boolean signaled;
    private static int depth; // guarded by SignalEOS.class

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private boolean closed;

    /** Installs the handlers; close to restore the previous ones. */
    public SignalEOS() {
        synchronized (SignalEOS.class) {
            if (depth == 0) {
                RECEIVED.clear(); // a new session: forget the signals of the last one
                signaled = false;
            }
            SignalHandler handler = SignalEOS::received;
            for (String name : HANDLED_SIGNALS) {
                Signal signal = new Signal(name);
                previous.add(Signal.handle(signal, handler));
                signals.add(signal);
            }
            depth++;
        }
    }

    private static void received(Signal signal) {
        RECEIVED.add(signal.getName());
        signaled = true;
        LOG.info("SIG{} received: sources will send EOS so the pipeline drains and stops", signal.getName());
    }

    /**
     * Whether SIGINT or SIGTERM arrived while a {@code SignalEOS} was open: sources should then
     * send EOS. Cheap (one volatile read); safe from any thread.
     *
     * @return whether SIGINT or SIGTERM arrived while a {@code SignalEOS} was open: sources should then send EOS
     */
    public static boolean signaledEos() {
        return signaled;
    }

    /**
     * The names ({@code "INT"}, {@code "TERM"}) of the signals received since the outermost
     * {@code SignalEOS} was opened; still readable after it closed, until the next one opens.
     *
     * @return the names ({@code "INT"}, {@code "TERM"}) of the signals received since the outermost {@code SignalEOS} was opened; still readable after it closed, until the next one opens
     */
    public static Set<String> receivedSignals() {
        synchronized (RECEIVED) {
            return Set.copyOf(RECEIVED);
        }
    }

    /**
     * Raises {@code signalName} ({@code "INT"} or {@code "TERM"}) again if it was received,
     * for a program that wants the usual effect of the signal after draining; call it after
     * {@link #close()} so that the previous handler sees it.
     *
     * @return whether the signal was raised
     * @param signalName {@code "INT"} or {@code "TERM"}
     */
    public static boolean raiseIfReceived(String signalName) {
        if (!RECEIVED.contains(signalName)) {
            return false;
        }
        Signal.raise(new Signal(signalName));
        return true;
    }

    /** Restores the handlers this instance replaced; idempotent. */
    @Override
    public void close() {
        synchronized (SignalEOS.class) {
            if (closed) {
                return;
            }
            closed = true;
            for (int i = signals.size() - 1; i >= 0; i--) {
                Signal.handle(signals.get(i), previous.get(i));
            }
            if (--depth == 0) {
                signaled = false;
                // keep RECEIVED so raiseIfReceived works after close; clear it on the next open
            }
        }
    }
}
