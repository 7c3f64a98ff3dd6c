package jvalkka.sgn.sources;

import java.io.File;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import jvalkka.sgn.Frame;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;

/**
 * A source of process and system metrics (SGN's {@code StatsSource}): each frame's data is a
 * map with
 * <ul>
 * <li>{@code "process"}: this JVM: {@code pid}, {@code name}, {@code created} and
 * {@code running_time} (seconds), {@code cpu_percent} (CPU time used since the previous sample
 * over the wall time, in percent of one core: up to 100 × cores; 0.0 on the first sample),
 * {@code cpu_times} ({@code total} seconds), {@code num_threads} (operating-system threads),
 * {@code memory} ({@code rss}, {@code vms}, bytes), {@code memory_percent} (of physical memory),
 * {@code io} (bytes and calls read and written) where the system shows them, and {@code jvm}
 * (heap and non-heap use, Java threads, collections and their time);</li>
 * <li>{@code "workers"}: a list with the same process entries (without {@code jvm}) for every
 * child process of this JVM, the worker JVMs of {@code Parallelize*Element}s among them, each
 * with {@code worker}: its jvalkka process label ({@code WorkerProcess.worker-<element>} for
 * the worker of element {@code <element>}) or, for another child, its command;</li>
 * <li>{@code "system"}: {@code cpu} ({@code percent}, {@code count.logical},
 * {@code load_average}), {@code memory} ({@code total}, {@code available}, {@code free},
 * {@code used}, {@code percent}), {@code swap} ({@code total}, {@code free}, {@code used}),
 * {@code disk.usage} of {@code /} ({@code total}, {@code free}, {@code used}, {@code percent}),
 * {@code os} and {@code java_version};</li>
 * <li>{@code "timestamp"}: when the sample started, in seconds since the epoch, as a double.</li>
 * </ul>
 * The frame's metadata holds {@code stats_type = "system_metrics"}. A metric the system does not
 * show (no {@code /proc}, a permission, a process that has just ended) is left out rather than
 * failing the frame; a process whose {@code /proc} entry cannot be read at all gets
 * {@code limited_info = true} and an {@code error} (SGN's answer without psutil).
 *
 * <p><b>Rate.</b> With an {@link #interval(Duration) interval}, metrics are collected at most
 * once per interval; in between the source sends gap frames with empty data (SGN sends frames
 * with an empty dict). {@link #waitSeconds(double)} sleeps before every frame, so that a
 * pipeline made only of a stats source and a sink does not spin.
 *
 * <p><b>End.</b> EOS once {@link #requestEos()} was called, or, with {@link #eosOnSignal} (the
 * default), once SIGINT or SIGTERM arrived under a {@link SignalEOS} (a {@code Parallelize}
 * opens one).
 *
 * <p>Metrics come from the JVM's management beans and, on Linux, {@code /proc}; reading them
 * costs tens of microseconds per process, so keep an interval on a fast pipeline. Threading:
 * as every element, used by the pipeline's thread.
 */
public class StatsSource extends SourceElement {
    /** Makes the frame of each call (SGN's {@code frame_factory}). */
    @FunctionalInterface
    public interface FrameFactory {
        /**
         * Makes one frame of metrics.
         *
         * @param data the metrics
         * @param eos whether the frame ends the stream
         * @param metadata the frame's metadata
         * @return the frame
         */
        Frame make(Map<String, Object> data, boolean eos, Map<String, Object> metadata);
    }

    /** The default factory: a frame with {@code data} and {@code metadata}, a gap when {@code data} is empty. */
    public static final FrameFactory FRAME = (data, eos, metadata) -> new Frame(data, eos, data.isEmpty(), null,
            metadata);

    private static final Map<String, Object> METADATA = Map.of("stats_type", "system_metrics");

    private Duration interval;
    private boolean includeProcessStats = true;
    private boolean includeSystemStats = true;
    private boolean includeWorkerStats = true;
    private boolean eosOnSignal = true;
    private double waitSeconds;
    private FrameFactory frameFactory = FRAME;
    private volatile boolean eos;

    private final long pid = ProcessHandle.current().pid();
    /** Last CPU sample per pid: {cpu nanos, wall nanos}, for cpu_percent. */
    private final Map<Long, long[]> lastCpu = new HashMap<>();
    private long lastCollection;
    private boolean collectedOnce;

    // for tests: where /proc is, the clock of the interval, and the signal check
    Path procRoot = Path.of("/proc");
    LongSupplier nanoClock = System::nanoTime;
    BooleanSupplier signaled = SignalEOS::signaledEos;

    /**
     * A stats source with the given pads (SGN's examples use one pad, {@code "stats"}).
     *
     * @param name the name
     * @param sourcePadNames the names of its source pads
     */
    public StatsSource(String name, String... sourcePadNames) {
        super(name, sourcePadNames);
    }

    /**
     * A stats source with the given pads.
     *
     * @param name the name
     * @param sourcePadNames the names of its source pads
     */
    public StatsSource(String name, List<String> sourcePadNames) {
        super(name, sourcePadNames);
    }

    // ------------------------------------------------------------------ settings

    /**
     * Collects at most once per {@code interval}; null (the default): on every frame. Returns this.
     *
     * @param interval the time between collections, or null for every call
     * @return this
     */
    public StatsSource interval(Duration interval) {
        if (interval != null && interval.isNegative()) {
            throw new IllegalArgumentException("interval must not be negative: " + interval);
        }
        this.interval = interval;
        return this;
    }

    /**
     * {@link #interval(Duration)} in seconds, as SGN's {@code interval}; a negative value for none.
     *
     * @param seconds the time in seconds
     * @return this
     */
    public StatsSource interval(double seconds) {
        return interval(seconds < 0 ? null : Duration.ofNanos((long) (seconds * 1e9)));
    }

    /**
     * The interval, or null.
     *
     * @return the interval, or null
     */
    public Duration interval() {
        return interval;
    }

    /**
     * Whether to include this JVM's metrics ({@code "process"}; default true). Returns this.
     *
     * @param include whether to include them
     * @return this
     */
    public StatsSource includeProcessStats(boolean include) {
        includeProcessStats = include;
        return this;
    }

    /** {@return whether this JVM's metrics are included} */
    public boolean includeProcessStats() {
        return includeProcessStats;
    }

    /**
     * Whether to include system-wide metrics ({@code "system"}; default true). Returns this.
     *
     * @param include whether to include them
     * @return this
     */
    public StatsSource includeSystemStats(boolean include) {
        includeSystemStats = include;
        return this;
    }

    /** {@return whether system-wide metrics are included} */
    public boolean includeSystemStats() {
        return includeSystemStats;
    }

    /**
     * Whether to include the metrics of child processes, worker JVMs among them ({@code "workers"}; default true).
     *
     * @param include whether to include them
     * @return this
     */
    public StatsSource includeWorkerStats(boolean include) {
        includeWorkerStats = include;
        return this;
    }

    /** {@return whether the metrics of child processes are included} */
    public boolean includeWorkerStats() {
        return includeWorkerStats;
    }

    /**
     * Whether SIGINT/SIGTERM under a {@link SignalEOS} ends the stream (default true). Returns this.
     *
     * @param eosOnSignal whether a signal ends the stream
     * @return this
     */
    public StatsSource eosOnSignal(boolean eosOnSignal) {
        this.eosOnSignal = eosOnSignal;
        return this;
    }

    /** {@return whether a signal ends the stream} */
    public boolean eosOnSignal() {
        return eosOnSignal;
    }

    /**
     * Sleeps this long before every frame (SGN's {@code wait}; 0, the default: not at all). Returns this.
     *
     * @param seconds the sleep in seconds (0: none)
     * @return this
     */
    public StatsSource waitSeconds(double seconds) {
        if (!(seconds >= 0)) {
            throw new IllegalArgumentException("waitSeconds must be 0 or more, not " + seconds);
        }
        waitSeconds = seconds;
        return this;
    }

    /**
     * {@link #waitSeconds(double)} with a {@link Duration}.
     *
     * @param wait the sleep before every frame (zero: none)
     * @return this
     */
    public StatsSource waitSeconds(Duration wait) {
        return waitSeconds(jvalkka.internal.Seconds.of(wait));
    }

    /** {@return the sleep before every frame, in seconds} */
    public double waitSeconds() {
        return waitSeconds;
    }

    /**
     * How frames are made (default {@link #FRAME}). Returns this.
     *
     * @param factory the factory
     * @return this
     */
    public StatsSource frameFactory(FrameFactory factory) {
        if (factory == null) {
            throw new IllegalArgumentException("frameFactory must not be null");
        }
        frameFactory = factory;
        return this;
    }

    /** {@return how frames are made} */
    public FrameFactory frameFactory() {
        return frameFactory;
    }

    /** Ends the stream: the next frame is EOS (SGN's {@code _eos}). Safe from any thread. */
    public void requestEos() {
        eos = true;
    }

    // ------------------------------------------------------------------ the frames

    /**
     * Whether it is time to collect (SGN's {@code should_collect_stats}): always without an
     * interval; otherwise on the first call and once an interval has passed since the last
     * collection. A true answer starts a new interval.
     *
     * @return whether it is time to collect (SGN's {@code should_collect_stats}): always without an interval; otherwise on the first call and once an interval has passed since the last collection
     */
    public boolean shouldCollectStats() {
        long now = nanoClock.getAsLong();
        if (interval == null || !collectedOnce || now - lastCollection >= interval.toNanos()) {
            lastCollection = now;
            collectedOnce = true;
            return true;
        }
        return false;
    }

    /**
     * Whether the stream ends now (SGN's {@code check_eos}): {@link #requestEos()}, or a signal.
     *
     * @return whether the stream ends now (SGN's {@code check_eos}): {@link #requestEos()}, or a signal
     */
    public boolean checkEos() {
        return eos || (eosOnSignal && signaled.getAsBoolean());
    }

    @Override
    public Frame newFrame(SourcePad pad) throws InterruptedException {
        if (waitSeconds > 0) {
            Thread.sleep((long) (waitSeconds * 1000), (int) ((waitSeconds * 1e9) % 1_000_000));
        }
        Map<String, Object> stats = new LinkedHashMap<>();
        if (shouldCollectStats()) {
            double timestamp = Instant.now().toEpochMilli() / 1000.0; // when the sample starts, once per interval
            if (includeProcessStats) {
                stats.put("process", collectProcessStats());
            }
            if (includeWorkerStats) {
                stats.put("workers", collectWorkerStats());
            }
            if (includeSystemStats) {
                stats.put("system", collectSystemStats());
            }
            stats.put("timestamp", timestamp);
        }
        return frameFactory.make(stats, checkEos(), METADATA);
    }

    // ------------------------------------------------------------------ collecting

    /**
     * This JVM's metrics (the {@code "process"} entry).
     *
     * @return this JVM's metrics (the {@code "process"} entry)
     */
    public Map<String, Object> collectProcessStats() {
        Map<String, Object> stats = processStats(ProcessHandle.current());
        Map<String, Object> jvm = new LinkedHashMap<>();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
        jvm.put("heap_used", heap.getUsed());
        jvm.put("heap_committed", heap.getCommitted());
        jvm.put("heap_max", heap.getMax());
        jvm.put("nonheap_used", nonHeap.getUsed());
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        jvm.put("threads", threads.getThreadCount());
        jvm.put("daemon_threads", threads.getDaemonThreadCount());
        jvm.put("peak_threads", threads.getPeakThreadCount());
        long gcCount = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        jvm.put("gc_count", gcCount);
        jvm.put("gc_time_ms", gcMillis);
        stats.put("jvm", jvm);
        if (!stats.containsKey("num_threads")) {
            stats.put("num_threads", threads.getThreadCount()); // no /proc: the Java threads at least
        }
        return stats;
    }

    /**
     * The metrics of every live child process of this JVM (the {@code "workers"} entry): the
     * worker JVMs of {@code Parallelize*Element}s, and any other child.
     *
     * @return the metrics of every live child process of this JVM (the {@code "workers"} entry): the worker JVMs of {@code Parallelize*Element}s, and any other child
     */
    public List<Map<String, Object>> collectWorkerStats() {
        List<Map<String, Object>> out = new ArrayList<>();
        List<Long> alive = new ArrayList<>();
        ProcessHandle.current().children().filter(ProcessHandle::isAlive).forEach(child -> {
            Map<String, Object> stats = processStats(child);
            stats.put("worker", workerName(child));
            out.add(stats);
            alive.add(child.pid());
        });
        lastCpu.keySet().removeIf(p -> p != pid && !alive.contains(p)); // forget ended workers
        return out;
    }

    /**
     * The child's {@code -Djvalkka.process=} label, else its command's file name. Read from
     * {@code /proc/<pid>/cmdline}: {@code ProcessHandle.Info.arguments()} is empty when the
     * arguments pass a page, as a backend's class path of repository jars easily does.
     */
    private static String workerName(ProcessHandle h) {
        try {
            byte[] raw = java.nio.file.Files.readAllBytes(Path.of("/proc/" + h.pid() + "/cmdline"));
            for (String arg : new String(raw, java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
                if (arg.startsWith("-Djvalkka.process=")) {
                    return arg.substring("-Djvalkka.process=".length());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // gone, or not ours to read: fall back to the command's name
        }
        return h.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("?");
    }

    /** Metrics of one process; those that cannot be read are left out. */
    Map<String, Object> processStats(ProcessHandle h) {
        Map<String, Object> stats = new LinkedHashMap<>();
        long p = h.pid();
        stats.put("pid", p);
        ProcessHandle.Info info = h.info();
        String command = info.command().orElse(null);
        if (command != null) {
            stats.put("name", Path.of(command).getFileName().toString());
        }
        Optional<Instant> start = info.startInstant();
        start.ifPresent(s -> {
            stats.put("created", s.toEpochMilli() / 1000.0);
            stats.put("running_time", Duration.between(s, Instant.now()).toMillis() / 1000.0);
        });
        Optional<Duration> cpu = info.totalCpuDuration();
        if (cpu.isPresent()) {
            long cpuNanos = cpu.get().toNanos();
            long wall = System.nanoTime();
            long[] last = lastCpu.put(p, new long[] {cpuNanos, wall});
            double percent = last == null || wall == last[1] ? 0.0 : 100.0 * (cpuNanos - last[0]) / (wall - last[1]);
            stats.put("cpu_percent", Math.max(0.0, percent));
            stats.put("cpu_times", Map.of("total", cpuNanos / 1e9));
        }
        Map<String, Long> status = readKeyValues(procRoot.resolve(Long.toString(p)).resolve("status"));
        if (status == null) {
            stats.put("limited_info", true);
            stats.put("error", "cannot read " + procRoot.resolve(Long.toString(p)).resolve("status")
                    + ": memory and thread counts need Linux's /proc");
            return stats;
        }
        if (status.containsKey("Threads")) {
            stats.put("num_threads", status.get("Threads"));
        }
        if (status.containsKey("VmRSS") && status.containsKey("VmSize")) {
            long rss = status.get("VmRSS") * 1024;
            stats.put("memory", Map.of("rss", rss, "vms", status.get("VmSize") * 1024));
            long total = physicalMemory();
            if (total > 0) {
                stats.put("memory_percent", 100.0 * rss / total);
            }
        }
        Map<String, Long> io = readKeyValues(procRoot.resolve(Long.toString(p)).resolve("io"));
        if (io != null && io.containsKey("read_bytes")) {
            stats.put("io", Map.of("read_count", io.getOrDefault("syscr", 0L), "write_count",
                    io.getOrDefault("syscw", 0L), "read_bytes", io.get("read_bytes"), "write_bytes",
                    io.getOrDefault("write_bytes", 0L)));
        }
        return stats;
    }

    /**
     * System-wide metrics (the {@code "system"} entry).
     *
     * @return the system-wide metrics
     */
    public Map<String, Object> collectSystemStats() {
        Map<String, Object> stats = new LinkedHashMap<>();
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        Map<String, Object> cpu = new LinkedHashMap<>();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            double load = sun.getCpuLoad();
            if (load >= 0) {
                cpu.put("percent", 100.0 * load);
            }
        }
        cpu.put("count", Map.of("logical", Runtime.getRuntime().availableProcessors()));
        double loadAverage = os.getSystemLoadAverage();
        if (loadAverage >= 0) {
            cpu.put("load_average", loadAverage);
        }
        stats.put("cpu", cpu);
        Map<String, Long> meminfo = readKeyValues(procRoot.resolve("meminfo"));
        if (meminfo != null && meminfo.containsKey("MemTotal")) {
            long total = meminfo.get("MemTotal") * 1024;
            long free = meminfo.getOrDefault("MemFree", 0L) * 1024;
            long available = meminfo.getOrDefault("MemAvailable", meminfo.getOrDefault("MemFree", 0L)) * 1024;
            stats.put("memory", memory(total, available, free));
            long swapTotal = meminfo.getOrDefault("SwapTotal", 0L) * 1024;
            long swapFree = meminfo.getOrDefault("SwapFree", 0L) * 1024;
            stats.put("swap", Map.of("total", swapTotal, "free", swapFree, "used", swapTotal - swapFree));
        } else if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            long total = sun.getTotalMemorySize();
            long free = sun.getFreeMemorySize();
            stats.put("memory", memory(total, free, free));
            long swapTotal = sun.getTotalSwapSpaceSize();
            long swapFree = sun.getFreeSwapSpaceSize();
            stats.put("swap", Map.of("total", swapTotal, "free", swapFree, "used", swapTotal - swapFree));
        }
        File root = new File("/");
        long diskTotal = root.getTotalSpace();
        if (diskTotal > 0) {
            long diskFree = root.getUsableSpace();
            stats.put("disk", Map.of("usage", Map.of("total", diskTotal, "free", diskFree, "used",
                    diskTotal - diskFree, "percent", 100.0 * (diskTotal - diskFree) / diskTotal)));
        }
        stats.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        stats.put("java_version", Runtime.version().toString());
        return stats;
    }

    private static Map<String, Object> memory(long total, long available, long free) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total", total);
        m.put("available", available);
        m.put("free", free);
        m.put("used", total - available);
        m.put("percent", total > 0 ? 100.0 * (total - available) / total : 0.0);
        return m;
    }

    private long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return -1;
    }

    /**
     * Reads a {@code /proc} file of {@code Key: value [kB]} (or {@code key: value}) lines into
     * numbers, skipping lines whose value is not a number; null if the file cannot be read.
     */
    static Map<String, Long> readKeyValues(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException e) {
            return null;
        }
        Map<String, Long> out = new HashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String value = line.substring(colon + 1).trim();
            int space = value.indexOf(' ');
            if (space > 0) {
                value = value.substring(0, space);
            }
            try {
                out.put(line.substring(0, colon).trim(), Long.parseLong(value));
            } catch (NumberFormatException e) {
                // not a number (a name, a list): not a metric
            }
        }
        return out;
    }
}
