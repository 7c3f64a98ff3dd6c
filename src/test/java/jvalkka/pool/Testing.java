package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.function.BooleanSupplier;

/** Bounded waits on real conditions, and the no-leftover-process check. */
final class Testing {
    private Testing() {
    }

    /** Waits up to 30 s for {@code condition}, polling; fails with {@code what}. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 30 s: " + what);
            }
            Thread.sleep(5); // polling a condition, not synchronising by time
        }
    }

    /** Waits up to 30 s for {@code condition}, polling; fails with {@code what}, as it reads at the deadline. */
    static void await(BooleanSupplier condition, java.util.function.Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 30 s: " + what.get());
            }
            Thread.sleep(5); // polling a condition, not synchronising by time
        }
    }

    /** Every child JVM this test JVM started is gone (waits a little for exits in progress). */
    static void assertNoChildren() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<ProcessHandle> left;
        while (!(left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()).isEmpty()) {
            if (System.nanoTime() > deadline) {
                fail("child processes left: " + left.stream().map(p -> p.pid() + " " + p.info().commandLine()
                        .orElse("?")).toList());
            }
            Thread.sleep(10);
        }
    }
}
