package jvalkka.log;

import java.io.PrintStream;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 *
 * <h2>Levels from the environment, without code</h2>
 * Two variables are read when this class loads, in every JVM (a backend also receives the
 * frontend's levels in its snapshot, so both agree):
 * <ul>
 * <li>{@value #SGN_VARIABLE}, SGN's syntax: space-separated items {@code LEVEL} (the
 *     {@code "sgn"} logger) or {@code child:LEVEL} (the {@code "sgn.child"} logger), e.g.
 *     {@code SGNLOGLEVEL="pipeline:MEMPROF myelement:DEBUG"}. The SGN layer's loggers are
 *     {@code sgn.pipeline}, {@code sgn.control} and {@code sgn.<element name>} per element.</li>
 * <li>{@value #JVALKKA_VARIABLE}, the same syntax for the whole library: {@code LEVEL} sets
 *     the root level, {@code name:LEVEL} the logger {@code name} and those below it (e.g.
 *     {@code JVALKKALOGLEVEL="jvalkka.pool:DEBUG MyProcess:INFO"}).</li>
 * </ul>
 * Level names: {@link #LEVEL_NAMES}, any case. {@code MEMPROF} (SGN's memory-profiling level,
 * below {@code DEBUG}) is SLF4J's {@code TRACE}; {@code WARNING} is {@code WARN} and
 * {@code CRITICAL} is {@code ERROR}, as in Python. A variable with an invalid item is applied
 * not at all: {@link #environmentError()} says why, and {@link #checkEnvironment()} (which
 * {@code new Pipeline()} calls) throws it.
 */
public final class LogConfig {
    /** SGN's variable: levels of the {@code "sgn"} logger and its children. */
    public static final String SGN_VARIABLE = "SGNLOGLEVEL";
    /** Levels of any logger of the library, in the same syntax. */
    public static final String JVALKKA_VARIABLE = "JVALKKALOGLEVEL";
    /** The level names {@link #parseLevels} accepts, as SGN lists them, plus SLF4J's. */
    public static final List<String> LEVEL_NAMES =
            List.of("MEMPROF", "TRACE", "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL");

    private static final Map<String, Level> LEVELS = new ConcurrentHashMap<>();
    /** Full logger name to the short form jvalkka's binding prints (see {@link #loggerName}). */
    private static final Map<String, String> SHORT_NAMES = new ConcurrentHashMap<>();
    private static volatile Level root = Level.WARN;
    private static volatile int generation;
    private static volatile PrintStream out;
    private static final String ENVIRONMENT_ERROR;

    static {
        String error = null;
        for (String variable : List.of(JVALKKA_VARIABLE, SGN_VARIABLE)) { // SGN's wins for "sgn" names
            String value = System.getenv(variable);
            if (value != null) {
                try {
                    parseLevels(variable, value).forEach(LogConfig::setLevel);
                } catch (IllegalArgumentException e) {
                    error = error == null ? e.getMessage() : error + "; " + e.getMessage();
                }
            }
        }
        ENVIRONMENT_ERROR = error;
    }

    private LogConfig() {
    }

    /**
     * Sets the level of {@code prefix} and the loggers below it ({@code prefix.*}).
     *
     * @param prefix the logger name, or a prefix of names
     * @param level the level
     */
    public static void setLevel(String prefix, Level level) {
        if (prefix == null || prefix.isEmpty()) {
            root = level;
        } else {
            LEVELS.put(prefix, level);
        }
        generation++;
    }

    /**
     * The name of the logger of {@code cls} (and of one named instance of it, e.g. a process):
     * the class's fully qualified name, then {@code "." + instance}, as {@code
     * com.acme.Squarer.sq-0}, so that any logging framework's configuration can address it by
     * package or class. jvalkka's binding prints it in valkka's short form, the simple class name
     * then the instance ({@code Squarer.sq-0}), and a level set for that short form applies too.
     *
     * @param cls the class
     * @param instance the instance name, or null for the class's own logger
     * @return the logger name
     */
    public static String loggerName(Class<?> cls, String instance) {
        String simple = cls.getSimpleName().isEmpty() ? cls.getName() : cls.getSimpleName();
        String full = instance == null ? cls.getName() : cls.getName() + "." + instance;
        String shortName = instance == null ? simple : simple + "." + instance;
        if (!full.equals(shortName) && !shortName.equals(SHORT_NAMES.get(full))) {
            SHORT_NAMES.put(full, shortName);
            generation++;
        }
        return full;
    }

    /** The form jvalkka's binding prints for a logger name (see {@link #loggerName}). */
    static String shortName(String name) {
        String s = SHORT_NAMES.get(name);
        return s != null ? s : name;
    }

    /**
     * The effective level of a logger name: the longest configured prefix wins; when no prefix
     * of a name made by {@link #loggerName} is configured, the prefixes of its short form count.
     *
     * @param name the logger name
     * @return its effective level
     */
    public static Level levelOf(String name) {
        Level l = configured(name);
        if (l == null) {
            String s = SHORT_NAMES.get(name);
            if (s != null) {
                l = configured(s);
            }
        }
        return l != null ? l : root;
    }

    private static Level configured(String name) {
        String n = name;
        while (true) {
            Level l = LEVELS.get(n);
            if (l != null) {
                return l;
            }
            int dot = n.lastIndexOf('.');
            if (dot < 0) {
                return null;
            }
            n = n.substring(0, dot);
        }
    }

    /**
     * Parses a level specification in the syntax of {@code variable} ({@link #SGN_VARIABLE} or
     * {@link #JVALKKA_VARIABLE}) into logger-name prefixes and levels, in order; the prefix
     * {@code ""} is the root. Applies nothing.
     *
     * @throws IllegalArgumentException naming the variable, the item and the valid level names,
     *     for an unknown level or a malformed item
     * @param variable the name of the environment variable (for error messages)
     * @param spec the text, such as {@code "root:WARN MyProcess:DEBUG"}
     * @return the levels by logger name
     */
    public static Map<String, Level> parseLevels(String variable, String spec) {
        boolean sgn = SGN_VARIABLE.equals(variable);
        if (!sgn && !JVALKKA_VARIABLE.equals(variable)) {
            throw new IllegalArgumentException("unknown variable " + variable + "; use " + SGN_VARIABLE + " or "
                    + JVALKKA_VARIABLE);
        }
        Map<String, Level> out = new LinkedHashMap<>();
        for (String item : spec.trim().split("\\s+")) {
            if (item.isEmpty()) {
                continue;
            }
            int colon = item.lastIndexOf(':');
            String name = colon < 0 ? "" : item.substring(0, colon);
            String levelName = item.substring(colon + 1);
            if (colon == 0 || name.endsWith(":")) {
                throw new IllegalArgumentException(variable + "=\"" + spec + "\": malformed item '" + item
                        + "'; items are LEVEL or name:LEVEL, separated by spaces");
            }
            Level level = levelNamed(levelName);
            if (level == null) {
                throw new IllegalArgumentException(variable + "=\"" + spec + "\": invalid log level '" + levelName
                        + "' in '" + item + "', choose from " + LEVEL_NAMES);
            }
            out.put(sgn ? (name.isEmpty() ? "sgn" : "sgn." + name) : name, level);
        }
        return out;
    }

    /**
     * The SLF4J level for a Python, SGN or SLF4J level name (any case), or null.
     *
     * @param name the name
     * @return the SLF4J level for a Python, SGN or SLF4J level name (any case), or null
     */
    public static Level levelNamed(String name) {
        switch (name.toUpperCase(Locale.ROOT)) {
            case "MEMPROF":
            case "TRACE":
                return Level.TRACE;
            case "DEBUG":
                return Level.DEBUG;
            case "INFO":
                return Level.INFO;
            case "WARNING":
            case "WARN":
                return Level.WARN;
            case "ERROR":
            case "CRITICAL":
                return Level.ERROR;
            default:
                return null;
        }
    }

    /**
     * Why {@link #SGN_VARIABLE} or {@link #JVALKKA_VARIABLE} was not applied at start (the
     * message names the variable, the bad item and the valid levels), or null when they were.
     *
     * @return why, or null when they were applied (or not set)
     */
    public static String environmentError() {
        return ENVIRONMENT_ERROR;
    }

    /**
     * Throws when the logging variables of the environment are invalid (SGN fails at import
     * in that case; we fail at the first {@code new Pipeline()}).
     *
     * @throws IllegalArgumentException with {@link #environmentError()}
     */
    public static void checkEnvironment() {
        if (ENVIRONMENT_ERROR != null) {
            throw new IllegalArgumentException(ENVIRONMENT_ERROR);
        }
    }

    static int generation() {
        return generation;
    }

    static PrintStream out() {
        PrintStream o = out;
        return o != null ? o : System.err; // read each time: a backend swaps System.err at start
    }

    /**
     * Redirects the output (tests); {@code null} restores standard error.
     *
     * @param stream the stream to print to
     */
    public static void setOutput(PrintStream stream) {
        out = stream;
    }

    /**
     * Whether SLF4J is bound to this binding (otherwise levels belong to the user's logging framework).
     *
     * @return whether SLF4J is bound to this binding (otherwise levels belong to the user's logging framework)
     */
    public static boolean isActive() {
        return org.slf4j.LoggerFactory.getILoggerFactory() instanceof ValkkaLoggerFactory;
    }

    /**
     * The configuration, to carry into a backend JVM.
     *
     * @return the configuration, to carry into a backend JVM
     */
    public static Snapshot snapshot() {
        return new Snapshot(Map.copyOf(LEVELS), root);
    }

    /**
     * Applies a snapshot taken in another JVM.
     *
     * @param s the snapshot to apply
     */
    public static void apply(Snapshot s) {
        LEVELS.clear();
        LEVELS.putAll(s.levels());
        root = s.root();
        generation++;
    }

    /**
     * A copy of the levels, serializable across JVMs. Its serial form is its two components.
     *
     * @serial exclude
     * @param levels the levels by logger name
     * @param root the root level
     */
    public record Snapshot(Map<String, Level> levels, Level root) implements Serializable {
        /**
         * {@code root=WARN;MyProcess=INFO;...}: a backend reads this at start without
         * Java serialization (deserializing a record spins method handles, which costs
         * every backend a few milliseconds of CPU).
         *
         * @return the levels as text, such as {@code root=WARN;MyProcess=INFO;...}
         */
        public String encode() {
            StringBuilder b = new StringBuilder("=").append(root.name());
            levels.forEach((k, v) -> b.append(';').append(k).append('=').append(v.name()));
            return b.toString();
        }

        /**
         * The snapshot that {@link Snapshot#encode()} wrote.
         *
         * @param s the text
         * @return the snapshot
         */
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
