package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.BackendStartException;

/** ProcessQueue's contracts, each with real worker JVMs. */
@Timeout(60)
class ProcessQueueTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    static int twice(int x) {
        return 2 * x;
    }

    static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    @AfterAll
    static void noWorkerLeft() throws InterruptedException {
        Testing.assertNoChildren();
    }

    @Test
    void mapReturnsValuesInInputOrderAndTheQueueStaysUsable() throws Exception {
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueTest::twice).workers(2).start()) {
            List<Integer> in = range(5000);
            assertEquals(in.stream().map(x -> 2 * x).toList(), q.map(in));
            // again, after the first map: positions continue, order holds
            List<Result<Integer, Integer>> rs = q.mapResults(List.of(7, 8, 9));
            assertEquals(List.of(5000L, 5001L, 5002L), rs.stream().map(Result::index).toList());
            assertEquals(List.of(14, 16, 18), rs.stream().map(Result::getOrThrow).toList());
        }
    }

    @Test
    void resultsCarryTheirInputsPositionAndTheEndMarkerEndsTheStream() throws Exception {
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueTest::twice).workers(2).capacity(8)
                .start()) {
            Thread producer = new Thread(() -> {
                try {
                    for (int i = 0; i < 200; i++) {
                        assertEquals(i, q.put(100 + i));
                    }
                    q.putEnd();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.start();
            Set<Long> seen = new HashSet<>();
            for (Result<Integer, Integer> r; (r = q.get()) != null; ) {
                assertTrue(seen.add(r.index()), "result twice for #" + r.index());
                assertEquals(100 + r.index(), (long) r.input());
                assertEquals(2 * r.input(), r.getOrThrow());
            }
            producer.join(WAIT.toMillis());
            assertEquals(200, seen.size());
            assertTrue(q.isFinished());
            assertNull(q.get(Duration.ZERO), "after the end, get keeps returning null");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> q.put(1));
            assertTrue(e.getMessage().contains("putEnd"), e.getMessage());
            // the workers stopped by themselves once the queue drained
            Testing.assertNoChildren();
        }
    }

    @Test
    void severalParametersTravelAsARecordOrAMap() throws Exception {
        // one worker each: how the parameters travel is under test, not how workers share items
        try (ProcessQueue<Pow, Double> q = ProcessQueue.of(ProcessQueueTest::powOf).workers(1).start()) {
            assertEquals(List.of(8.0, 9.0, 0.5), q.map(List.of(new Pow(2, 3), new Pow(3, 2), new Pow(2, -1))));
        }
        try (ProcessQueue<Map<String, Object>, Double> q = ProcessQueue.of(ProcessQueueTest::powOfMap).workers(1)
                .start()) {
            assertEquals(List.of(1024.0), q.map(List.of(Map.of("base", 2, "exponent", 10L))));
        }
    }

    record Pow(int base, int exponent) {
    }

    static double pow(int base, int exponent) {
        return Math.pow(base, exponent);
    }

    static double powOf(Pow p) {
        return pow(p.base(), p.exponent());
    }

    static double powOfMap(Map<String, Object> p) {
        return pow(((Number) p.get("base")).intValue(), ((Number) p.get("exponent")).intValue());
    }

    /** Built in each worker; holds what could not cross (a thread). */
    static final class Tagger implements Function<String, String> {
        private final Thread own = Thread.currentThread();

        @Override
        public String apply(String s) {
            return s + "@" + ProcessHandle.current().pid() + (own != null ? "" : "?");
        }
    }

    @Test
    void aFunctionClassIsCreatedInEachWorker() throws Exception {
        try (ProcessQueue<String, String> q = ProcessQueue.of(Tagger.class).workers(1).start()) {
            String r = q.map(List.of("a")).get(0);
            assertTrue(r.startsWith("a@") && !r.equals("a@" + ProcessHandle.current().pid()), r);
        }
    }

    @Test
    void badFunctionsAreRefusedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProcessQueue.of(NoDefault.class));
        assertTrue(e.getMessage().contains("no-argument constructor"), e.getMessage());
        Object lock = new Object();
        SerializableFunction<Integer, Integer> captures = x -> lock.hashCode() + x;
        BackendStartException s = assertThrows(BackendStartException.class,
                () -> ProcessQueue.of(captures).workers(2).start());
        assertTrue(s.getMessage().contains("java.lang.Object"), s.getMessage());
    }

    static final class NoDefault implements Function<Integer, Integer> {
        NoDefault(int x) {
        }

        @Override
        public Integer apply(Integer x) {
            return x;
        }
    }

    static int divideHundredBy(int x) {
        return 100 / (x % 10 - 3);
    }

    @Test
    void aFunctionThatThrowsFailsThatItemOnlyAndTheWorkerCarriesOn() throws Exception {
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueTest::divideHundredBy).workers(1)
                .start()) {
            List<Result<Integer, Integer>> rs = q.mapResults(range(40));
            for (Result<Integer, Integer> r : rs) {
                if (r.input() % 10 == 3) {
                    ItemFailedException f = r.failure();
                    assertEquals(ItemFailedException.Kind.THREW, f.kind());
                    assertEquals("java.lang.ArithmeticException", f.remoteType());
                    assertInstanceOf(ArithmeticException.class, f.getCause());
                    assertTrue(f.remoteTrace().contains("divideHundredBy"), f.remoteTrace());
                    assertTrue(f.getMessage().contains("/ by zero"), f.getMessage());
                    assertThrows(ItemFailedException.class, r::getOrThrow);
                } else {
                    assertEquals(divideHundredBy(r.input()), r.getOrThrow());
                }
            }
            ItemFailedException thrown = assertThrows(ItemFailedException.class, () -> q.map(range(20)));
            assertEquals(43, thrown.index(), "map throws the first failure");
            assertEquals(1, thrown.getSuppressed().length);
        }
    }

    static int haltOn13(int x) {
        if (x == 13) {
            Runtime.getRuntime().halt(1);
        }
        return x + 1;
    }

    @Test
    void aWorkerThatDiesIsReplacedAndItsItemRetriedOnceThenFailed() throws Exception {
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueTest::haltOn13).workers(2).start()) {
            List<Result<Integer, Integer>> rs = q.mapResults(range(100));
            assertEquals(100, rs.size());
            for (Result<Integer, Integer> r : rs) {
                if (r.input() == 13) {
                    assertEquals(ItemFailedException.Kind.WORKER_DIED, r.failure().kind());
                    assertTrue(r.failure().getMessage().contains("died 2 times"), r.failure().getMessage());
                    assertTrue(r.failure().getMessage().contains("exited with status 1"), r.failure().getMessage());
                } else {
                    assertEquals(r.input() + 1, r.getOrThrow(), "#" + r.index());
                }
            }
            // the replacements work
            assertEquals(List.of(1, 2, 3), q.map(List.of(0, 1, 2)));
        }
    }

    static int slowIdentity(int x) {
        return x;
    }

    @Test
    void aSlowConsumerBlocksTheProducerAtTheBound() throws Exception {
        int capacity = 5;
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueTest::slowIdentity).workers(2)
                .capacity(capacity).outputCapacity(capacity).start()) {
            AtomicLong puts = new AtomicLong();
            Thread producer = new Thread(() -> {
                try {
                    for (int i = 0; i < 100; i++) {
                        q.put(i);
                        puts.incrementAndGet();
                    }
                    q.putEnd();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.start();
            // nobody takes results: capacity results wait, capacity items wait, the producer blocks
            Testing.await(() -> waiting(producer) && puts.get() == 2 * capacity,
                    "producer blocked after " + 2 * capacity + " puts (puts " + puts + ", " + q + ")");
            assertTrue(producer.isAlive());
            List<Integer> got = new ArrayList<>();
            for (Result<Integer, Integer> r; (r = q.get()) != null; ) {
                got.add(r.getOrThrow());
            }
            producer.join(WAIT.toMillis());
            assertEquals(100, got.size());
            assertEquals(new HashSet<>(range(100)), new HashSet<>(got));
        }
    }

    static boolean waiting(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    @Test
    void withDefaultBoundsPutBlocksWhileNobodyTakesResultsThenEveryResultArrives() throws Exception {
        int bound = ProcessQueue.DEFAULT_CAPACITY + ProcessQueue.DEFAULT_OUTPUT_CAPACITY;
        int n = 3 * bound;
        try (ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueTest::twice).workers(2).start()) {
            AtomicLong puts = new AtomicLong();
            Thread producer = new Thread(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        q.put(i);
                        puts.incrementAndGet();
                    }
                    q.putEnd();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.start();
            // nobody takes results: outputCapacity results are out or in flight, capacity items wait, put blocks
            Testing.await(() -> waiting(producer) && puts.get() == bound,
                    () -> "producer blocked after " + bound + " puts with the default bounds (puts " + puts + ", " + q
                            + ")");
            assertTrue(producer.isAlive());
            // taking them lets the producer finish: every item answered exactly once
            boolean[] seen = new boolean[n];
            int got = 0;
            for (Result<Integer, Integer> r; (r = q.get()) != null; got++) {
                assertEquals(2 * r.input(), r.getOrThrow());
                assertTrue(!seen[(int) r.index()], "result " + r.index() + " twice");
                seen[(int) r.index()] = true;
            }
            producer.join(WAIT.toMillis());
            assertEquals(n, got);
            assertEquals(n, puts.get());
        }
    }

    @Test
    void aPutThatWaitsForResultsNobodyTakesIsReportedOnce() throws Exception {
        AtomicLong reports = new AtomicLong();
        Queues qs = new Queues(1, 1, () -> { }, 50_000_000L, reports::incrementAndGet);
        qs.deliver(List.of(new Result<>(0, 0, 0, null))); // a result waits, untaken
        qs.put(1, -1); // the input queue is full now
        Thread producer = new Thread(() -> {
            try {
                qs.put(2, -1);
            } catch (InterruptedException | IllegalStateException e) {
                // closed below
            }
        });
        producer.start();
        Testing.await(() -> reports.get() == 1, "no report of a put waiting on untaken results");
        qs.close();
        producer.join(WAIT.toMillis());
        assertEquals(1, reports.get(), "reported more than once");
    }

    @Test
    void closeAbandonsOutstandingWorkAndLeavesNoWorker() throws Exception {
        ProcessQueue<Integer, Integer> q = ProcessQueue.of(ProcessQueueTest::sleepy).workers(2).capacity(50).start();
        for (int i = 0; i < 20; i++) {
            q.put(i);
        }
        q.close();
        q.close(); // twice is fine
        assertThrows(IllegalStateException.class, () -> q.put(1));
        Testing.assertNoChildren();
    }

    static int sleepy(int x) {
        long end = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        return x;
    }

    @Test
    void itemsThatCannotCrossFailAlone() throws Exception {
        try (ProcessQueue<Object, String> q = ProcessQueue.of((Object o) -> String.valueOf(o)).workers(1).start()) {
            List<Result<Object, String>> rs = q.mapResults(List.of(1, new Thread(), 3));
            assertEquals("1", rs.get(0).getOrThrow());
            assertEquals(ItemFailedException.Kind.NOT_SENDABLE, rs.get(1).failure().kind());
            assertEquals("3", rs.get(2).getOrThrow());
        }
    }

    @Test
    void badBuilderArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ProcessQueue.of(ProcessQueueTest::twice).workers(0));
        assertThrows(IllegalArgumentException.class, () -> ProcessQueue.of(ProcessQueueTest::twice).capacity(0));
        assertThrows(IllegalArgumentException.class, () -> ProcessQueue.of(ProcessQueueTest::twice).name(" "));
        assertThrows(IllegalArgumentException.class,
                () -> ProcessQueue.of(ProcessQueueTest::twice).outputCapacity(0));
    }
}
