package jvalkka.shm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A child JVM for {@link CopyCloseRaceTest}: bulk copies in several threads
 * while the main thread closes the array under them, round after round. A copy
 * that the close cut short would fault on the unmapped segment and crash this
 * JVM, which is why it runs in a JVM of its own.
 *
 * <p>{@code java jvalkka.shm.CopyCloseRace NAME_PREFIX ROUNDS ELEMENTS}: in each
 * round, creates (and at the end unlinks) the float32 segment
 * {@code NAME_PREFIX-<round>} of ELEMENTS elements filled with the round's
 * value; seven threads copy in a loop (a raw and a converting copy in, a fill,
 * a raw and a converting copy out, and the segment's own {@code putBytes} and
 * {@code getBytes}, each writing or checking that value) until
 * a copy is refused with {@link IllegalStateException}. The main thread closes
 * the array as soon as every thread has begun a copy. Each completed copy out
 * must hold the round's value throughout. Prints {@code ok completed=C
 * refused=R overlapped=O}, where O counts the copies that began before the
 * close and ended after the close began (so the race was run), and exits 0;
 * anything else (a wrong value, another exception) is printed and exits 1.
 */
public final class CopyCloseRace {
    private CopyCloseRace() {
    }

    public static void main(String[] args) throws Exception {
        String prefix = args[0];
        int rounds = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        AtomicLong completed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong overlapped = new AtomicLong();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int round = 0; round < rounds && failures.isEmpty(); round++) {
            String name = prefix + "-" + round;
            float value = round + 1;
            SharedArray a = SharedArray.create(name, DType.FLOAT32, n);
            try {
                a.fill(value);
                AtomicInteger begun = new AtomicInteger();
                AtomicLong closeBegan = new AtomicLong(Long.MAX_VALUE);
                List<Thread> threads = new ArrayList<>();
                for (int kind = 0; kind < 7; kind++) {
                    int k = kind;
                    threads.add(new Thread(() -> {
                        float[] f = new float[n];
                        double[] d = new double[n];
                        byte[] b = new byte[n * 4];
                        Arrays.fill(f, value);
                        Arrays.fill(d, value);
                        FloatBuffer bf = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).asFloatBuffer();
                        for (int i = 0; i < n; i++) {
                            bf.put(i, value);
                        }
                        boolean first = true;
                        while (true) {
                            long t0 = System.nanoTime();
                            if (first) {
                                begun.incrementAndGet();
                                first = false;
                            }
                            try {
                                switch (k) {
                                    case 0 -> a.copyFrom(f);
                                    case 1 -> a.copyFrom(d);
                                    case 2 -> a.fill(value);
                                    case 3 -> a.copyTo(f);
                                    case 4 -> a.copyTo(d);
                                    case 5 -> a.segment().putBytes(0, b, 0, b.length);
                                    default -> a.segment().getBytes(0, b, 0, b.length);
                                }
                            } catch (IllegalStateException e) {
                                if (!e.getMessage().contains(name)) {
                                    failures.add("a refusal that does not name the segment: " + e);
                                }
                                refused.incrementAndGet();
                                return;
                            } catch (Throwable e) {
                                failures.add("copy " + k + " failed: " + e);
                                return;
                            }
                            long t1 = System.nanoTime();
                            if (t0 < closeBegan.get() && t1 > closeBegan.get()) {
                                overlapped.incrementAndGet();
                            }
                            completed.incrementAndGet();
                            if (k == 3 || k == 4 || k == 6) {
                                for (int i = 0; i < n; i++) {
                                    double got = k == 3 ? f[i] : k == 4 ? d[i] : bf.get(i);
                                    if (got != value) {
                                        failures.add("copy " + k + " read " + got + " at " + i + ", not " + value);
                                        return;
                                    }
                                }
                            }
                        }
                    }, "copier-" + k));
                }
                threads.forEach(Thread::start);
                while (begun.get() < threads.size()) {
                    Thread.onSpinWait();
                }
                closeBegan.set(System.nanoTime());
                a.close();
                for (Thread t : threads) {
                    t.join();
                }
            } finally {
                a.close();
                a.unlink();
            }
        }
        if (!failures.isEmpty()) {
            failures.forEach(System.out::println);
            System.exit(1);
        }
        System.out.println("ok completed=" + completed + " refused=" + refused + " overlapped=" + overlapped);
    }

    /**
     * {@code java 'jvalkka.shm.CopyCloseRace$IntoReadOnly' NAME}: creates segment NAME (16 int32), lays
     * an array over a read-only view of it and copies an int[] in (the raw copy): prints the
     * exception it throws and exits 0, or exits 1 if the copy went through.
     */
    public static final class IntoReadOnly {
        private IntoReadOnly() {
        }

        public static void main(String[] args) throws Exception {
            try (SharedMemory rw = SharedMemory.create(args[0], 64);
                    SharedMemory ro = SharedMemory.openReadOnly(args[0])) {
                SharedArray a = SharedArray.wrap(ro, DType.INT32, 16);
                try {
                    a.copyFrom(new int[16]);
                    System.out.println("copied into a read-only view");
                    System.exit(1);
                } catch (RuntimeException e) {
                    System.out.println("refused: " + e);
                } finally {
                    rw.unlink();
                }
            }
        }
    }
}
