package jvalkka.tutorial;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jvalkka.pool.ProcessQueue;
import jvalkka.pool.Result;

/**
 * ProcessQueue with several parameters per item, without changing the
 * function's signature: the item is a map (the article's dictionary) or a
 * record, unpacked by a small adapter that calls {@code calPow(base, exponent)}.
 */
public final class ProcessQueueParams {
    private ProcessQueueParams() {
    }

    /** The parameters as a record: it crosses to the workers with its type. */
    public record Pow(int base, int exponent) {
    }

    /** Unpacks the article's {@code {"base": .., "exponent": ..}}. */
    static Number fromMap(Map<String, Object> data) {
        return CalPow.calPow(((Number) data.get("base")).longValue(), ((Number) data.get("exponent")).intValue());
    }

    static Number fromRecord(Pow p) {
        return CalPow.calPow(p.base(), p.exponent());
    }

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        try (ProcessQueue<Map<String, Object>, Number> q = ProcessQueue.of(ProcessQueueParams::fromMap)
                .workers(2).capacity(20).start()) {
            System.out.println("Start pushing data");
            for (int i = 0; i < n; i++) {
                Map<String, Object> data = new LinkedHashMap<>(); // pack, in order, like a Python dict
                data.put("base", i + 1);
                data.put("exponent", i - 1);
                q.put(data);
            }
            q.putEnd();
            System.out.println("Finish pushing data");
            int popped = 0;
            for (Result<Map<String, Object>, Number> r; (r = q.get()) != null; popped++) {
                if (r.index() < 4 || r.index() == n - 1) { // a few, to keep the output short
                    System.out.println("Pop " + r.getOrThrow() + " out (item #" + r.index() + ": " + r.input() + ")");
                }
            }
            System.out.println("Popped " + popped + " results");
        }
        try (ProcessQueue<Pow, Number> q = ProcessQueue.of(ProcessQueueParams::fromRecord).workers(2).start()) {
            System.out.println("records: " + q.map(List.of(new Pow(2, 10), new Pow(3, 3), new Pow(2, -1))));
        }
        System.out.println("Program ends.");
    }
}
