package jvalkka.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jvalkka.sync.internal.Peer;

/**
 * A child JVM for {@link EventCloseRaceTest}: an {@link EventGroup} closed while threads use it,
 * round after round. An access to the unmapped segment would crash this JVM (SIGSEGV), which is
 * why it runs in a JVM of its own.
 *
 * <p>{@code java jvalkka.sync.EventCloseRace ROUNDS}: in each round, a group of 64 events; one
 * thread sets and reads events, one waits for an event no one sets, one runs the group's
 * peer-death wake-up (what the core runs when a backend dies) in a loop; the main thread closes
 * the group once all three have begun. The three must each end with
 * {@link IllegalStateException} (the group is closed), the wake-up without any. Prints
 * {@code ok refused=R}; anything else is printed and exits 1.
 */
public final class EventCloseRace {
    private EventCloseRace() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        AtomicLong refused = new AtomicLong();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int round = 0; round < rounds && failures.isEmpty(); round++) {
            EventGroup g = new EventGroup(64);
            DeadPeer peer = new DeadPeer();
            g.addPeer(peer);
            AtomicBoolean closed = new AtomicBoolean();
            CountDownLatch begun = new CountDownLatch(3);
            List<Thread> threads = new ArrayList<>();
            for (int kind = 0; kind < 3; kind++) {
                int k = kind;
                threads.add(new Thread(() -> {
                    begun.countDown();
                    try {
                        for (int i = 0; ; i++) {
                            switch (k) {
                                case 0 -> {
                                    g.set(i & 31);
                                    if (!g.isSet(i & 31)) {
                                        throw new AssertionError("event " + (i & 31) + " not set after set");
                                    }
                                    g.clear(i & 31);
                                }
                                case 1 -> g.fromIndex(40).await(50, TimeUnit.MILLISECONDS);
                                default -> {
                                    peer.death.run(); // returns quietly once the group is closed
                                    if (closed.get()) {
                                        return;
                                    }
                                }
                            }
                        }
                    } catch (IllegalStateException e) {
                        refused.incrementAndGet();
                    } catch (Throwable t) {
                        failures.add(Thread.currentThread().getName() + ": " + t);
                    }
                }, "race-" + k));
            }
            threads.forEach(Thread::start);
            begun.await();
            Thread.onSpinWait();
            g.close();
            closed.set(true);
            for (Thread t : threads) {
                t.join(10_000);
                if (t.isAlive()) {
                    failures.add(t.getName() + " did not end after the close");
                }
            }
        }
        if (!failures.isEmpty()) {
            System.out.println("FAILED " + failures);
            System.exit(1);
        }
        System.out.println("ok refused=" + refused.get());
    }

    /** A peer whose death action the race runs by hand, over and over. */
    private static final class DeadPeer implements Peer {
        volatile Runnable death;

        @Override
        public boolean isAlive() {
            return true;
        }

        @Override
        public String deathReport() {
            return "alive";
        }

        @Override
        public void onDeath(Runnable action) {
            death = action;
        }
    }
}
