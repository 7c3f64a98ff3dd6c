package jvalkka.sgn.subprocess;

/**
 * The {@code inQueue}/{@code outQueue} an element holds from construction: it forwards to the
 * thread or ring queue bound when {@link Parallelize} starts the worker. Used by the pipeline
 * thread only.
 */
final class SwitchQueue implements WorkerQueue {
    private final String what;
    private WorkerQueue target;
    /** Why this queue takes no more operations (set by subProcessShutdown), or null. */
    private String closed;
    /** Items put (inQueue) or taken (outQueue) through this queue: a plain count for JMX, by the pipeline thread. */
    private long moved;

    SwitchQueue(String what) {
        this.what = what;
    }

    void bind(WorkerQueue q) {
        target = q;
        closed = null;
    }

    /** The items put or taken through this queue so far (read by JMX without a lock). */
    long moved() {
        return moved;
    }

    WorkerQueue target() {
        return target;
    }

    /** After subProcessShutdown: every later operation throws {@code IllegalStateException(why)} (SGN sets the queues to None). */
    void close(String why) {
        closed = why;
        target = null;
    }

    boolean isClosed() {
        return closed != null;
    }

    private WorkerQueue q() {
        WorkerQueue t = target;
        if (t == null) {
            if (closed != null) {
                throw new IllegalStateException(closed);
            }
            throw new IllegalStateException(what + " is not connected to a worker yet: run the pipeline with"
                    + " pipeline.run() or inside try (Parallelize p = new Parallelize(pipeline)) { p.run(); }");
        }
        return t;
    }

    @Override
    public void put(Object item) {
        q().put(item);
        moved++;
    }

    @Override
    public <T> T get() {
        T t = q().get();
        moved++;
        return t;
    }

    @Override
    public <T> T get(double timeoutSeconds) throws Empty {
        T t = q().get(timeoutSeconds);
        moved++;
        return t;
    }

    @Override
    public <T> T getNowait() throws Empty {
        T t = q().getNowait();
        moved++;
        return t;
    }

    @Override
    public boolean isEmpty() {
        return q().isEmpty();
    }
}
