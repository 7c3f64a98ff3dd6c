package jvalkka.multiprocess;

import java.util.ServiceLoader;

import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;
import org.slf4j.helpers.NOP_FallbackServiceProvider;
import org.slf4j.spi.SLF4JServiceProvider;

import jvalkka.log.LogConfig;
import jvalkka.log.ValkkaServiceProvider;

/**
 * The SLF4J provider a backend is told to use ({@code -Dslf4j.provider}): the one this JVM
 * uses, so that every JVM of a program logs through the same binding and configuration (the
 * user's {@code logback.xml} applies to backend lines), and the backend does not look for
 * providers by opening every jar of the class path. With no binding in this JVM, SLF4J has
 * already warned here, once; backends are given SLF4J's no-operation provider so that they do
 * not repeat the warning, once per JVM. Computed once. Thread-safe.
 */
final class LogBinding {
    private static volatile String provider;
    private static volatile boolean computed;

    private LogBinding() {
    }

    /** The provider class name for backends, or null to leave SLF4J to its own search. */
    static String providerForBackends() {
        if (!computed) {
            provider = find();
            computed = true;
        }
        return provider;
    }

    private static String find() {
        String explicit = System.getProperty(LoggerFactory.PROVIDER_PROPERTY_KEY);
        if (explicit != null) {
            return explicit;
        }
        if (LogConfig.isActive()) {
            return ValkkaServiceProvider.class.getName();
        }
        ILoggerFactory f = LoggerFactory.getILoggerFactory();
        if (f instanceof NOPLoggerFactory) {
            return NOP_FallbackServiceProvider.class.getName(); // no binding: the frontend warned once
        }
        // found by SLF4J's service search: the first provider, as SLF4J takes it (without instantiating any)
        ClassLoader loader = LoggerFactory.class.getClassLoader();
        return ServiceLoader.load(SLF4JServiceProvider.class, loader).stream().findFirst()
                .map(p -> p.type().getName()).orElse(null);
    }
}
