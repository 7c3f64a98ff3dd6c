package jvalkka.pool;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import jvalkka.jmx.ProcessQueueMXBean;

/**
 * The JMX view of one {@link ProcessQueue} ({@code jvalkka:type=ProcessQueue,name=NAME}).
 * The queue counts come from {@link Queues#counters()}; the per-worker counts are
 * added by the distributor once per answered batch.
 */
final class PoolStats implements ProcessQueueMXBean {
    private static final long RATE_WINDOW_NANOS = 10_000_000_000L;

    private final String name;
    private final Queues queues;
    private final Map<String, LongAdder> perWorker = new ConcurrentHashMap<>();
    /** (nanoTime, done) samples taken when the rate is read, oldest first. */
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    PoolStats(String name, Queues queues) {
        this.name = name;
        this.queues = queues;
        samples.add(new long[] {System.nanoTime(), 0});
    }

    /** Distributor thread: worker {@code worker} answered {@code items} items. */
    void answered(String worker, int items) {
        perWorker.computeIfAbsent(worker, w -> new LongAdder()).add(items);
    }

    /** Distributor thread: {@code worker} started (it shows with 0 items). */
    void joined(String worker) {
        perWorker.computeIfAbsent(worker, w -> new LongAdder());
    }

    /** Distributor thread: {@code worker} is gone. */
    void left(String worker) {
        perWorker.remove(worker);
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public long getQueued() {
        return queues.counters()[3];
    }

    @Override
    public long getInFlight() {
        long[] c = queues.counters();
        return Math.max(0, c[0] - c[1] - c[3]);
    }

    @Override
    public long getDone() {
        return queues.counters()[1];
    }

    @Override
    public long getFailed() {
        return queues.failed();
    }

    @Override
    public long getUntaken() {
        long[] c = queues.counters();
        return c[1] - c[2];
    }

    @Override
    public synchronized double getItemsPerSecond() {
        long now = System.nanoTime();
        long done = queues.counters()[1];
        // keep the newest sample older than the window as the base, and every one since
        while (samples.size() > 1 && now - samples.stream().skip(1).findFirst().get()[0] >= RATE_WINDOW_NANOS) {
            samples.pollFirst();
        }
        long[] base = samples.peekFirst();
        long[] last = samples.peekLast();
        if (now - last[0] >= 1_000_000_000L) {
            samples.addLast(new long[] {now, done});
        }
        double seconds = (now - base[0]) / 1e9;
        return seconds <= 0 ? 0 : (done - base[1]) / seconds;
    }

    @Override
    public int getWorkersAlive() {
        return perWorker.size();
    }

    @Override
    public Map<String, Long> getItemsPerWorker() {
        Map<String, Long> out = new TreeMap<>();
        perWorker.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
