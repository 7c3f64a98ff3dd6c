package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvalkka.log.LogConfig;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.NullSource;
import jvalkka.testing.JavaProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.Level;

/** SGN's MEMPROF level: bytes allocated per loop and per element. The first test is test_profile.py. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MemProfileTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        LogConfig.setLevel("sgn.pipeline", Level.WARN);
        LogConfig.setOutput(null);
    }

    private void profileOn() {
        LogConfig.setOutput(new PrintStream(out, true, StandardCharsets.UTF_8));
        LogConfig.parseLevels("SGNLOGLEVEL", "pipeline:MEMPROF").forEach(LogConfig::setLevel);
    }

    private List<String> lines() {
        return out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("MEMPROF")).toList();
    }

    @Test
    void withPipelineAtMemprofEveryLoopIsProfiled() {
        profileOn();
        Pipeline p = new Pipeline();
        NullSource e1 = new NullSource("src1", "H1").numFrames(2);
        NullSink e2 = new NullSink(null, "H1");
        p.insert(Map.of(e2.snkPad("H1"), e1.srcPad("H1")), e1, e2);
        p.run();
        List<String> lines = lines();
        assertEquals(4, lines.size(), String.join("\n", lines));
        for (int loop = 1; loop <= 3; loop++) {
            assertTrue(lines.get(loop - 1).matches("sgn\\.pipeline - TRACE - MEMPROF loop " + loop + ": \\d+ bytes"
                    + " allocated \\(top: .*\\); \\d+ bytes since the run started; heap in use \\d+ KiB"),
                    lines.get(loop - 1));
        }
        assertTrue(lines.get(3).startsWith("sgn.pipeline - TRACE - MEMPROF run: 3 loops, "), lines.get(3));
        assertEquals(3, p.loops());
    }

    /** Makes a 1 MB array per frame. */
    static final class Big extends SourceElement {
        int n;

        Big() {
            super("big", "out");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame(new byte[1_000_000], ++n >= 3, false);
        }
    }

    @Test
    void theBytesAreCountedAndPutOnTheElementThatAllocatedThem() {
        profileOn();
        Pipeline p = new Pipeline().connect(new Big(), new NullSink("snk", "out"));
        p.run();
        Matcher m = Pattern.compile("MEMPROF loop 2: (\\d+) bytes allocated \\(top: big=(\\d+)").matcher(
                out.toString(StandardCharsets.UTF_8));
        assertTrue(m.find(), out.toString(StandardCharsets.UTF_8));
        long total = Long.parseLong(m.group(1));
        long big = Long.parseLong(m.group(2));
        assertTrue(big >= 1_000_000 && big < 1_100_000, "big allocated its 1 MB array and a frame: " + big);
        assertTrue(total >= big && total < big + 100_000, "the loop's total: " + total);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("MEMPROF run: 3 loops, "), out.toString());
    }

    @Test
    void withoutMemprofNothingIsProfiled() {
        LogConfig.setOutput(new PrintStream(out, true, StandardCharsets.UTF_8));
        LogConfig.setLevel("sgn.pipeline", Level.DEBUG);
        new Pipeline().connect(new Big(), new NullSink("snk", "out")).run();
        assertFalse(out.toString(StandardCharsets.UTF_8).contains("MEMPROF"), out.toString());
    }

    @Test
    void theEnvironmentVariableTurnsTheProfileOnWithoutCode() throws Exception {
        JavaProgram.Result r = JavaProgram.startWithEnvironment(SgnLoggingProgram.class,
                Map.of("SGNLOGLEVEL", "pipeline:MEMPROF"), "memprof").waitFor(60);
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder("sgn.pipeline - TRACE - MEMPROF loop 1: ", "MEMPROF loop 3: ", "MEMPROF run: 3 loops",
                "done");
    }
}
