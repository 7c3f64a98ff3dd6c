package jvalkka.sgn.subprocess;

import javax.management.ObjectName;

import jvalkka.jmx.ParallelizeWorkerMXBean;
import jvalkka.jmx.internal.Jmx;

/**
 * The JMX view of one {@code Parallelize*Element}'s worker
 * ({@code jvalkka:type=Parallelize,name=ELEMENT}), registered by {@link Parallelize}
 * once its workers started and unregistered by its {@code close()}. The item counts
 * are the element's main-side queues' own (see {@link SwitchQueue#moved()}).
 */
final class ParallelizeStats implements ParallelizeWorkerMXBean {
    private final Worker worker;
    private final ParallelState parallel;
    private ObjectName objectName;

    private ParallelizeStats(Worker worker, ParallelState parallel) {
        this.worker = worker;
        this.parallel = parallel;
    }

    /** Registers the MBean of {@code worker}; returns its name, or null. */
    static ObjectName register(Worker worker) {
        ParallelState p = ParallelState.of(worker.element);
        if (p == null) {
            return null;
        }
        ParallelizeStats s = new ParallelizeStats(worker, p);
        s.objectName = Jmx.register("Parallelize", worker.element.name(), ParallelizeWorkerMXBean.class, s);
        return s.objectName;
    }

    @Override
    public String getElement() {
        return worker.element.name();
    }

    @Override
    public String getMode() {
        return worker instanceof JvmWorker ? "process" : "thread";
    }

    @Override
    public long getPid() {
        long pid = worker.pid();
        return pid > 0 ? pid : ProcessHandle.current().pid();
    }

    @Override
    public boolean isAlive() {
        return !worker.control.terminated;
    }

    @Override
    public long getItemsIn() {
        return parallel.inQueue.moved();
    }

    @Override
    public long getItemsOut() {
        return parallel.outQueue.moved();
    }

    @Override
    public String getLastError() {
        Throwable t = worker.control.failure;
        return t == null ? "" : t.toString();
    }
}
