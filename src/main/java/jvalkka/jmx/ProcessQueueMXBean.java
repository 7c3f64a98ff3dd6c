package jvalkka.jmx;

import java.util.Map;

/**
 * A running {@link jvalkka.pool.ProcessQueue}, registered as
 * {@code jvalkka:type=ProcessQueue,name=NAME} from {@code start()} to {@code close()}.
 */
public interface ProcessQueueMXBean {
    /**
     * The pool's name.
     *
     * @return the name given to its builder ({@code "pool"} by default)
     */
    String getName();

    /**
     * The items waiting.
     *
     * @return the items put and not yet sent to a worker
     */
    long getQueued();

    /**
     * The items being worked on.
     *
     * @return the items sent to a worker (or waiting for a retry) and not yet answered
     */
    long getInFlight();

    /**
     * The items answered.
     *
     * @return the items whose result came, successful or not
     */
    long getDone();

    /**
     * The items failed.
     *
     * @return the items whose result is a failure (the function threw, or its worker died twice)
     */
    long getFailed();

    /**
     * The results not taken.
     *
     * @return the results answered and not yet taken by {@code get} or {@code map}
     */
    long getUntaken();

    /**
     * The recent rate.
     *
     * @return items answered per second over the last 10 seconds or so (since the
     *         previous reading when that was longer ago, since the start at the first)
     */
    double getItemsPerSecond();

    /**
     * The workers running now.
     *
     * @return how many worker JVMs run
     */
    int getWorkersAlive();

    /**
     * Items answered per worker.
     *
     * @return for each worker running now, by name ({@code NAME-1}, ...), the items it answered
     */
    Map<String, Long> getItemsPerWorker();
}
