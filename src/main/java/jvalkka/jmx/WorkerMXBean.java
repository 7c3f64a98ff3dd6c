package jvalkka.jmx;

/**
 * One worker of a {@link jvalkka.multiprocess.MainContext}, registered as
 * {@code jvalkka:type=MainContext.Worker,context=CLASS,name=WORKER}. A worker
 * replaced by a {@link jvalkka.multiprocess.Restarter} keeps its MBean: the counts
 * go on from those of the worker it replaced.
 */
public interface WorkerMXBean {
    /**
     * The worker's name.
     *
     * @return the name of the worker ({@code MessageProcess.getName()})
     */
    String getName();

    /**
     * The worker's process.
     *
     * @return the pid of its backend JVM, or -1 before it started
     */
    long getPid();

    /**
     * Whether it runs.
     *
     * @return whether its backend JVM is running
     */
    boolean isAlive();

    /**
     * Restarts so far.
     *
     * @return how many times a {@link jvalkka.multiprocess.Restarter} replaced this worker
     */
    int getRestarts();

    /**
     * Messages in.
     *
     * @return the messages received from the worker (on its pipe) by this JVM
     */
    long getMessagesIn();

    /**
     * Messages out.
     *
     * @return the messages this JVM sent to the worker
     */
    long getMessagesOut();

    /**
     * The last error.
     *
     * @return the reason of the worker's last unexpected exit (as in the
     *         {@code "exited"} event of its pipe), or the empty string if it never died
     */
    String getLastError();
}
