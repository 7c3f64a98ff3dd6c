package jvalkka.jmx;

/**
 * The worker of one {@code Parallelize*Element} while a
 * {@link jvalkka.sgn.subprocess.Parallelize} runs its pipeline, registered as
 * {@code jvalkka:type=Parallelize,name=ELEMENT}.
 */
public interface ParallelizeWorkerMXBean {
    /**
     * The element's name.
     *
     * @return the name of the element whose worker this is
     */
    String getElement();

    /**
     * Thread or process.
     *
     * @return {@code "thread"} or {@code "process"}
     */
    String getMode();

    /**
     * The worker's process.
     *
     * @return the pid of the worker JVM, or this JVM's pid for a thread worker
     */
    long getPid();

    /**
     * Whether it runs.
     *
     * @return whether the worker has not ended yet
     */
    boolean isAlive();

    /**
     * Items in.
     *
     * @return the items the pipeline put into the element's {@code inQueue}
     */
    long getItemsIn();

    /**
     * Items out.
     *
     * @return the items the pipeline took from the element's {@code outQueue}
     */
    long getItemsOut();

    /**
     * The last error.
     *
     * @return what ended the worker badly, or the empty string
     */
    String getLastError();
}
