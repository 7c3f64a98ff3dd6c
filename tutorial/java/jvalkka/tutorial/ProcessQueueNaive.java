package jvalkka.tutorial;

import java.util.List;
import java.util.stream.IntStream;

import jvalkka.pool.ProcessQueue;
import jvalkka.pool.Result;

/**
 * ProcessQueue, the naive example: push 0..99 into a bounded input queue (20
 * items), let the workers compute {@code cal_pow(i, exponent=2)}, pop the
 * results as they come, then the same with {@code map}, in input order.
 *
 * <p>{@code x -> CalPow.calPow(x, 2)} is the article's
 * {@code partial(cal_pow, exponent=2)}: a serializable lambda that carries its
 * bound argument to every worker.
 */
public final class ProcessQueueNaive {
    private ProcessQueueNaive() {
    }

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        try (ProcessQueue<Integer, Number> q = ProcessQueue.of((Integer x) -> CalPow.calPow(x, 2))
                .workers(2).capacity(20).start()) {
            System.out.println("Start pushing data");
            for (int i = 0; i < n; i++) {
                System.out.println("Pushing " + i);
                q.put(i); // blocks while 20 items wait
            }
            q.putEnd(); // the EndOfQueue: the workers stop once everything is answered
            System.out.println("Finish pushing data");
            Number[] byIndex = new Number[n];
            for (Result<Integer, Number> r; (r = q.get()) != null; ) {
                System.out.println("Pop " + r.getOrThrow() + " out");
                byIndex[(int) r.index()] = r.value();
            }
            System.out.println("Program ends.");
            System.out.println("in input order: " + List.of(byIndex).subList(0, Math.min(n, 10)) + " ...");
        }
        try (ProcessQueue<Integer, Number> q = ProcessQueue.of((Integer x) -> CalPow.calPow(x, 2)).workers(2)
                .start()) {
            System.out.println("map: " + q.map(IntStream.range(0, 10).boxed().toList()));
        }
    }
}
