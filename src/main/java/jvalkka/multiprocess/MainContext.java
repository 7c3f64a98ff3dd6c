package jvalkka.multiprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import jvalkka.log.LogConfig;

/**
 * valkka's {@code MainContext}: the main process of a program that runs many
 * {@link MessageProcess} workers. Subclass it and write the four mandatory
 * parts: {@link #startProcesses()} (create, cache and start the workers),
 * {@link #startThreads()} (threads, if any), {@link #close()} (stop them all,
 * then {@code super.close()}) and {@link #run()} (the main loop: valkka's
 * {@code __call__}).
 *
 * <p><b>Where the processes start.</b> In Python the subclass sets its fields
 * and then calls {@code super().__init__()}, which starts the processes. Java
 * runs the superclass constructor first, before the subclass's fields are set,
 * so this constructor starts nothing: call {@link #start()} as the last line of
 * your constructor, after your fields are set. It calls {@code startProcesses()}
 * then {@code startThreads()} (processes before threads, as valkka forks before
 * threads), once. {@link #runAsThread()} calls it too if you did not.
 *
 * <pre>{@code
 * class Manager extends MainContext {
 *     private final int nWorkers;
 *
 *     Manager(int nWorkers) {
 *         this.nWorkers = nWorkers;  // fields first ...
 *         start();                   // ... then startProcesses() and startThreads()
 *     }
 *     ...
 * }
 * }</pre>
 * A subclass of such a Manager whose own fields {@code startProcesses} needs
 * would see them unset: keep {@code start()} in the most derived constructor.
 *
 * <p><b>The aux pipe.</b> {@link #auxPipeRead} is the read end of a
 * {@code java.nio.channels.Pipe}: put it into your {@link Select#safeSelect}
 * read list. It becomes ready when {@link #stopThread()} asks the loop to end,
 * and when the program gets SIGINT (Ctrl+C) or SIGTERM; {@link #readAux()} says
 * which. That is how a signal reaches the loop in Java (there is no
 * {@code KeyboardInterrupt}): {@code start()} installs handlers for INT and TERM
 * that write to the aux pipe, and {@code close()} puts the previous ones back.
 * A second signal before the loop has closed goes to the previous handler (by
 * default the JVM exits, and the backends are stopped by the exit hook), so a
 * second Ctrl+C still ends a stuck program. Set {@link #catchSignals} false
 * before {@code start()} to leave signals alone.
 *
 * <p><b>Logging.</b> {@link #logger} is named after the class's simple name
 * ({@code Manager - INFO - ...}); {@link #formatLogger(Class, Level)} and
 * {@link #setDebug()} set its level as {@code MessageProcess}'s do.
 *
 * <p>A worker that dies is reported on its pipe as
 * {@code MessageObject("exited", ...)} (see {@link MessagePipe#recv()});
 * {@link Restarter} replaces it.
 */
public abstract class MainContext implements Runnable, AutoCloseable {
    /** The command of the event a worker's pipe gives when the worker died (see {@link MessagePipe#recv()}). */
    public static final String EXITED = WireProtocol.EXITED;

    /** What made the aux pipe ready. */
    public enum Aux {
        /** {@link #stopThread()} asked the loop to end (valkka's "debug mode exit"). */
        STOP,
        /** SIGINT: Ctrl+C. */
        SIGINT,
        /** SIGTERM. */
        SIGTERM
    }

    /** Logger named after the class, e.g. {@code Manager}. */
    protected final Logger logger;
    /** The read end of the aux pipe: select on it in {@link #run()}; see {@link #readAux()}. */
    protected final Pipe.SourceChannel auxPipeRead;
    private final Pipe.SinkChannel auxPipeWrite;
    /** Whether {@link #start()} installs the SIGINT/SIGTERM handlers (set before {@code start()}). */
    protected boolean catchSignals = true;
    /** The main loop runs while this holds (valkka's {@code self.loop}). */
    protected volatile boolean loop = true;
    /**
     * Seconds {@link #stopThread()} waits for the loop thread before it interrupts
     * it, and then as long again before it gives up with an error (set before
     * {@code stopThread()}).
     */
    protected double stopThreadTimeout = 10.0;
    /** Set by {@link #close()}; a context closes once. */
    protected volatile boolean closed;

    private boolean started;
    private Thread thread;
    private volatile Throwable threadFailure;
    @SuppressWarnings("restriction")
    private final Map<String, sun.misc.SignalHandler> previousHandlers = new LinkedHashMap<>();
    private final AtomicInteger signalsSeen = new AtomicInteger();
    /** The JMX view: {@code jvalkka:type=MainContext,name=CLASS} and its workers' MBeans. */
    /** Its MBean, named by the class's simple name as the README says ({@code jvalkka:type=MainContext,name=Manager}). */
    private final ContextStats stats = new ContextStats(
            getClass().getSimpleName().isEmpty() ? getClass().getName() : getClass().getSimpleName());

    /**
     * Opens the aux pipe; starts nothing (call {@link #start()} at the end of your constructor).
     */
    protected MainContext() {
        this.logger = LoggerFactory.getLogger(LogConfig.loggerName(getClass(), null));
        try {
            Pipe aux = Pipe.open();
            this.auxPipeRead = aux.source();
            this.auxPipeWrite = aux.sink();
            auxPipeRead.configureBlocking(false);
            auxPipeWrite.configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the aux pipe", e);
        }
    }

    private static String loggerName(Class<?> cls) {
        return LogConfig.loggerName(cls, null); // com.acme.Manager, printed as Manager by jvalkka's binding
    }

    // ------------------------------------------------------------------ logging

    /**
     * Shows the log lines of {@code cls} (a {@code MainContext} or {@code MessageProcess}
     * class) at {@code level} and above, as {@code Manager - INFO - ...}
     * (valkka's class-level {@code formatLogger}).
     *
     * @param cls the class
     * @param level the lowest level shown
     */
    public static void formatLogger(Class<?> cls, Level level) {
        LogConfig.setLevel(loggerName(cls), level);
    }

    /**
     * {@link #formatLogger(Class, Level)} for this object's class.
     *
     * @param level the lowest level shown
     */
    public void formatLogger(Level level) {
        formatLogger(getClass(), level);
    }

    /** Debug level for this context's logger. */
    public void setDebug() {
        LogConfig.setLevel(loggerName(getClass()), Level.DEBUG);
    }

    // ----------------------------------------------------------------- lifetime

    /** Mandatory: create, cache and start your {@code MessageProcess}es (prefer {@link MessageProcess#startAll}). */
    protected abstract void startProcesses();

    /** Mandatory: create and start your threads, if any. */
    protected abstract void startThreads();

    /**
     * Mandatory: your main loop (valkka's {@code __call__}). Select on your
     * workers' pipes and {@link #auxPipeRead}, leave the loop when the aux pipe
     * is ready, then call {@link #close()}.
     */
    @Override
    public abstract void run();

    /**
     * Starts the context once: installs the signal handlers (unless
     * {@link #catchSignals} is false), then {@link #startProcesses()}, then
     * {@link #startThreads()}. Call it as the last line of your constructor.
     * Further calls do nothing. If starting fails, what started is closed.
     */
    public final synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        if (catchSignals) {
            installSignalHandlers();
        }
        stats.open();
        ContextStats outer = stats.enter(); // processes started here show as this context's workers
        try {
            startProcesses();
            startThreads();
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        } finally {
            ContextStats.leave(outer);
        }
    }

    /**
     * Shows {@code worker} as one of this context's workers in JMX
     * ({@code jvalkka:type=MainContext.Worker,context=CLASS,name=WORKER}). Workers
     * started while {@link #start()} runs, and in the loop of {@link #runAsThread()},
     * are added by themselves; call this for one started elsewhere.
     *
     * @param worker a started worker; adding one twice does nothing
     */
    protected final void watch(MessageProcess worker) {
        stats.watch(worker);
    }

    /**
     * Stops what the context owns. Override it: stop your processes and threads
     * (request every stop first, then wait for each, so they stop in parallel),
     * then call {@code super.close()}, which puts the previous signal handlers
     * back and closes the aux pipe. Must be safe to call twice: the loop calls it
     * when it ends, and {@link #stopThread()} calls it again.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed && !auxPipeRead.isOpen()) {
                return;
            }
            closed = true;
        }
        restoreSignalHandlers();
        stats.close();
        closeQuietly(auxPipeWrite);
        closeQuietly(auxPipeRead);
    }

    // ------------------------------------------------------------ run as thread

    /**
     * Runs {@link #run()} in a background thread (for tests and experiments), after
     * {@link #start()} if that was not called yet. Interact with the workers, then
     * call {@link #stopThread()}.
     */
    public synchronized void runAsThread() {
        if (thread != null) {
            throw new IllegalStateException(this + " already runs as a thread");
        }
        start();
        logger.info("starting as thread");
        thread = new Thread(() -> {
            stats.enter();
            try {
                run();
            } catch (Throwable t) {
                threadFailure = t;
                logger.error("the main loop failed: {}", t.toString(), t);
            }
        }, loggerName(getClass()) + "-main");
        thread.start();
    }

    /**
     * Ends a context started with {@link #runAsThread()}: tells the loop to end
     * through the aux pipe (and sets {@link #loop} false), waits for the thread,
     * then calls {@link #close()}. The wait is bounded: after
     * {@link #stopThreadTimeout} seconds the thread is interrupted, and if it has
     * not ended after as long again (a {@code run()} that neither selects on
     * {@link #auxPipeRead} nor checks {@code loop}), the context is closed anyway
     * and this throws.
     *
     * @throws IllegalStateException if the main loop ended with an exception, or did
     *         not end in time (after closing, in both cases)
     */
    public void stopThread() {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            throw new IllegalStateException("stopThread: " + this + " was not started with runAsThread()");
        }
        logger.info("requesting thread stop");
        writeAux(Aux.STOP);
        loop = false;
        long grace = (long) (Math.max(0, stopThreadTimeout) * 1e9);
        boolean interrupted = joinFor(t, grace);
        if (t.isAlive()) {
            logger.warn("the main loop did not end within {} s of stopThread: interrupting it", stopThreadTimeout);
            t.interrupt();
            interrupted |= joinFor(t, grace);
        }
        boolean stuck = t.isAlive();
        close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (stuck) {
            throw new IllegalStateException("the main loop of " + this + " did not end within "
                    + 2 * stopThreadTimeout + " s of stopThread, nor when interrupted: its run() must select on "
                    + "auxPipeRead and leave when it is ready (or check loop); the context is closed, "
                    + "the thread " + t.getName() + " still runs");
        }
        logger.info("thread stopped");
        Throwable f = threadFailure;
        if (f != null) {
            throw new IllegalStateException("the main loop of " + this + " failed: " + f, f);
        }
    }

    /** Joins {@code t} for at most {@code nanos}; returns whether this thread was interrupted meanwhile. */
    private static boolean joinFor(Thread t, long nanos) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + nanos;
        long left;
        while (t.isAlive() && (left = deadline - System.nanoTime()) > 0) {
            try {
                t.join(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true; // finish stopping first: the workers must not be left running
            }
        }
        return interrupted;
    }

    // ------------------------------------------------------------------ aux pipe

    /**
     * Reads what made {@link #auxPipeRead} ready, without waiting: a signal if
     * one came (it outranks a stop request), else {@link Aux#STOP}; {@code null}
     * if nothing was written. A closed aux pipe reads as {@code STOP}.
     *
     * @return what made it ready, or null
     */
    protected final Aux readAux() {
        ByteBuffer b = ByteBuffer.allocate(64);
        Aux found = null;
        try {
            int n;
            while ((n = auxPipeRead.read(b)) > 0) {
                b.flip();
                while (b.hasRemaining()) {
                    Aux a = Aux.values()[b.get()];
                    if (found == null || a.ordinal() > found.ordinal()) {
                        found = a;
                    }
                }
                b.clear();
            }
            if (n < 0 && found == null) {
                found = Aux.STOP;
            }
        } catch (IOException e) {
            if (found == null) {
                found = Aux.STOP;
            }
        }
        return found;
    }

    /**
     * Makes the aux pipe ready with {@code why}; safe from any thread and from a signal handler.
     *
     * @param why what made the aux pipe ready
     */
    protected final void writeAux(Aux why) {
        try {
            auxPipeWrite.write(ByteBuffer.wrap(new byte[] {(byte) why.ordinal()}));
        } catch (IOException e) {
            // closed: the loop is over already
        }
    }

    // ------------------------------------------------------------------ signals

    @SuppressWarnings("restriction")
    private void installSignalHandlers() {
        for (String name : new String[] {"INT", "TERM"}) {
            sun.misc.Signal sig = new sun.misc.Signal(name);
            Aux why = name.equals("INT") ? Aux.SIGINT : Aux.SIGTERM;
            sun.misc.SignalHandler[] prev = new sun.misc.SignalHandler[1];
            prev[0] = sun.misc.Signal.handle(sig, s -> {
                if (!closed && signalsSeen.getAndIncrement() == 0) {
                    writeAux(why); // the loop logs and closes; no work in the handler thread
                } else {
                    forward(prev[0], s);
                }
            });
            previousHandlers.put(name, prev[0]);
        }
    }

    @SuppressWarnings("restriction")
    private static void forward(sun.misc.SignalHandler previous, sun.misc.Signal s) {
        if (previous == sun.misc.SignalHandler.SIG_IGN) {
            return;
        }
        if (previous == sun.misc.SignalHandler.SIG_DFL || previous == null) {
            System.exit(128 + s.getNumber());
            return;
        }
        try {
            previous.handle(s);
        } catch (UnsupportedOperationException e) {
            // a native handler cannot be called from Java: end as the default would
            System.exit(128 + s.getNumber());
        }
    }

    @SuppressWarnings("restriction")
    private synchronized void restoreSignalHandlers() {
        for (Map.Entry<String, sun.misc.SignalHandler> e : previousHandlers.entrySet()) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(e.getKey()), e.getValue());
            } catch (IllegalArgumentException ignored) {
                // cannot happen for a handler the JVM gave us; nothing better to do
            }
        }
        previousHandlers.clear();
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing a pipe end cannot lose data we care about
        }
    }

    @Override
    public String toString() {
        return "<" + loggerName(getClass()) + ">";
    }
}
