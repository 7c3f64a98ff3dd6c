package jvalkka.sgn.subprocess;

import java.time.Duration;

import jvalkka.sgn.Pipeline;
import jvalkka.sgn.RunHook;

/**
 * The subprocess layer's {@link RunHook}: {@link Pipeline#run()} of a pipeline with
 * {@code Parallelize*Element}s that no {@link Parallelize} runs yet runs it inside a new one
 * (SGN's {@code run(auto_parallelize=True)}). Found by {@link java.util.ServiceLoader} through
 * {@code META-INF/services/jvalkka.sgn.RunHook}, so the core SGN package needs no import of this
 * one; public only because the service loader requires it. Applications do not call it.
 */
public final class AutoParallelization implements RunHook {
    /** For the service loader. */
    public AutoParallelization() {
    }

    @Override
    public boolean runIfNeeded(Pipeline pipeline, Duration timeout, long maxLoops) {
        return Parallelize.runIfNeeded(pipeline, timeout, maxLoops);
    }
}
