package jvalkka.sgn;

import java.time.Duration;

/**
 * A service interface through which a layer built on this package takes over
 * {@link Pipeline#run()} for the pipelines it must run itself (the subprocess layer runs a
 * pipeline with {@code Parallelize*Element}s inside a {@code Parallelize}, SGN's
 * {@code auto_parallelize}). It keeps this package free of any dependency on the layers above.
 *
 * <p>Implementations are found once per JVM with {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/jvalkka.sgn.RunHook} entry, or {@code provides} in a module
 * descriptor); a user never names them. Not meant to be implemented by applications.
 */
public interface RunHook {
    /**
     * Runs {@code pipeline} and returns true when this hook must run it; returns false at once,
     * without side effects, when the pipeline is none of its business.
     *
     * @param pipeline the pipeline whose {@code run} was called
     * @param timeout as {@link Pipeline#run(Duration, long)}; null for no time limit
     * @param maxLoops as {@link Pipeline#run(Duration, long)}
     * @return true when this hook ran the pipeline (the caller then must not run it),
     *     false when it left it alone
     */
    boolean runIfNeeded(Pipeline pipeline, Duration timeout, long maxLoops);
}
