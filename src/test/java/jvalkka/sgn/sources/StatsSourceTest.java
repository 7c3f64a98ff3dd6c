package jvalkka.sgn.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SGN's {@code test_stats_source.py}, case by case, for {@link StatsSource}. Where SGN mocks
 * psutil, these point the source at a {@code /proc} of their own (a temporary directory); where
 * SGN sleeps through an interval, they drive the interval's clock.
 */
@Timeout(60)
class StatsSourceTest {
    @TempDir
    Path tmp;

    static final long PID = ProcessHandle.current().pid();

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    // ------------------------------------------------------------------ basic (TestStatsSourceBasic)

    @Test
    void itStartsWithSgnsDefaultsAndKeepsItsSettings() {
        StatsSource s = new StatsSource("test_stats", "stats");
        assertEquals(null, s.interval());
        assertTrue(s.includeProcessStats());
        assertTrue(s.includeSystemStats());
        assertTrue(s.includeWorkerStats());
        assertSame(StatsSource.FRAME, s.frameFactory());
        assertTrue(s.eosOnSignal());
        assertEquals(0.0, s.waitSeconds());
        s.interval(1.0).includeProcessStats(false).includeSystemStats(false).eosOnSignal(false).waitSeconds(0.5);
        assertEquals(Duration.ofSeconds(1), s.interval());
        assertFalse(s.includeProcessStats());
        assertFalse(s.includeSystemStats());
        assertFalse(s.eosOnSignal());
        assertEquals(0.5, s.waitSeconds());
        assertThrows(IllegalArgumentException.class, () -> s.waitSeconds(-1));
        assertThrows(IllegalArgumentException.class, () -> s.interval(Duration.ofSeconds(-1)));
    }

    @Test
    void withoutAnIntervalEveryCallCollects() {
        StatsSource s = new StatsSource("test_stats", "stats");
        assertTrue(s.shouldCollectStats());
        assertTrue(s.shouldCollectStats(), "the second call too");
    }

    @Test
    void withAnIntervalItCollectsOncePerInterval() {
        long[] now = {1_000_000_000L};
        StatsSource s = new StatsSource("test_stats", "stats").interval(1.0);
        s.nanoClock = () -> now[0];
        assertTrue(s.shouldCollectStats(), "the first call collects");
        assertFalse(s.shouldCollectStats(), "a second call within the interval does not");
        now[0] += 999_000_000L;
        assertFalse(s.shouldCollectStats());
        now[0] += 1_000_000L;
        assertTrue(s.shouldCollectStats(), "once the interval has passed, it collects again");
        assertFalse(s.shouldCollectStats());
    }

    @Test
    void newFrameReturnsAFrameWithAMapATimestampAndItsMetadata() throws Exception {
        StatsSource s = new StatsSource("test_stats", "stats");
        s.signaled = () -> false;
        Frame f = s.newFrame(s.srcs().get("stats"));
        assertInstanceOf(Map.class, f.data());
        Map<String, Object> data = map(f.data());
        assertTrue(data.containsKey("timestamp"));
        double ts = (Double) data.get("timestamp");
        assertTrue(Math.abs(ts - System.currentTimeMillis() / 1000.0) < 60, "seconds since the epoch: " + ts);
        assertEquals("system_metrics", f.metadata().get("stats_type"));
        assertFalse(f.isEOS());
        assertFalse(f.isGap());
        assertTrue(data.containsKey("process") && data.containsKey("system") && data.containsKey("workers"), data.keySet()
                .toString());
    }

    @Test
    void betweenCollectionsItSendsGapsWithEmptyData() throws Exception {
        long[] now = {0};
        StatsSource s = new StatsSource("test_stats", "stats").interval(Duration.ofSeconds(5));
        s.nanoClock = () -> now[0];
        s.signaled = () -> false;
        assertFalse(s.newFrame(s.srcs().get("stats")).isGap());
        Frame between = s.newFrame(s.srcs().get("stats"));
        assertTrue(between.isGap());
        assertEquals(Map.of(), between.data());
        assertEquals("system_metrics", between.metadata().get("stats_type"));
    }

    @Test
    void itRunsInAPipelineRateLimitedUntilItsStreamEnds() {
        StatsSource s = new StatsSource("stats_source", "stats").interval(0.05);
        assertEquals(1, s.srcs().size());
        assertTrue(s.srcs().get("stats").name().endsWith("stats"));
        List<Frame> got = new ArrayList<>();
        int[] gaps = {0};
        boolean[] eos = {false};
        SinkElement sink = new SinkElement("snk", "in") {
            @Override
            public void pull(SinkPad pad, Frame frame) {
                if (frame.isGap()) {
                    gaps[0]++;
                } else {
                    got.add(frame);
                    if (got.size() == 3) {
                        s.requestEos();
                    }
                }
                if (frame.isEOS()) {
                    eos[0] = true;
                    markEos(pad);
                }
            }
        };
        new Pipeline().connect(s, sink).run(Duration.ofSeconds(30));
        assertTrue(got.size() == 3 || got.size() == 4 && got.get(3).isEOS(), "the frame after requestEos is the last");
        assertTrue(eos[0]);
        for (int i = 1; i < 3; i++) {
            double a = (Double) map(got.get(i - 1).data()).get("timestamp");
            double b = (Double) map(got.get(i).data()).get("timestamp");
            assertTrue(b - a >= 0.049, "collected at most once per interval: " + a + " then " + b);
        }
        assertTrue(gaps[0] > 0, "gaps in between");
    }

    // ------------------------------------------------------------------ process stats (TestProcessStats)

    @Test
    void thisJvmsMetricsAreThere() {
        Map<String, Object> p = new StatsSource("test", "out").collectProcessStats();
        assertEquals(PID, p.get("pid"));
        assertTrue((Double) p.get("running_time") >= 0);
        assertTrue((Integer) map(p.get("jvm")).get("threads") > 0);
        assertTrue((Long) map(p.get("jvm")).get("heap_used") > 0);
        assertTrue(p.containsKey("cpu_percent"));
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            assertTrue((Long) map(p.get("memory")).get("rss") > 0, p.toString());
            assertTrue((Long) p.get("num_threads") > 0, p.toString());
            assertTrue((Double) p.get("memory_percent") > 0, p.toString());
        }
    }

    @Test
    void withoutProcTheProcessEntryIsLimitedAndSaysWhy() {
        StatsSource s = new StatsSource("test", "out");
        s.procRoot = tmp; // an empty /proc: SGN's case without psutil
        Map<String, Object> p = s.collectProcessStats();
        assertEquals(true, p.get("limited_info"));
        assertTrue(((String) p.get("error")).contains("/proc"), p.toString());
        assertEquals(PID, p.get("pid"));
        assertFalse(p.containsKey("memory"));
        assertNotNull(p.get("jvm"), "the JVM's own figures need no /proc");
        assertTrue((Integer) p.get("num_threads") > 0, "the Java threads at least");
    }

    @Test
    void metricsThatCannotBeReadAreLeftOut() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(Long.toString(PID)));
        Files.writeString(dir.resolve("status"), "Name:\tjava\nState:\tR (running)\nThreads:\t7\n");
        StatsSource s = new StatsSource("test", "out");
        s.procRoot = tmp;
        Map<String, Object> p = s.collectProcessStats();
        assertEquals(7L, p.get("num_threads"));
        assertFalse(p.containsKey("memory"), "no VmRSS line");
        assertFalse(p.containsKey("memory_percent"));
        assertFalse(p.containsKey("io"), "no io file");
        assertFalse(p.containsKey("limited_info"));
    }

    @Test
    void ioAndMemoryAreIncludedWhenTheSystemShowsThem() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(Long.toString(PID)));
        Files.writeString(dir.resolve("status"), "Threads:\t4\nVmSize:\t    2048 kB\nVmRSS:\t    1024 kB\n");
        Files.writeString(dir.resolve("io"),
                "rchar: 1\nwchar: 2\nsyscr: 100\nsyscw: 50\nread_bytes: 1024\nwrite_bytes: 512\n");
        StatsSource s = new StatsSource("test", "out");
        s.procRoot = tmp;
        Map<String, Object> p = s.collectProcessStats();
        assertEquals(Map.of("rss", 1024L * 1024, "vms", 2048L * 1024), p.get("memory"));
        Map<String, Object> io = map(p.get("io"));
        assertEquals(100L, io.get("read_count"));
        assertEquals(50L, io.get("write_count"));
        assertEquals(1024L, io.get("read_bytes"));
        assertEquals(512L, io.get("write_bytes"));
    }

    @Test
    void cpuPercentComesFromTheCpuTimeUsedSinceTheLastSample() {
        StatsSource s = new StatsSource("test", "out");
        assertEquals(0.0, s.collectProcessStats().get("cpu_percent"), "no earlier sample");
        long until = System.nanoTime() + 200_000_000L;
        long x = 0;
        while (System.nanoTime() < until) {
            x += until % 7; // keep one core busy
        }
        double percent = (Double) s.collectProcessStats().get("cpu_percent");
        assertTrue(percent > 0 && percent <= 100.0 * Runtime.getRuntime().availableProcessors() + 1,
                percent + " " + x);
    }

    // ------------------------------------------------------------------ system stats (TestSystemStats)

    @Test
    void systemMetricsAreThere() {
        Map<String, Object> sys = new StatsSource("test", "out").collectSystemStats();
        Map<String, Object> cpu = map(sys.get("cpu"));
        assertEquals(Runtime.getRuntime().availableProcessors(), map(cpu.get("count")).get("logical"));
        assertTrue((Long) map(sys.get("memory")).get("total") > 0, sys.toString());
        assertNotNull(sys.get("swap"));
        assertTrue((Long) map(map(sys.get("disk")).get("usage")).get("total") > 0);
        assertNotNull(sys.get("os"));
        assertNotNull(sys.get("java_version"));
    }

    @Test
    void memoryAndSwapAreReadFromMeminfo() throws Exception {
        Files.writeString(tmp.resolve("meminfo"), "MemTotal:       16000000 kB\nMemFree:         2000000 kB\n"
                + "MemAvailable:    8000000 kB\nSwapTotal:       8000000 kB\nSwapFree:        7000000 kB\n");
        StatsSource s = new StatsSource("test", "out");
        s.procRoot = tmp;
        Map<String, Object> sys = s.collectSystemStats();
        Map<String, Object> memory = map(sys.get("memory"));
        assertEquals(16_000_000L * 1024, memory.get("total"));
        assertEquals(8_000_000L * 1024, memory.get("available"));
        assertEquals(50.0, (Double) memory.get("percent"), 1e-9);
        assertEquals(Map.of("total", 8_000_000L * 1024, "free", 7_000_000L * 1024, "used", 1_000_000L * 1024),
                sys.get("swap"));
    }

    @Test
    void withoutMeminfoMemoryComesFromTheJvm() {
        StatsSource s = new StatsSource("test", "out");
        s.procRoot = tmp;
        Map<String, Object> sys = s.collectSystemStats();
        assertTrue((Long) map(sys.get("memory")).get("total") > 0, sys.toString());
        assertNotNull(sys.get("os"));
        assertNotNull(sys.get("java_version"));
    }

    // ------------------------------------------------------------------ EOS (TestEOSHandling)

    @Test
    void requestEosEndsTheStream() throws Exception {
        StatsSource s = new StatsSource("test", "out");
        s.signaled = () -> false;
        assertFalse(s.checkEos());
        s.requestEos();
        assertTrue(s.checkEos());
        assertTrue(s.newFrame(s.srcs().get("out")).isEOS());
    }

    @Test
    void aSignalEndsTheStreamUnlessEosOnSignalIsOff() {
        boolean[] signal = {true};
        StatsSource s = new StatsSource("test", "out");
        s.signaled = () -> signal[0];
        assertTrue(s.checkEos());
        signal[0] = false;
        assertFalse(s.checkEos());
        signal[0] = true;
        s.eosOnSignal(false);
        assertFalse(s.checkEos());
    }

    @Test
    void aRealSigintUnderSignalEosEndsTheStream() throws Exception {
        StatsSource s = new StatsSource("test", "out").includeSystemStats(false).includeWorkerStats(false);
        try (SignalEOS signals = new SignalEOS()) {
            assertFalse(s.newFrame(s.srcs().get("out")).isEOS());
            sun.misc.Signal.raise(new sun.misc.Signal("INT")); // handled by SignalEOS: only a flag
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!SignalEOS.signaledEos() && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // the handler runs on the JVM's signal thread
            }
            assertTrue(s.newFrame(s.srcs().get("out")).isEOS());
        }
    }

    // ------------------------------------------------------------------ misc (TestMiscFeatures)

    @Test
    void waitSecondsSleepsBeforeEveryFrame() throws Exception {
        StatsSource s = new StatsSource("test", "out").waitSeconds(0.1).includeSystemStats(false)
                .includeWorkerStats(false);
        s.signaled = () -> false;
        long start = System.nanoTime();
        s.newFrame(s.srcs().get("out"));
        s.newFrame(s.srcs().get("out"));
        assertTrue(System.nanoTime() - start >= 200_000_000L);
    }

    @Test
    void aFrameFactoryMakesTheFrames() throws Exception {
        StatsSource s = new StatsSource("test", "out").includeSystemStats(false)
                .frameFactory((data, eos, metadata) -> new Frame(data.keySet(), eos, false));
        s.signaled = () -> false;
        Frame f = s.newFrame(s.srcs().get("out"));
        assertEquals(List.of("process", "workers", "timestamp"), new ArrayList<>((java.util.Set<?>) f.data()));
        assertThrows(IllegalArgumentException.class, () -> s.frameFactory(null));
    }
}
