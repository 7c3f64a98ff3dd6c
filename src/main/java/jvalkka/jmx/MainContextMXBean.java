package jvalkka.jmx;

/**
 * A running {@link jvalkka.multiprocess.MainContext}, registered as
 * {@code jvalkka:type=MainContext,name=CLASS} from {@code start()} to {@code close()}.
 * Each of its workers has a {@link WorkerMXBean} besides.
 */
public interface MainContextMXBean {
    /**
     * The context's name.
     *
     * @return the simple name of its class, as in its log lines
     */
    String getName();

    /**
     * The workers watched.
     *
     * @return how many workers this context watches (see {@code MainContext.watch})
     */
    int getWorkers();

    /**
     * The workers running now.
     *
     * @return how many of the watched workers have a running backend JVM
     */
    int getWorkersAlive();

    /**
     * Restarts so far.
     *
     * @return the workers replaced by a {@link jvalkka.multiprocess.Restarter}, summed over the workers
     */
    long getRestarts();

    /**
     * Messages in.
     *
     * @return the messages the workers sent to this JVM and the context received, summed
     */
    long getMessagesIn();

    /**
     * Messages out.
     *
     * @return the messages this JVM sent to the workers, summed
     */
    long getMessagesOut();
}
