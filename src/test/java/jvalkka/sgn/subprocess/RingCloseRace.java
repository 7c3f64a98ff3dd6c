package jvalkka.sgn.subprocess;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import jvalkka.sgn.Pipeline;

/**
 * A child JVM for {@link RingCloseRaceTest}: worker queues over shared memory used after, and while,
 * the main side releases them. An access to the unmapped rings would crash this JVM (SIGSEGV),
 * which is why it runs in a JVM of its own.
 *
 * <ul>
 * <li>{@code after}: a pipeline with one process-mode element runs and its {@code Parallelize}
 * closes; then the element's {@code outQueue.isEmpty()}, {@code getNowait()} and
 * {@code inQueue.put} must each throw {@link IllegalStateException}. Prints {@code ok after}.</li>
 * <li>{@code race ROUNDS}: each round builds a worker's two rings ({@link JvmWorker}, not started, in a segment of its own);
 * one thread puts into {@code inQueue} (no one takes, so it fills and waits for room), one polls
 * {@code outQueue} and one wakes both rings (as the monitor does when the worker ends), while the
 * main thread releases the worker as {@code Parallelize.close()} does. The two queue users must
 * end with {@link IllegalStateException}, the waker without one. Prints {@code ok race refused=R}.</li>
 * </ul>
 * Anything else is printed and exits 1.
 */
public final class RingCloseRace {
    private RingCloseRace() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("after")) {
            after();
        } else {
            race(Integer.parseInt(args[1]));
        }
    }

    private static void after() {
        TestElements.ProcessSquarer sq = new TestElements.ProcessSquarer();
        sq.setBackendOptions(jvalkka.multiprocess.BackendOptions.defaults().withWarmPool(0)); // no JVMs beside the worker
        TestElements.Collect sink = new TestElements.Collect();
        Pipeline p = ParallelizeTest.chain(new TestElements.Numbers(3), sq, sink);
        try (Parallelize par = new Parallelize(p)) {
            par.run(java.time.Duration.ofSeconds(60));
        }
        if (!sink.got.equals(List.of(1, 4, 9))) {
            fail("the pipeline's frames: " + sink.got);
        }
        expectRefused("outQueue.isEmpty()", () -> sq.outQueue.isEmpty());
        expectRefused("outQueue.getNowait()", () -> sq.outQueue.getNowait());
        expectRefused("inQueue.put()", () -> sq.inQueue.put(1));
        System.out.println("ok after");
    }

    private static void race(int rounds) throws Exception {
        AtomicLong refused = new AtomicLong();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int round = 0; round < rounds && failures.isEmpty(); round++) {
            List<jvalkka.shm.SharedMemory> segments = new ArrayList<>();
            JvmWorker.RingSpace space = JvmWorker.createRings(List.of(4096), List.of("race"), segments).get(0);
            JvmWorker w = new JvmWorker(new TestElements.ProcessSquarer(), new WorkerEvent(), 4096, null, List.of(),
                    space);
            WorkerQueue in = w.mainIn();
            WorkerQueue out = w.mainOut();
            CountDownLatch begun = new CountDownLatch(3);
            java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int kind = 0; kind < 3; kind++) {
                int k = kind;
                threads.add(new Thread(() -> {
                    begun.countDown();
                    try {
                        while (true) {
                            switch (k) {
                                case 0 -> in.put(new byte[100]);
                                case 1 -> {
                                    if (!out.isEmpty()) {
                                        throw new AssertionError("no one put into outQueue");
                                    }
                                }
                                default -> {
                                    w.wakeAll(); // a no-op once released: the monitor calls it at any time
                                    if (released.get()) {
                                        return;
                                    }
                                }
                            }
                        }
                    } catch (IllegalStateException e) {
                        refused.incrementAndGet();
                    } catch (Throwable t) {
                        failures.add(t.toString());
                    }
                }, "race-" + k));
            }
            threads.forEach(Thread::start);
            begun.await();
            w.release(); // as Parallelize.close() does: each worker, then the segments
            Parallelize.removeRings(segments, List.of(w));
            released.set(true);
            for (Thread t : threads) {
                t.join(10_000);
                if (t.isAlive()) {
                    failures.add(t.getName() + " did not end after the release");
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.toString());
        }
        System.out.println("ok race refused=" + refused.get());
    }

    private interface Op {
        void run() throws Exception;
    }

    private static void expectRefused(String what, Op op) {
        try {
            op.run();
            fail(what + " after close did not throw");
        } catch (IllegalStateException e) {
            System.out.println(what + " refused: " + e.getMessage());
        } catch (Exception e) {
            fail(what + " after close threw " + e);
        }
    }

    private static void fail(String why) {
        System.out.println("FAILED " + why);
        System.out.flush();
        System.exit(1);
    }
}
