package jvalkka.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import jvalkka.shm.DType;
import jvalkka.shm.SharedArray;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;
import jvalkka.testing.Handles;
import jvalkka.testing.JavaProgram;
import jvalkka.testing.ProcessPeer;

/**
 * Cross-JVM SyncIndex round trip: the frontend reserves an event with a
 * {@link SyncIndex}, writes its index into a shared mailbox and sets a "go"
 * event; a child JVM wakes on "go", clears it, and sets the index; the
 * frontend's {@code close()} returns. Prints, after warm-up:
 * <pre>
 * syncindex_rtt_p50_us V us
 * syncindex_rtt_p99_us V us
 * syncindex_idle_cpu_pct V %     (the child waiting 2 s for nothing)
 * </pre>
 * Usage: {@code SyncBench [--spin-micros N] [WARMUP [ITERATIONS]]} (defaults 20000, 100000);
 * {@code --spin-micros 0} measures the pure futex path.
 */
public final class SyncBench {
    private SyncBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        String spin = null;
        int at = rest.indexOf("--spin-micros");
        if (at >= 0) {
            spin = rest.get(at + 1);
            rest.subList(at, at + 2).clear();
            System.setProperty(EventGroup.SPIN_PROPERTY, spin); // before EventGroup initialises
        }
        if (rest.size() > 0 && rest.get(0).equals("child")) {
            child(rest.get(1));
            return;
        }
        int warmup = rest.size() > 0 ? Integer.parseInt(rest.get(0)) : 20_000;
        int iterations = rest.size() > 1 ? Integer.parseInt(rest.get(1)) : 100_000;

        String mailboxName = "jvbench-" + UUID.randomUUID().toString().substring(0, 8);
        try (SharedArray mailbox = SharedArray.create(mailboxName, DType.INT64, 1);
             EventGroup eg = new EventGroup(10);
             EventGroup go = new EventGroup(1)) {
            List<String> jvm = spin == null ? List.of() : List.of("-D" + EventGroup.SPIN_PROPERTY + "=" + spin);
            JavaProgram child = JavaProgram.start(SyncBench.class.getName(), jvm, "child",
                    Handles.encode(new Object[] {eg, go, mailbox}));
            try {
                eg.addPeer(new ProcessPeer(child.process())); // a crashed child fails the run, never hangs it
                child.awaitOutput("child ready", 60);
                for (int k = 0; k < warmup; k++) {
                    roundTrip(eg, go, mailbox);
                }
                long[] ns = new long[iterations];
                for (int k = 0; k < iterations; k++) {
                    long t0 = System.nanoTime();
                    roundTrip(eg, go, mailbox);
                    ns[k] = System.nanoTime() - t0;
                }
                Arrays.sort(ns);
                System.out.printf(Locale.ROOT, "syncindex_rtt_p50_us %.2f us%n", ns[iterations / 2] / 1e3);
                System.out.printf(Locale.ROOT, "syncindex_rtt_p99_us %.2f us%n",
                        ns[(int) (iterations * 0.99)] / 1e3);

                ProcessHandle h = child.process().toHandle();
                Duration cpu0 = h.info().totalCpuDuration().orElse(Duration.ZERO);
                long w0 = System.nanoTime();
                Thread.sleep(2000); // measuring idle cost over a fixed window, not synchronising
                Duration cpu1 = h.info().totalCpuDuration().orElse(Duration.ZERO);
                double pct = 100.0 * cpu1.minus(cpu0).toNanos() / (System.nanoTime() - w0);
                System.out.printf(Locale.ROOT, "syncindex_idle_cpu_pct %.2f %%%n", pct);
                System.out.printf(Locale.ROOT, "# warmup %d, iterations %d, spin %s us%n", warmup, iterations,
                        spin == null ? "default" : spin);

                mailbox.setLong(0, -1);
                go.set(0);
                JavaProgram.Result r = child.waitFor(30);
                if (r.exitCode() != 0) {
                    throw new IllegalStateException("child failed: " + r.output());
                }
            } finally {
                child.destroyTree();
                mailbox.unlink();
            }
        }
    }

    private static void roundTrip(EventGroup eg, EventGroup go, SharedArray mailbox) {
        try (SyncIndex s = new SyncIndex(eg)) {
            mailbox.setLong(0, s.index());
            go.set(0); // a full fence: the child sees the mailbox once it sees "go"
        }
    }

    private static void child(String handles) throws Exception {
        Object[] h = Handles.decode(handles);
        EventGroup eg = (EventGroup) h[0];
        EventGroup go = (EventGroup) h[1];
        SharedArray mailbox = (SharedArray) h[2];
        EventGroup.Event goEvent = go.fromIndex(0);
        System.out.println("child ready");
        while (true) {
            goEvent.await();
            goEvent.clear();
            long index = mailbox.getLong(0L);
            if (index < 0) {
                break;
            }
            eg.set((int) index);
        }
        mailbox.close();
        go.close();
        eg.close();
    }
}
