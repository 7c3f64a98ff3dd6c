package jvalkka.sgn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvalkka.log.LogConfig;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.testing.JavaProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.Level;

/**
 * Per-element loggers and levels from the environment; the first three tests are SGN's
 * test_logger.py, translated (SGN's {@code configure_sgn_logging()} reading the variable is
 * {@link LogConfig#parseLevels} here; the variable itself is read in a fresh JVM below).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SgnLoggingTest {

    @AfterEach
    void restoreLevels() {
        LogConfig.setLevel("sgn", Level.WARN);
        LogConfig.setOutput(null);
    }

    @Test
    void aBareLevelSetsTheSgnLogger() {
        assertEquals(Map.of("sgn", Level.DEBUG), LogConfig.parseLevels("SGNLOGLEVEL", "DEBUG"));
    }

    @Test
    void aScopedLevelSetsTheChildOfTheSgnLogger() {
        assertEquals(Map.of("sgn.myelement", Level.DEBUG), LogConfig.parseLevels("SGNLOGLEVEL", "myelement:DEBUG"));
    }

    @Test
    void anInvalidLevelIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LogConfig.parseLevels("SGNLOGLEVEL", "INVALID"));
        assertEquals("SGNLOGLEVEL=\"INVALID\": invalid log level 'INVALID' in 'INVALID', choose from"
                + " [MEMPROF, TRACE, DEBUG, INFO, WARNING, WARN, ERROR, CRITICAL]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LogConfig.parseLevels("SGNLOGLEVEL", "pipeline:MEMPROF src:LOUD"));
        assertTrue(e.getMessage().contains("invalid log level 'LOUD' in 'src:LOUD'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogConfig.parseLevels("SGNLOGLEVEL", ":DEBUG"));
        assertTrue(e.getMessage().contains("malformed item ':DEBUG'"), e.getMessage());
    }

    @Test
    void severalItemsPythonsLevelNamesAndTheLibraryWideVariable() {
        Map<String, Level> levels = LogConfig.parseLevels("SGNLOGLEVEL", "pipeline:MEMPROF  source:INFO sink:warning"
                + " control:CRITICAL");
        assertEquals(List.of("sgn.pipeline", "sgn.source", "sgn.sink", "sgn.control"), List.copyOf(levels.keySet()));
        assertEquals(List.of(Level.TRACE, Level.INFO, Level.WARN, Level.ERROR), List.copyOf(levels.values()));
        assertEquals(Map.of("", Level.INFO, "jvalkka.pool", Level.DEBUG),
                LogConfig.parseLevels("JVALKKALOGLEVEL", "INFO jvalkka.pool:DEBUG"));
        assertThrows(IllegalArgumentException.class, () -> LogConfig.parseLevels("OTHER", "DEBUG"));
    }

    @Test
    void eachElementLogsAsSgnDotItsNameAtTheLevelSetForIt() {
        NullSink quiet = new NullSink("quiet", "in");
        NullSink chatty = new NullSink("chatty", "in");
        assertEquals("sgn.quiet", quiet.logger().getName());
        assertEquals("sgn.chatty", chatty.logger().getName());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogConfig.setOutput(new PrintStream(out, true, StandardCharsets.UTF_8));
        LogConfig.parseLevels("SGNLOGLEVEL", "WARNING chatty:DEBUG").forEach(LogConfig::setLevel);
        try {
            quiet.logger().debug("not shown");
            quiet.logger().warn("shown {}", 1);
            chatty.logger().debug("shown {}", 2);
        } finally {
            LogConfig.setLevel("sgn.chatty", Level.WARN);
        }
        assertEquals(List.of("sgn.quiet - WARNING - shown 1", "sgn.chatty - DEBUG - shown 2"),
                out.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void theEnvironmentVariableReachesElementLoggersInTheMainJvmAndInWorkerJvms() throws Exception {
        JavaProgram.Result r = JavaProgram.startWithEnvironment(SgnLoggingProgram.class,
                Map.of("SGNLOGLEVEL", "echo:DEBUG snk:INFO"), "workers").waitFor(90);
        assertEquals(0, r.exitCode(), r.output());
        Matcher main = Pattern.compile("main pid (\\d+)").matcher(r.output());
        assertTrue(main.find(), r.output());
        Matcher worker = Pattern.compile("sgn.echo - DEBUG - worker pid (\\d+) passes 1").matcher(r.output());
        assertTrue(worker.find(), "the worker JVM logs at the level the environment set:\n" + r.output());
        assertNotEquals(main.group(1), worker.group(1), "logged in the worker JVM, not the main one");
        r.assertLinesInOrder("sgn.echo - DEBUG - worker pid", "sgn.snk - INFO - end of stream", "done");
        assertFalse(r.output().contains("sgn.snk - DEBUG"), "snk is at INFO:\n" + r.output());
    }

    @Test
    void theLibraryWideVariableTakesFullLoggerNamesInBothJvms() throws Exception {
        JavaProgram.Result r = JavaProgram.startWithEnvironment(SgnLoggingProgram.class,
                Map.of("JVALKKALOGLEVEL", "sgn.echo:DEBUG sgn.pipeline:DEBUG"), "workers").waitFor(90);
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder("sgn.pipeline - DEBUG - execution order: ", "sgn.echo - DEBUG - worker pid",
                "sgn.pipeline - DEBUG - pipeline ran ", "done");
        assertFalse(r.output().contains("sgn.snk - INFO"), "snk stays at the root level, WARNING:\n" + r.output());
    }

    @Test
    void anInvalidLevelInTheEnvironmentStopsTheProgramAtItsFirstPipelineSayingWhy() throws Exception {
        JavaProgram.Result r = JavaProgram.startWithEnvironment(SgnLoggingProgram.class,
                Map.of("SGNLOGLEVEL", "INVALID"), "memprof").waitFor(60);
        assertNotEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("IllegalArgumentException: SGNLOGLEVEL=\"INVALID\": invalid log level"
                + " 'INVALID' in 'INVALID', choose from [MEMPROF"), r.output());
        assertFalse(r.output().contains("done"), r.output());
        Map<String, String> none = new HashMap<>();
        none.put("SGNLOGLEVEL", null);
        none.put("JVALKKALOGLEVEL", null);
        r = JavaProgram.startWithEnvironment(SgnLoggingProgram.class, none, "memprof").waitFor(60);
        assertEquals(0, r.exitCode(), r.output());
        assertFalse(r.output().contains("MEMPROF"), "no profile unless asked for:\n" + r.output());
        assertNull(LogConfig.environmentError(), "this test JVM has valid logging variables");
    }
}
