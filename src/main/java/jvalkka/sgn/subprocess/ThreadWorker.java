package jvalkka.sgn.subprocess;

import java.time.Duration;
import java.util.List;

import jvalkka.sgn.Element;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Thread mode: the worker is a daemon thread calling {@code workerProcess} on the element itself. */
final class ThreadWorker extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadWorker.class);

    private final ThreadQueue in;
    private final ThreadQueue out;
    private final Thread thread;

    ThreadWorker(Element element, WorkerEvent terminated, int queueMaxsize, List<ShmRef> shm) {
        super(element, terminated);
        in = new ThreadQueue(queueMaxsize);
        out = new ThreadQueue(queueMaxsize);
        in.spillWhileBlocked(out); // both queues full must not deadlock
        OtherEnd mainView = new OtherEnd(control, true);
        OtherEnd workerView = new OtherEnd(control, false);
        in.peers(workerView, mainView); // the worker gets from in: it sees the main side as producer
        out.peers(mainView, workerView);
        WorkerContext ctx = new WorkerContext(in, out, control, shm);
        thread = new Thread(() -> ended(loop(element, ctx)), "sgn-worker-" + element.name());
        thread.setDaemon(true);
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
        thread.start();
    }

    @Override
    void requestShutdown() {
        control.shutdown = true;
        wakeAll();
    }

    @Override
    void requestStop() {
        control.stop = true;
        wakeAll();
    }

    @Override
    void join(Duration timeout) {
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            // a thread cannot be killed: interrupt it and leave it (it is a daemon)
            LOG.warn("worker thread of {} did not end within {} ms; interrupting it", element.name(), timeout.toMillis());
            thread.interrupt();
        }
    }

    @Override
    void release() {
    }

    @Override
    long pid() {
        return -1;
    }

    @Override
    void wakeAll() {
        in.wakeAll();
        out.wakeAll();
    }
}
