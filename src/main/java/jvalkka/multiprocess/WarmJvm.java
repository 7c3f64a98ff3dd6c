package jvalkka.multiprocess;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One warm backend JVM's life outside the pool's books ({@link WarmPool}):
 * starting it as a backend is started (its standard input and error piped to
 * this JVM, its output inherited), waiting for its ready byte, stopping it.
 */
final class WarmJvm {
    private WarmJvm() {
    }

    /** What a warm JVM did until it was ready: whether it got there, and what it wrote on stderr before. */
    record Ready(boolean ready, String said) {
    }

    /** Starts {@code cmd} as a backend JVM is started, and records it for the sweep. */
    static Process spawn(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.PIPE).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        RunDir.addChild(p, "warm");
        return p;
    }

    /**
     * Reads {@code p}'s standard error up to its {@link WarmPool#READY_BYTE}
     * (the rest stays for the start's {@code StderrPump}, which reads the same
     * stream); kills it when it is not ready within {@code timeoutSeconds}.
     */
    static Ready awaitReady(Process p, long timeoutSeconds) {
        AtomicBoolean ready = new AtomicBoolean();
        CompletableFuture.runAsync(() -> {
            if (!ready.get()) {
                p.destroyForcibly(); // it never got ready: the read below ends
            }
        }, CompletableFuture.delayedExecutor(timeoutSeconds, TimeUnit.SECONDS));
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        try {
            InputStream err = p.getErrorStream();
            int c;
            while ((c = err.read()) >= 0 && c != WarmPool.READY_BYTE) {
                before.write(c);
            }
            ready.set(c == WarmPool.READY_BYTE);
        } catch (IOException e) {
            // it closed its standard error: as good as dead
        }
        return new Ready(ready.get() && p.isAlive(), before.toString(StandardCharsets.UTF_8).strip());
    }

    /** Ends {@code p}: the end of its input halts it; and forgets it in the run record. */
    static void stop(Process p) {
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // it is going anyway
        }
        p.destroyForcibly();
        RunDir.removeChild(p);
    }
}
