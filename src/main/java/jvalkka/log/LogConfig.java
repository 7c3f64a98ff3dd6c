package jvalkka.log;

import java.io.PrintStream;
import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.event.Level;

/**
 * Levels for jvalkka's console logging binding ({@link ValkkaServiceProvider}),
 * keyed by logger-name prefix the way Python's logging hierarchy works: the level
 * set for {@code "MyProcess"} applies to {@code "MyProcess.my-process"}.
 *
 * <p>Lines read like valkka's: {@code MyProcess.my-process - INFO - c__ping: ...},
 * on standard error. The root level is {@code WARN}, as in Python.
 *
 * <p>A backend JVM receives a {@link #snapshot()} of its frontend's levels at
 * start, so that {@code formatLogger} before {@code start()} holds in the backend
 * as it would after a fork. Thread-safe.
 */
public final class LogConfig {
    private static final Map<String, Level> LEVELS = new ConcurrentHashMap<>();
    private static volatile Level root = Level.WARN;
    private static volatile int generation;
    private static volatile PrintStream out;

    private LogConfig() {
    }

    /** Sets the level of {@code prefix} and the loggers below it ({@code prefix.*}). */
    public static void setLevel(String prefix, Level level) {
        if (prefix == null || prefix.isEmpty()) {
            root = level;
        } else {
            LEVELS.put(prefix, level);
        }
        generation++;
    }

    /** The effective level of a logger name: the longest configured prefix wins. */
    public static Level levelOf(String name) {
        String n = name;
        while (true) {
            Level l = LEVELS.get(n);
            if (l != null) {
                return l;
            }
            int dot = n.lastIndexOf('.');
            if (dot < 0) {
                return root;
            }
            n = n.substring(0, dot);
        }
    }

    static int generation() {
        return generation;
    }

    static PrintStream out() {
        PrintStream o = out;
        return o != null ? o : System.err; // read each time: a backend swaps System.err at start
    }

    /** Redirects the output (tests); {@code null} restores standard error. */
    public static void setOutput(PrintStream stream) {
        out = stream;
    }

    /** Whether SLF4J is bound to this binding (otherwise levels belong to the user's logging framework). */
    public static boolean isActive() {
        return org.slf4j.LoggerFactory.getILoggerFactory() instanceof ValkkaLoggerFactory;
    }

    /** The configuration, to carry into a backend JVM. */
    public static Snapshot snapshot() {
        return new Snapshot(Map.copyOf(LEVELS), root);
    }

    /** Applies a snapshot taken in another JVM. */
    public static void apply(Snapshot s) {
        LEVELS.clear();
        LEVELS.putAll(s.levels());
        root = s.root();
        generation++;
    }

    /** A copy of the levels, serializable across JVMs. */
    public record Snapshot(Map<String, Level> levels, Level root) implements Serializable {
        /**
         * {@code root=WARN;MyProcess=INFO;...}: a backend reads this at start without
         * Java serialization (deserializing a record spins method handles, which costs
         * every backend a few milliseconds of CPU).
         */
        public String encode() {
            StringBuilder b = new StringBuilder("=").append(root.name());
            levels.forEach((k, v) -> b.append(';').append(k).append('=').append(v.name()));
            return b.toString();
        }

        public static Snapshot decode(String s) {
            Map<String, Level> levels = new java.util.HashMap<>();
            Level root = Level.WARN;
            for (String part : s.split(";")) {
                int eq = part.lastIndexOf('=');
                if (eq < 0) {
                    continue;
                }
                Level l = Level.valueOf(part.substring(eq + 1));
                if (eq == 0) {
                    root = l;
                } else {
                    levels.put(part.substring(0, eq), l);
                }
            }
            return new Snapshot(levels, root);
        }
    }
}
