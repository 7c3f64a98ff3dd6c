package jvalkka.log;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;

/** Hands out {@link ValkkaLogger}s, one per name. */
public final class ValkkaLoggerFactory implements ILoggerFactory {
    private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();

    @Override
    public Logger getLogger(String name) {
        Logger l = loggers.get(name); // not computeIfAbsent: a lambda costs a fresh backend JVM its linking
        if (l == null) {
            l = new ValkkaLogger(name);
            Logger raced = loggers.putIfAbsent(name, l);
            if (raced != null) {
                l = raced;
            }
        }
        return l;
    }
}
