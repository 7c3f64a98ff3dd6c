package jvalkka.multiprocess;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import jvalkka.log.LogConfig;

/**
 * One object, two halves: frontend methods run in your JVM, backend methods run in
 * a child JVM that {@link #start()} spawns. The backend restores this object as it
 * stood at {@code start()} (Java serialization: {@code transient} fields stay in
 * the frontend; constructors do not run again, as after a fork), then runs
 * {@link #preRun__()}, its loop, and {@link #postRun__()}.
 *
 * <pre>{@code
 * class MyProcess extends MessageProcess {
 *     MyProcess(String name) { super(name); }
 *
 *     void c__ping(String parameter) {            // backend: runs in the child JVM
 *         System.out.println("Regards from other side of the fork!  Got parameter " + parameter);
 *     }
 *
 *     void ping(String parameter) {               // frontend: runs here
 *         sendMessageToBack(new MessageObject("ping", "parameter", parameter));
 *     }
 * }
 * }</pre>
 *
 * <p><b>Naming.</b> Methods ending in {@code __} and the {@code c__} handlers are
 * backend methods; calling a frontend method in the backend (or the reverse)
 * fails with an error that says so.
 *
 * <p><b>Messages.</b> {@code MessageObject("ping", "parameter", x)} calls
 * {@code c__ping} with parameters bound by name and converted to the declared
 * types (compile with {@code -parameters}); a handler may instead take the whole
 * {@link MessageObject}. Bad input never kills the backend: it is logged with the
 * command, parameters and reason, and sent to the frontend as a
 * {@code MessageObject("error", command=..., parameters=..., reason=...)} on the
 * main pipe.
 *
 * <p><b>Lifetime.</b> A backend exits when it is stopped, and also when its parent
 * JVM dies by any means (kill -9 included): it watches a pipe from the parent,
 * and its loop ends and {@link #postRun__()} runs (within a grace of 1 s, after
 * which the backend is halted). The loop is {@link BackendLoop}'s: an idle
 * backend costs no CPU and wakes only for a message, a stop, its parent's death
 * or its own {@link #timeout}. Stopping twice, or stopping a process that never
 * started, does nothing; {@link #close()} is {@link #stop()}, so
 * try-with-resources stops a backend.
 * {@link #start()} returns once the backend has restored the object, without
 * waiting for {@link #preRun__()} unless {@link BackendOptions#awaitPreRun()}
 * asks it to (then a failing {@code preRun__} fails {@code start()} with its
 * exception). Once the backend has exited, for whatever reason, its pipes give
 * their descriptors back at once; what it sent can still be received, then
 * the {@code "exited"} event (when it was not asked to stop), then
 * {@link PipeClosedException}.
 *
 * <p>The frontend methods are meant for one thread (the one that owns the
 * process); sending from several threads is safe.
 */
public abstract class MessageProcess implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;

    /** Seconds the backend loop waits for a message before it loops again (valkka's {@code timeout}). */
    protected double timeout = 1.0;
    /** The name; the logger is {@code com.acme.ClassName.name} ({@link LogConfig#loggerName}). */
    protected final String name;
    /**
     * Logger named {@code com.acme.ClassName.name}, addressable by package in any logging
     * framework; jvalkka's binding prints it as {@code ClassName.name}. Usable in both halves.
     */
    protected transient Logger logger;
    /** Backend: the loop runs while this is true. */
    protected boolean loop = true;
    /**
     * Backend: true when {@link #readPipes__} also serves other channels (valkka's
     * flag). It does not change the wait: the loop passes {@link #timeout} either
     * way, and a {@code readPipes__} of your own waits on all its channels at once
     * with it, so the loop never polls (an earlier version passed 0 here, which
     * made the default {@code readPipes__} spin).
     */
    protected boolean listening = false;
    /** Whether the backend takes SIGINT (see {@link #ignoreSIGINT()}). */
    private boolean sigint = true;

    private transient Frontend front;
    private transient Backend back;
    /** Backend: the main pipe, as the one-element read list the default {@link #readPipes__} selects on. */
    private transient List<Object> mainList;

    /**
     * A process named {@code name}.
     *
     * @param name the process name (log lines and {@code ps} show it)
     */
    protected MessageProcess(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a MessageProcess needs a non-empty name");
        }
        this.name = name;
        this.logger = LoggerFactory.getLogger(LogConfig.loggerName(getClass(), name));
    }

    /** A process named after its class. */
    protected MessageProcess() {
        this("MessageProcess");
    }

    private String loggerName() {
        String simple = getClass().getSimpleName();
        return (simple.isEmpty() ? getClass().getName() : simple) + "." + name;
    }

    /** {@return the process name} */
    public final String getName() {
        return name;
    }

    /** {@code <MyProcess.my-process>}, like valkka. */
    @Override
    public String toString() {
        return "<" + loggerName() + ">";
    }

    // ------------------------------------------------------------------ logging

    /**
     * Shows the log lines of every process of class {@code cls} at {@code level} and
     * above, as {@code MyProcess.my-process - INFO - ...} (valkka's class-level
     * {@code formatLogger}). Call it before {@code start()}: backends take the
     * levels with them. With another SLF4J binding than jvalkka's, configure the
     * levels there instead.
     *
     * @param cls the class
     * @param level the lowest level shown
     */
    public static void formatLogger(Class<?> cls, Level level) {
        LogConfig.setLevel(cls.getName(), level);
    }

    /** {@link #formatLogger(Class, Level)} for this object's class at {@code INFO}. */
    public void formatLogger() {
        formatLogger(getClass(), Level.INFO);
    }

    /**
     * {@link #formatLogger(Class, Level)} for this object's class.
     *
     * @param level the lowest level shown
     */
    public void formatLogger(Level level) {
        formatLogger(getClass(), level);
    }

    /** Debug level for this process's logger only. */
    public void setDebug() {
        LogConfig.setLevel(LogConfig.loggerName(getClass(), name), Level.DEBUG);
    }

    // ------------------------------------------------------------------ backend

    /**
     * Backend: runs after the backend starts, before the loop. Open per-process
     * resources here (the "client side" of shared memory, heavy libraries, threads).
     * An exception ends the backend with status 1, logged.
     *
     * @throws Exception whatever the code it runs throws
     */
    protected void preRun__() throws Exception {
    }

    /**
     * Backend: runs after the loop ends, before the backend exits, also when the
     * loop ended because the parent died or a {@code readPipes__} of one's own
     * threw (not when {@code preRun__} threw). Release resources here.
     *
     * @throws Exception whatever the code it runs throws
     */
    protected void postRun__() throws Exception {
    }

    /**
     * Backend: the main loop. It runs the three phases of {@link BackendLoop}:
     * {@link #onStart__()} ({@code preRun__}), then {@link #readPipes__(double)}
     * and {@link #onTurn__()} while {@link #loop} holds, then {@link #onClose__()},
     * the stop marker and {@link #postRun__()}. Override only to do something else
     * than serving the pipe (as in valkka); keep calling {@code readPipes__} while
     * {@code loop} holds, and end with {@link #sendStopMarker__()} and
     * {@code postRun__()}. To add work to the standard loop, override the
     * {@code on...__} steps instead.
     *
     * @throws Exception whatever the code it runs throws
     */
    protected void run() throws Exception {
        BackendLoop.run(this);
    }

    /**
     * Backend: the loop's start phase; runs {@link #preRun__()}. Subclasses that
     * add a start step call {@code super.onStart__()} first. A failure ends the
     * backend with status 1 (see {@link BackendLoop}).
     *
     * @throws Exception whatever {@code preRun__} (or the override) throws: the loop
     *     does not run, the close phase neither, and the backend ends with status 1
     */
    protected void onStart__() throws Exception {
        preRun__();
    }

    /**
     * Backend: runs after each {@link #readPipes__(double)} of the loop, on the loop's thread. Default: nothing.
     *
     * @throws Exception to end the loop: the close phase still runs, then the backend
     *     ends with status 1 and the frontend's {@code "exited"} event names the exception
     */
    protected void onTurn__() throws Exception {
    }

    /**
     * Backend: the loop's close phase, after the loop ends and before the stop
     * marker and {@link #postRun__()}; it runs also when the parent died. Default: nothing.
     *
     * @throws Exception ends the backend with status 1; the stop marker and
     *     {@code postRun__} are then not run (when the loop itself failed, this
     *     failure is attached to that one as suppressed)
     */
    protected void onClose__() throws Exception {
    }

    /**
     * Backend: tells the frontend that the loop is over (the stop marker). When the
     * frontend is gone already (the parent died) there is nobody to tell, and that
     * is no reason to skip {@link #postRun__()}.
     */
    protected final void sendStopMarker__() {
        try {
            send_out__(null);
        } catch (PipeClosedException e) {
            logger.debug("the frontend is gone: no stop marker sent");
        }
        logger.debug("bye!");
    }

    /**
     * Backend: waits up to {@code timeout} seconds for messages on the main pipe
     * and handles them; the wait costs no CPU and ends on a message, a stop, the
     * parent's death or the timeout. Override to listen to more channels: select
     * on {@link #backPipe__()} together with yours (with this {@code timeout}),
     * call {@link #handleBackPipe__} when the pipe is ready, and set
     * {@link #listening}.
     *
     * @param timeout the longest wait
     */
    protected void readPipes__(double timeout) {
        MessagePipe pipe = backPipe__();
        Select.Ready r = Select.safeSelect(mainList, List.of(), List.of(), timeout);
        if (!r.reads().isEmpty()) {
            handleBackPipe__(pipe);
        }
    }

    /**
     * Backend: receives what is ready on the main pipe and routes each message.
     *
     * @param pipe the back pipe that is ready
     */
    protected void handleBackPipe__(MessagePipe pipe) {
        preRunEnded(null);
        do {
            MessageObject obj;
            try {
                obj = pipe.recv();
            } catch (PipeClosedException e) {
                logger.debug("the frontend closed the pipe: leaving the loop");
                loop = false;
                return;
            } catch (RuntimeException e) {
                logger.error("Reading pipe failed with {}", e.toString(), e);
                return;
            }
            routeMainPipe__(obj);
        } while (loop && pipe.hasBufferedMessage());
    }

    /**
     * Backend: {@code null} ends the loop; a message runs its {@code c__} handler.
     *
     * @param obj the object
     */
    protected void routeMainPipe__(MessageObject obj) {
        if (obj == null) {
            loop = false;
            return;
        }
        CompletionStage<?> stage = back.dispatch(obj);
        if (stage != null) {
            asyncStarted(stage);
        }
    }

    /**
     * Backend: sends an object to the frontend's {@link #getPipe()} (null is the stop marker).
     *
     * @param obj the object
     */
    protected void send_out__(MessageObject obj) {
        backend("send_out__").main.send(obj);
    }

    /**
     * Backend: sends an object to the frontend's {@link #returnFromBack()}. Blocks
     * while {@link BackendOptions#returnCapacity()} objects wait there untaken and
     * the socket is full (backpressure; nothing is dropped).
     *
     * @param obj the object
     */
    protected void return_out__(MessageObject obj) {
        backend("return_out__").internal.send(obj);
    }

    /**
     * Backend: the backend's end of the main pipe, for a custom {@link #readPipes__}.
     *
     * @return the backend's end of the main pipe
     */
    protected final MessagePipe backPipe__() {
        Backend b = backend("backPipe__");
        preRunEnded(null); // a custom run() that reads its pipe has finished preparing
        return b.main;
    }

    /**
     * Backend: tells a frontend that waits in {@code start()} (see
     * {@link BackendOptions#awaitPreRun()}) that {@code preRun__} has returned
     * ({@code failure} null) or threw {@code failure}. Only the first call counts.
     */
    final void preRunEnded(Throwable failure) {
        Backend b = back;
        if (b != null) {
            b.preRunEnded(failure);
        }
    }

    /** Backend: {@code step} (not a handler) failed with {@code t}: logged, and sent as an {@code "error"}. */
    final void reportFailure(String step, Throwable t) {
        backend(step).reportStepFailure(step, t);
    }

    private Backend backend(String method) {
        if (back == null) {
            throw new IllegalStateException(method + " is a backend method: it runs in the backend JVM, "
                    + "for example from a c__ handler or preRun__, not in the frontend");
        }
        return back;
    }

    // ----------------------------------------------------------------- frontend

    /** Frontend: the backend will ignore SIGINT (Ctrl+C), for a manager to stop it cleanly. Call before start(). */
    public void ignoreSIGINT() {
        frontend("ignoreSIGINT").requireNew("ignoreSIGINT");
        sigint = false;
    }

    /**
     * Frontend: the options for this backend (JVM options, deadlines). Call before start().
     *
     * @param options the backend options
     */
    public void setOptions(BackendOptions options) {
        frontend("setOptions").setOptions(options);
    }

    /** The options this process starts (or started) with. */
    BackendOptions options() {
        return frontend("options").options();
    }

    /**
     * Frontend: the pipe that carries the backend's {@code send_out__} messages.
     * Available before {@code start()} (to put in maps and select lists); it can be
     * selected and read once the process has started.
     *
     * @return the main pipe
     */
    public MessagePipe getPipe() {
        return frontend("getPipe").main;
    }

    /**
     * Frontend: sends a message to the backend, which runs its {@code c__} handler.
     *
     * @param message the message
     */
    public void sendMessageToBack(MessageObject message) {
        SyncSends.send(frontend("sendMessageToBack"), message);
    }

    /**
     * Frontend: waits for the next object the backend sent with {@code return_out__},
     * in the order sent. At most {@link BackendOptions#returnCapacity()} objects wait
     * here; beyond that the backend's {@code return_out__} blocks (see that method for
     * when the bound is lifted so that nothing deadlocks).
     *
     * @throws PipeClosedException once the backend has exited and every object it sent was taken
     * @return the next object, in the order sent
     */
    public MessageObject returnFromBack() {
        return frontend("returnFromBack").returnFromBack();
    }

    /**
     * Frontend: spawns the backend JVM and waits until it has restored this object.
     *
     * <p>By default {@code start()} does not wait for {@link #preRun__()}, as in
     * valkka: it runs in the backend while this JVM goes on, and if it throws, the
     * backend exits and {@link #getPipe()} reports {@code MessageObject("exited",
     * ...)} (its {@code reason} names the exception) after whatever the backend
     * sent. To have {@code start()} wait for {@code preRun__} and fail with its
     * exception, set {@code setOptions(BackendOptions.defaults().withAwaitPreRun(true))}
     * (or the class-wide defaults); {@link #startAll} and {@code MainContext}
     * honour it too.
     *
     * @throws BackendStartException when a field cannot cross (the message names it),
     *         or the backend JVM fails or is not ready within the start timeout (the
     *         message gives its exit status and standard error); with
     *         {@link BackendOptions#awaitPreRun()}, also when {@code preRun__}
     *         throws (the exception is the cause, with the backend's stack trace)
     */
    public void start() {
        Frontend f = frontend("start");
        f.launch();
        f.awaitReady();
        ContextStats.started(this);
    }

    /** Frontend: a synonym of {@link #start()}. */
    public void go() {
        start();
    }

    /**
     * Frontend: starts several processes at once: their JVMs boot in parallel,
     * which is much faster than starting them one after the other. At most a few
     * boot at a time ({@code -Djvalkka.startWindow=N}; by default twice as many as
     * this machine has cores): a hundred JVMs booting at once mostly wait for
     * each other. Each of these start threads starts its next process as soon as its
     * last one is ready, so one slow backend holds up no other.
     *
     * <p>Returns when every process has started or failed to. When some failed,
     * every other one is started and running all the same (stop them, for example
     * in your {@code MainContext.close()}, or let {@link #isAlive()} tell which
     * started), and this throws the first failure in the list's order, the others
     * {@linkplain Throwable#getSuppressed() suppressed}.
     *
     * @param processes the processes
     * @throws BackendStartException when a process fails to start, as {@link #start()} would
     */
    public static void startAll(Collection<? extends MessageProcess> processes) {
        List<MessageProcess> list = new java.util.ArrayList<>(processes);
        Throwable[] failed = new Throwable[list.size()];
        int window = Math.min(list.size(), startWindow());
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable starter = () -> {
            for (int i = next.getAndIncrement(); i < list.size(); i = next.getAndIncrement()) {
                try {
                    Frontend f = list.get(i).frontend("startAll");
                    f.launch();
                    f.awaitReady();
                } catch (Throwable t) {
                    failed[i] = t;
                }
            }
        };
        if (window <= 1) {
            starter.run();
        } else {
            // the caller is one of the window's starters: a thread fewer to start (Parallelize's two workers
            // waited for two thread starts, milliseconds each on a busy machine)
            Thread[] threads = new Thread[window - 1];
            for (int k = 0; k < threads.length; k++) {
                threads[k] = new Thread(starter, "jvalkka-startAll-" + k);
                threads[k].setDaemon(true);
                threads[k].start();
            }
            starter.run(); // catches every failure of its own starts
            boolean interrupted = false;
            for (Thread t : threads) {
                while (t.isAlive()) {
                    try {
                        t.join(); // each start is bounded by its start timeout
                    } catch (InterruptedException e) {
                        interrupted = true; // every start must end as started or failed: none is left half-done
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        Throwable failure = null;
        for (int i = 0; i < list.size(); i++) {
            if (failed[i] == null) {
                ContextStats.started(list.get(i)); // on the caller's thread: it knows the MainContext starting them
            } else if (failure == null) {
                failure = failed[i];
            } else {
                failure.addSuppressed(failed[i]);
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        } else if (failure instanceof Error e) {
            throw e;
        } else if (failure != null) {
            throw new BackendStartException("startAll: " + failure, failure);
        }
    }

    /**
     * How many JVMs {@link #startAll} boots at once: {@code -Djvalkka.startWindow}, else
     * twice the number of cores (see {@code scripts/bench manager}).
     */
    static int startWindow() {
        return Math.max(1, Integer.getInteger("jvalkka.startWindow",
                Math.max(2, 2 * Runtime.getRuntime().availableProcessors())));
    }

    /**
     * Frontend: asks the backend to leave its loop (it runs {@code postRun__} and exits).
     * Never waits, not even for a backend that stopped reading or for another thread's send.
     */
    public void requestStop() {
        frontend("requestStop").requestStop();
    }

    /** Frontend: waits for the backend to exit; kills it after the stop timeout (with a warning). */
    public void waitStop() {
        frontend("waitStop").waitStop();
    }

    /** Frontend: {@link #requestStop()} then {@link #waitStop()}. */
    public void stop() {
        requestStop();
        waitStop();
    }

    /**
     * Frontend: {@link #stop()}, so that try-with-resources stops the backend:
     * {@code try (MyProcess p = new MyProcess("p")) { p.start(); ... }}. Idempotent;
     * does nothing for a process that never started. A subclass that overrides it
     * to release frontend resources (as valkka's tutorial does) calls
     * {@code super.close()} to keep stopping the backend.
     */
    @Override
    public void close() {
        stop();
    }

    /**
     * Frontend: ends the backend at once, without {@code postRun__} (as
     * Python's {@code Process.terminate()}): SIGTERM to a backend on this host,
     * a stop request to its node for one placed on another host. The frontend
     * then sees its {@code "exited"} event as for any death. Never waits; does
     * nothing before {@code start()} or after the backend exited. Use it for a
     * backend that must not finish what it is doing; {@link #stop()} otherwise.
     * (Its {@link #pid()} is a pid on the backend's own host: never signal it
     * from here for a placed process.)
     */
    public void terminate() {
        Frontend f = front;
        if (f != null && f.isAlive()) {
            f.process().destroy();
        }
    }

    /**
     * Frontend: whether the backend JVM is running.
     *
     * @return whether the backend JVM is running
     */
    public boolean isAlive() {
        return front != null && front.isAlive();
    }

    /**
     * Frontend: the backend's pid, or -1 before start.
     *
     * @return the pid, or -1
     */
    public long pid() {
        return front == null ? -1 : front.pid();
    }

    /**
     * Frontend: the backend's exit status, or -1 while it runs or before start.
     *
     * @return the exit status, or -1
     */
    public int exitCode() {
        return front == null ? -1 : front.exitCode();
    }

    /**
     * Frontend: a typed view of the backend. Each call of an interface method sends
     * {@code MessageObject(method, param=value...)} to {@code c__method}; a method
     * with a return value (plain, or {@code CompletableFuture<T>}) gets the
     * handler's return value (a handler may return a {@code CompletionStage}). An
     * exception raised by the handler is rethrown here with the backend's stack
     * trace.
     *
     * @param <T> the type the caller expects
     * @param api the interface the backend's handlers implement
     * @return the proxy
     */
    public <T> T proxy(Class<T> api) {
        return ProcessProxy.of(this, api, frontend("proxy"));
    }

    private Frontend frontend(String method) {
        if (back != null) {
            throw new IllegalStateException(method + " is a frontend method: it runs in the JVM that created "
                    + this + ", not in its backend");
        }
        Frontend f = front;
        if (f == null) {
            synchronized (this) {
                if (front == null) {
                    front = new Frontend(this, loggerName());
                }
                f = front;
            }
        }
        return f;
    }

    // ------------------------------------------------------------ the two halves

    Logger logger() {
        return logger;
    }

    boolean ignoresSigint() {
        return !sigint;
    }

    /** Called by the backend launcher with the connected pipes; returns the exit status. */
    int runBackend(MessagePipe main, MessagePipe internal) {
        return BackendRunner.run(this, main, internal);
    }

    /** Backend: the backend half is {@code b}, whose main pipe is the one-element read list {@code mainList}. */
    void attach(Backend b, List<Object> mainList) {
        this.back = b;
        this.mainList = mainList;
    }

    /** Lets messages carry this class's handler parameter types (see {@link MessageObject}). */
    void allowHandlerTypes() {
        try {
            Dispatcher.of(getClass());
        } catch (RuntimeException ambiguous) {
            // reported where dispatch needs it; nothing is allowed for a class that cannot dispatch
        }
    }

    /**
     * Restores the process in the backend.
     *
     * @param in the stream
     * @throws IOException when the stream fails
     * @throws ClassNotFoundException when a field's class is missing
     */
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        restored();
    }

    /** Completes a process object rebuilt in the backend (by either way of {@link ProcessTransfer}). */
    void restored() {
        logger = LoggerFactory.getLogger(LogConfig.loggerName(getClass(), name));
    }

    /** Backend: a handler returned {@code stage}; {@link AsyncBackMessageProcess} tracks it. */
    void asyncStarted(CompletionStage<?> stage) {
    }
}
