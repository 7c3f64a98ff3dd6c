package jvalkka.multiprocess;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * One daemon thread per JVM that sends the bytes a {@link MessagePipe} ({@link PipeSender}) deferred
 * to coalesce a burst, once the burst has paused, and error reports that found
 * the pipe busy. It never blocks on a pipe: a pipe whose socket is full, or whose
 * send lock another thread holds for more than a moment, is retried a
 * millisecond later.
 */
final class Flusher {
    private static final ConcurrentLinkedQueue<PipeSender> QUEUE = new ConcurrentLinkedQueue<>();
    private static final Thread THREAD;

    static {
        THREAD = new Thread(null, Flusher::loop, "jvalkka-flusher", 64 * 1024);
        THREAD.setDaemon(true);
        THREAD.start();
    }

    private Flusher() {
    }

    static void schedule(PipeSender pipe) {
        QUEUE.add(pipe);
        LockSupport.unpark(THREAD);
    }

    private static void loop() {
        while (true) {
            PipeSender p = QUEUE.poll();
            if (p == null) {
                LockSupport.park();
                continue;
            }
            long due = p.lastWriteNanos() + PipeSender.COALESCE_NANOS;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            try {
                if (p.flushDeferred()) {
                    LockSupport.parkNanos(1_000_000);
                    QUEUE.add(p);
                }
            } catch (RuntimeException e) {
                // the pipe closed: its owner learns it on the next send or receive
            }
        }
    }
}
