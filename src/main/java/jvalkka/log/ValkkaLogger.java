package jvalkka.log;

import java.io.PrintStream;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** One named logger of {@link ValkkaLoggerFactory}: {@code name - LEVEL - message} lines. */
final class ValkkaLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    private transient int seenGeneration = -1;
    private transient int threshold;

    ValkkaLogger(String name) {
        this.name = name;
    }

    private int threshold() {
        int g = LogConfig.generation();
        if (g != seenGeneration) {
            threshold = LogConfig.levelOf(name).toInt();
            seenGeneration = g;
        }
        return threshold;
    }

    @Override
    public boolean isTraceEnabled() {
        return threshold() <= Level.TRACE.toInt();
    }

    @Override
    public boolean isDebugEnabled() {
        return threshold() <= Level.DEBUG.toInt();
    }

    @Override
    public boolean isInfoEnabled() {
        return threshold() <= Level.INFO.toInt();
    }

    @Override
    public boolean isWarnEnabled() {
        return threshold() <= Level.WARN.toInt();
    }

    @Override
    public boolean isErrorEnabled() {
        return threshold() <= Level.ERROR.toInt();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
            Throwable throwable) {
        String text = MessageFormatter.basicArrayFormat(pattern, args);
        // Python's logging calls WARNING "WARNING" and ERROR "ERROR"; keep its spelling.
        String levelName = level == Level.WARN ? "WARNING" : level.name();
        String line = LogConfig.shortName(name) + " - " + levelName + " - " + text;
        PrintStream out = LogConfig.out();
        synchronized (out) {
            out.println(line);
            if (throwable != null) {
                throwable.printStackTrace(out);
            }
            out.flush();
        }
    }
}
