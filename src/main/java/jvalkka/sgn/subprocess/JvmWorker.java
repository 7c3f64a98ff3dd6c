package jvalkka.sgn.subprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.PipeClosedException;
import jvalkka.sgn.Element;
import jvalkka.shm.SharedMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process mode, main side: the worker is a JVM (beside {@link ThreadWorker}, where it is a
 * thread; not to be confused with {@link WorkerProcess}, the process object running in that
 * JVM). Owns the segment with the two rings, the {@link WorkerProcess}, and a
 * monitor thread that reads the process channel (the worker's "terminated" report) and notices
 * a dead worker JVM (channel closed) within a poll interval.
 */
final class JvmWorker extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(JvmWorker.class);
    private static final AtomicLong SEGMENTS = new AtomicLong();

    private final SharedMemory segment;
    private final RingQueue in;
    private final RingQueue out;
    final WorkerProcess process;
    private Thread monitor;
    private volatile boolean closing;

    JvmWorker(Element element, WorkerEvent terminated, int ringBytes, BackendOptions options, List<ShmRef> shm) {
        super(element, terminated);
        if (Integer.bitCount(ringBytes) != 1 || ringBytes < 4096) {
            throw new IllegalArgumentException("ringBytes must be a power of two of at least 4096, not " + ringBytes);
        }
        String name = "jvsgn-" + ProcessHandle.current().pid() + "-" + SEGMENTS.incrementAndGet();
        try {
            segment = SharedMemory.create(name, RingQueue.segmentSize(ringBytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the shared memory for the worker of " + element.name(), e);
        }
        try {
            OtherEnd mainView = new OtherEnd(control, true);
            in = new RingQueue(segment, ringBytes, 0, true, mainView, "in of " + element.name());
            out = new RingQueue(segment, ringBytes, 1, false, mainView, "out of " + element.name());
            in.spillWhileBlocked(out); // both rings full must not deadlock
            process = new WorkerProcess(element, name, ringBytes, shm);
            process.ignoreSIGINT(); // Ctrl+C reaches the whole process group: the main side coordinates
            process.setOptions((options == null ? BackendOptions.defaults() : options)
                    .withWarmPoolDefault(Parallelize.DEFAULT_WARM_POOL));
        } catch (RuntimeException e) {
            segment.close();
            segment.unlink();
            throw e;
        }
    }

    @Override
    WorkerQueue mainIn() {
        return in;
    }

    @Override
    WorkerQueue mainOut() {
        return out;
    }

    @Override
    void startThread() {
        monitor = new Thread(this::monitor, "sgn-monitor-" + element.name());
        monitor.setDaemon(true);
        monitor.start();
    }

    private void monitor() {
        MessagePipe pipe = process.getPipe();
        while (true) {
            try {
                if (pipe.poll(0.05)) {
                    MessageObject m = pipe.recv();
                    if (m != null && "terminated".equals(m.command())) {
                        byte[] err = (byte[]) m.get("error");
                        ended(err == null ? null : jvalkka.multiprocess.Throwables.decode(err));
                    }
                    continue;
                }
                if (!process.isAlive()) {
                    died();
                    return;
                }
            } catch (PipeClosedException e) {
                died();
                return;
            } catch (RuntimeException e) {
                if (closing) {
                    return;
                }
                LOG.debug("monitor of {}: {}", element.name(), e.toString());
                died();
                return;
            }
        }
    }

    private void died() {
        if (!control.terminated) {
            Optional<ProcessHandle> h = ProcessHandle.of(process.pid());
            h.ifPresent(p -> {
                try {
                    p.onExit().get(1, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // fall through: report what we know
                }
            });
            ended(new IllegalStateException("the worker JVM of " + element.name() + " (pid " + process.pid()
                    + ") ended before its worker did (exit status " + process.exitCode() + ")"));
        } else {
            ended(null);
        }
    }

    @Override
    void requestShutdown() {
        if (!control.terminated) {
            process.shutdown();
        }
    }

    @Override
    void requestStop() {
        control.stop = true;
        if (process.isAlive()) {
            try {
                process.stopWorker();
                process.requestStop();
            } catch (RuntimeException e) {
                LOG.debug("stop of {}: {}", element.name(), e.toString());
            }
        }
        wakeAll();
    }

    @Override
    void join(Duration timeout) {
        closing = true;
        long pid = process.pid();
        Optional<ProcessHandle> h = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (h.isPresent()) {
            try {
                h.get().onExit().get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.warn("the worker JVM of {} (pid {}) did not stop within {} ms: killing it", element.name(), pid,
                        timeout.toMillis());
                h.get().destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                h.get().destroyForcibly();
            } catch (java.util.concurrent.ExecutionException e) {
                // cannot happen for onExit
            }
        }
        try {
            process.waitStop(); // reaps the JVM and closes the channel
        } catch (RuntimeException e) {
            LOG.debug("waitStop of {}: {}", element.name(), e.toString());
        }
        if (monitor != null) {
            try {
                monitor.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    void release() {
        segment.close();
        segment.unlink();
    }

    @Override
    long pid() {
        return process.pid();
    }

    @Override
    void wakeAll() {
        in.wakeAll();
        out.wakeAll();
    }
}
