package jvalkka.tutorial;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

import jvalkka.pool.ProcessQueue;

/**
 * The article's scalability table: the same {@code cal_pow} items on 1, 2, 4
 * and 8 workers, as far as this machine has processors. Timing starts after
 * the workers are up and warmed. {@code scripts/tutorial processqueue-scaling [ITEMS]}
 * (default 800 items: about 4 s on one worker).
 */
public final class ProcessQueueScaling {
    private ProcessQueueScaling() {
    }

    static Number square(Integer base) {
        return CalPow.calPow(base, 2);
    }

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 800;
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Integer> items = IntStream.range(0, n).boxed().toList();
        List<Integer> warm = IntStream.range(-100_000, 0).filter(b -> CalPow.loops(b, 2) <= 10).limit(500).boxed()
                .toList();
        List<double[]> rows = new ArrayList<>();
        for (int workers = 1; workers <= Math.min(8, cpus); workers *= 2) {
            try (ProcessQueue<Integer, Number> q = ProcessQueue.of(ProcessQueueScaling::square).workers(workers)
                    .maxBatch(1).start()) {
                q.map(warm);
                long t0 = System.nanoTime();
                q.map(items);
                rows.add(new double[] {workers, (System.nanoTime() - t0) / 1e9});
            }
        }
        System.out.printf(Locale.ROOT, "%d cal_pow items on %d processor(s)%n%n", n, cpus);
        System.out.println("| Num of CPUs | Running Time (seconds) | Speedup |");
        System.out.println("|---|---|---|");
        for (double[] r : rows) {
            System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f |%n", (int) r[0], r[1], rows.get(0)[1] / r[1]);
        }
    }
}
