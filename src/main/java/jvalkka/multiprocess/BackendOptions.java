package jvalkka.multiprocess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a backend JVM is started and stopped: JVM options, deadlines, channel
 * limits. Immutable; derive variants with the {@code with...} methods and give
 * one to {@link MessageProcess#setOptions(BackendOptions)} before {@code start()},
 * or change the class-wide {@link #setDefaults(BackendOptions) defaults}.
 *
 * <p>The default JVM options are chosen for many small, mostly idle workers: the
 * serial collector, the C1 compiler only and a small initial heap keep an idle
 * backend near 45 MB resident and its start fast. {@code -XX:CompileThresholdScaling=5}
 * lets the compiler wait for five times as many calls before it compiles a method: a
 * backend's start runs thousands of methods a few hundred times each, and compiling
 * them was about a quarter of its boot CPU (some 20 ms of 130 on JDK 17, 30 of 150 on
 * JDK 25); a handler called per message is still compiled after its first few
 * thousand messages, so the round trip and the one-way rate stay as they were. A
 * compute-heavy backend wants the full compiler: {@code withJvmArgs(List.of())} or
 * your own list.
 *
 * <p>On JDK 17, {@code -XX:+UseG1GC} instead of the serial collector starts a
 * backend some 15 ms faster (the JDK's archived heap objects, such as the module
 * graph, are used only with G1 there), but a busy backend then grows to about
 * 65 MB and a round trip takes about 10 µs longer; the default favours the
 * long-lived worker.
 */
public final class BackendOptions {
    /** JVM options of a backend unless configured otherwise. */
    public static final List<String> SMALL_JVM = List.of(
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:CompileThresholdScaling=5",
            "-Xms8m", "-Xss512k", "-XX:-UsePerfData", "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=128m");

    /** How many {@code return_out__} objects wait for {@code returnFromBack} unless configured otherwise. */
    public static final int DEFAULT_RETURN_CAPACITY = 10_000;

    private static volatile BackendOptions defaults = new BackendOptions(SMALL_JVM, Duration.ofSeconds(60),
            Duration.ofSeconds(10), MessagePipe.DEFAULT_MAX_MESSAGE_BYTES, null, DEFAULT_RETURN_CAPACITY, false, null, null);

    private List<String> jvmArgs;
    private Duration startTimeout;
    private Duration stopTimeout;
    private int maxMessageBytes;
    private String javaCommand;
    private int returnCapacity;
    private boolean awaitPreRun;
    private String classPath;
    private String modulePath;
    private Placement placement;
    private int warmPool = -1; // -1: not chosen (no pool, unless a user of these options gives a default)

    private BackendOptions(List<String> jvmArgs, Duration startTimeout, Duration stopTimeout, int maxMessageBytes,
            String javaCommand, int returnCapacity, boolean awaitPreRun, String classPath, String modulePath) {
        this.jvmArgs = List.copyOf(jvmArgs);
        this.startTimeout = startTimeout;
        this.stopTimeout = stopTimeout;
        this.maxMessageBytes = maxMessageBytes;
        this.javaCommand = javaCommand;
        this.returnCapacity = returnCapacity;
        this.awaitPreRun = awaitPreRun;
        this.classPath = classPath;
        this.modulePath = modulePath;
        checked();
    }

    /** Checks every field (the one place that does), and returns these options. */
    private BackendOptions checked() {
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024, got " + maxMessageBytes);
        }
        if (warmPool < -1 || warmPool > WarmPool.MAX_PER_KIND) {
            throw new IllegalArgumentException("a warm pool holds 0 to " + WarmPool.MAX_PER_KIND
                    + " JVMs, not " + warmPool);
        }
        if (returnCapacity < 1) {
            throw new IllegalArgumentException("returnCapacity must be at least 1, got " + returnCapacity);
        }
        return this;
    }

    /** A copy of {@code o}, for one {@code with...} method to change one field of before it returns it. */
    private BackendOptions(BackendOptions o) {
        this(o.jvmArgs, o.startTimeout, o.stopTimeout, o.maxMessageBytes, o.javaCommand, o.returnCapacity,
                o.awaitPreRun, o.classPath, o.modulePath);
        this.placement = o.placement;
        this.warmPool = o.warmPool;
    }

    /**
     * The class-wide defaults.
     *
     * @return the class-wide defaults
     */
    public static BackendOptions defaults() {
        return defaults;
    }

    /**
     * Replaces the class-wide defaults (used by processes that were given no options).
     *
     * @param options the backend options
     */
    public static void setDefaults(BackendOptions options) {
        defaults = Objects.requireNonNull(options);
    }

    /**
     * The backend's JVM options (heap, GC, compiler, {@code -D} properties).
     *
     * @return the backend's JVM options (heap, GC, compiler, {@code -D} properties)
     */
    public List<String> jvmArgs() {
        return jvmArgs;
    }

    /**
     * How long {@code start()} waits for the backend JVM to be ready before it
     * kills it and fails (with {@link #awaitPreRun()}, ready includes
     * {@code preRun__}).
     *
     * @return how long {@code start()} waits for the backend JVM to be ready before it kills it and fails (with {@link #awaitPreRun()}, ready includes {@code preRun__})
     */
    public Duration startTimeout() {
        return startTimeout;
    }

    /**
     * How long {@code waitStop()} waits for the backend to finish before it kills it (with a warning).
     *
     * @return how long {@code waitStop()} waits for the backend to finish before it kills it (with a warning)
     */
    public Duration stopTimeout() {
        return stopTimeout;
    }

    /**
     * The largest encoded message either side accepts.
     *
     * @return the largest encoded message either side accepts
     */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /**
     * How many objects the backend sent with {@code return_out__} may wait in
     * the frontend for {@code returnFromBack} (default
     * {@value #DEFAULT_RETURN_CAPACITY}). Beyond that the frontend stops reading
     * them, and the backend's {@code return_out__} blocks once the socket between
     * them is full too (a few hundred kilobytes more): backpressure, never loss,
     * order kept. The bound is lifted, so that nothing can deadlock on it, while
     * a proxy call waits for its reply, after a stop was requested or the backend
     * exited, and while a {@code sendMessageToBack} is stuck because the backend
     * is itself blocked in {@code return_out__}: a frontend that sends a burst
     * and takes the returns afterwards on the same thread gets them all, at the
     * cost of memory for what the burst returns.
     *
     * @return how many objects the backend sent with {@code return_out__} may wait in the frontend for {@code returnFromBack} (default {@value #DEFAULT_RETURN_CAPACITY})
     */
    public int returnCapacity() {
        return returnCapacity;
    }

    /**
     * Whether {@code start()} (and {@code MessageProcess.startAll}, and so
     * {@code MainContext.startProcesses}) also waits until the backend's
     * {@code preRun__} has returned. Off by default, as in valkka: {@code start()}
     * returns once the backend has restored the process object, {@code preRun__}
     * runs while the frontend goes on, and a {@code preRun__} that fails ends the
     * backend, which the main pipe reports as an {@code "exited"} event (its
     * {@code reason} names the exception) a moment later. On:
     * {@code start()} returns when {@code preRun__} has returned, and a
     * {@code preRun__} that throws fails {@code start()} with a
     * {@link BackendStartException} whose cause is that exception (its class,
     * message and the backend's stack trace; as its own type when it can be
     * rebuilt here, else a {@link BackendException} naming it). The start
     * timeout then covers {@code preRun__} too. Messages the backend sent with
     * {@code return_out__} during {@code preRun__} wait for
     * {@code returnFromBack} as usual.
     *
     * <p>A process that overrides {@code run()} counts as prepared when it first
     * reads its pipe ({@code readPipes__}, {@code backPipe__} or
     * {@code handleBackPipe__}), or when its {@code run()} ends.
     *
     * @return whether {@code start()} (and {@code MessageProcess.startAll}, and so {@code MainContext.startProcesses}) also waits until the backend's {@code preRun__} has returned
     */
    public boolean awaitPreRun() {
        return awaitPreRun;
    }

    /**
     * These options, with {@code start()} waiting for {@code preRun__} or not; see {@link #awaitPreRun()}.
     *
     * @param await whether to wait for {@code preRun__}
     * @return these options with that changed
     */
    public BackendOptions withAwaitPreRun(boolean await) {
        BackendOptions c = new BackendOptions(this);
        c.awaitPreRun = await;
        return c.checked();
    }

    /**
     * The {@code java} executable; by default the one running this JVM.
     *
     * @return the {@code java} executable; by default the one running this JVM
     */
    public String javaCommand() {
        return javaCommand != null ? javaCommand
                : java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Whether backends run the JDK that runs this JVM (only then can they share its class-data archive). */
    boolean runsThisJava() {
        return javaCommand == null
                || javaCommand.equals(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Makes the class-data-sharing archive (on JDK 24 and later, the JDK's
     * ahead-of-time cache) for backends with these options now,
     * waiting for it (a second or two, once per build of your code and JVM
     * options), instead of in the background at the first start. Call it before
     * starting many backends at once. Backends start without an archive when this
     * returns false (for example with {@code -Djvalkka.cds=false}).
     *
     * @return whether an archive is ready for backends with these options
     */
    public boolean prepareArchive() {
        BackendClassPath where = BackendClassPath.of(this, BackendMain.class, "the class-data archive");
        return where.classPathOnly() && ClassDataSharing.prepare(javaCommand(), jvmArgs, where.classPath());
    }

    /**
     * The backend's class path as given to {@link #withClassPath(String)}, or null:
     * derived from where this JVM loaded the process's class and jvalkka from.
     *
     * @return the given class path, or null when it is derived
     */
    public String classPath() {
        return classPath;
    }

    /**
     * The backend's module path as given to {@link #withModulePath(String)}, or null.
     *
     * @return the given module path, or null when it is derived
     */
    public String modulePath() {
        return modulePath;
    }

    /**
     * Starts backends with this class path ({@code java -cp} form: entries joined
     * by {@link java.io.File#pathSeparator}) instead of deriving one. By default a
     * backend's class path (and module path) is derived from where this JVM loaded
     * jvalkka and the process's class from: {@code java -cp}, {@code java -jar}
     * (the jar's manifest {@code Class-Path} included), a shaded jar,
     * {@code mvn exec:java} and other class loaders with {@code file:} URLs, and the
     * module path all work so. Set it where that cannot be done, and
     * {@code start()} says so: a Spring Boot executable jar (jars inside a jar; give
     * the unpacked application's {@code BOOT-INF/classes} and {@code BOOT-INF/lib/*}
     * jars), or a class loader that does not say where its classes come from. The
     * class path must hold jvalkka, the process's class and what it uses. Setting
     * either this or {@link #withModulePath(String)} turns derivation off for both;
     * null turns it back on.
     *
     * @param classPath the class path, or null to derive it
     * @return these options with that class path
     */
    public BackendOptions withClassPath(String classPath) {
        BackendOptions c = new BackendOptions(this);
        c.classPath = classPath;
        return c.checked();
    }

    /**
     * Starts backends with this module path (entries joined by
     * {@link java.io.File#pathSeparator}), every module on it resolved
     * ({@code --add-modules ALL-MODULE-PATH}), instead of deriving one; see
     * {@link #withClassPath(String)}. When a module on it holds jvalkka, the backend
     * runs as that module's main class; otherwise jvalkka must be on the class path.
     *
     * @param modulePath the module path, or null to derive it
     * @return these options with that module path
     */
    public BackendOptions withModulePath(String modulePath) {
        BackendOptions c = new BackendOptions(this);
        c.modulePath = modulePath;
        return c.checked();
    }

    /**
     * These options with {@code args} as the backend's JVM options, in place of the current ones.
     *
     * @param args the JVM options
     * @return these options with that changed
     */
    public BackendOptions withJvmArgs(List<String> args) {
        BackendOptions c = new BackendOptions(this);
        c.jvmArgs = List.copyOf(args);
        return c.checked();
    }

    /**
     * These options plus {@code more} JVM options at the end (later options win in the JVM).
     *
     * @param more the JVM options to add
     * @return these options with the options added
     */
    public BackendOptions withExtraJvmArgs(String... more) {
        List<String> all = new ArrayList<>(jvmArgs);
        all.addAll(List.of(more));
        return withJvmArgs(all);
    }

    /**
     * These options with another {@link #startTimeout()}.
     *
     * @param d how long {@code start()} waits for the backend
     * @return these options with that changed
     */
    public BackendOptions withStartTimeout(Duration d) {
        BackendOptions c = new BackendOptions(this);
        c.startTimeout = d;
        return c.checked();
    }

    /**
     * These options with another {@link #stopTimeout()}.
     *
     * @param d how long {@code waitStop()} waits before it kills the backend
     * @return these options with that changed
     */
    public BackendOptions withStopTimeout(Duration d) {
        BackendOptions c = new BackendOptions(this);
        c.stopTimeout = d;
        return c.checked();
    }

    /**
     * These options with another {@link #maxMessageBytes()}.
     *
     * @param max the largest encoded message either side accepts
     * @return these options with that changed
     */
    public BackendOptions withMaxMessageBytes(int max) {
        BackendOptions c = new BackendOptions(this);
        c.maxMessageBytes = max;
        return c.checked();
    }

    /**
     * These options with another {@link #returnCapacity()} (at least 1).
     *
     * @param capacity the bound
     * @return these options with another {@link #returnCapacity()} (at least 1)
     */
    public BackendOptions withReturnCapacity(int capacity) {
        BackendOptions c = new BackendOptions(this);
        c.returnCapacity = capacity;
        return c.checked();
    }

    /**
     * Runs backends with another {@code java} executable. Backends of another JDK
     * start without the class-data-sharing archive (it is made by, and for, the
     * JDK running this JVM) and without the JDK-specific start options.
     *
     * @param java the path of the {@code java} executable
     * @return these options with that executable
     */
    public BackendOptions withJavaCommand(String java) {
        BackendOptions c = new BackendOptions(this);
        c.javaCommand = java;
        return c.checked();
    }

    /**
     * Where the backend runs: null (the default) on this host, as a child of this
     * JVM; otherwise on a node of the cluster that this JVM joined through
     * {@code jvalkka.cluster.ClusterDriver}, chosen by the placement.
     *
     * @return the placement, or null for this host
     */
    public Placement placement() {
        return placement;
    }

    /**
     * These options with a {@link #placement()}: the backend starts on a node of
     * the cluster that the placement selects, instead of on this host.
     *
     * @param placement where the backend runs; null for this host
     * @return these options with that placement
     */
    public BackendOptions withPlacement(Placement placement) {
        BackendOptions c = new BackendOptions(this);
        c.placement = placement;
        return c.checked();
    }

    /**
     * How many warm backend JVMs {@code start()} keeps ready for processes with
     * these options (0, the default for a plain {@code MessageProcess}: none). A
     * warm JVM is a backend JVM started ahead of time with the same {@code java},
     * class path and JVM options, booted as far as it can be without a process
     * object, and then blocked (using no CPU) until a {@code start()} takes it:
     * {@code start()} then hands it the process object exactly as it would a fresh
     * JVM's, and returns in a few milliseconds instead of a JVM's start time. See
     * {@link WarmPool} for what a warm JVM costs and what it guarantees.
     *
     * @return the number of warm JVMs to keep ready, 0 for none
     */
    public int warmPool() {
        return Math.max(0, warmPool);
    }

    /**
     * These options with a warm pool of {@code n} JVMs (0 turns it off); see
     * {@link #warmPool()}. The pool is filled in the background after the first
     * {@code start()} with these options: that start, and any start while the
     * pool is empty, starts a JVM as without a pool.
     *
     * @param n how many warm JVMs to keep ready (0 to {@value WarmPool#MAX_PER_KIND})
     * @return these options with that pool
     * @throws IllegalArgumentException when {@code n} is out of range
     */
    public BackendOptions withWarmPool(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("a warm pool holds 0 or more JVMs, not " + n);
        }
        BackendOptions c = new BackendOptions(this);
        c.warmPool = n;
        return c.checked();
    }

    /**
     * These options with a warm pool of {@code n} JVMs unless a pool was chosen
     * with {@link #withWarmPool(int)} (0 included): how {@code ProcessQueue},
     * {@code Restarter} and {@code Parallelize}, which know they will start
     * replacements, give their workers a default pool that the user's choice
     * overrides.
     *
     * @param n the default pool
     * @return these options, or these options with a pool of {@code n}
     */
    public BackendOptions withWarmPoolDefault(int n) {
        return warmPool >= 0 ? this : withWarmPool(n);
    }
}
