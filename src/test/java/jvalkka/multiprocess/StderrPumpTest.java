package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A starting backend's standard error is copied by a pump; starts one after
 * another (as {@code startAll}'s, a few at a time) reuse the pumps' threads
 * rather than starting one per backend.
 */
@Timeout(60)
class StderrPumpTest {
    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void pumpsOneAfterAnotherReuseTheirThread() {
        // other tests in this JVM may have left idle pump threads: any of them may take a copy,
        // but twenty copies one after another start at most one thread of their own
        int before = StderrPump.threadsStarted();
        for (int i = 0; i < 20; i++) {
            StderrPump p = new StderrPump();
            String text = "StderrPumpTest: what backend " + i + " wrote\n";
            p.start(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "w" + i);
            assertEquals(text, p.awaitCaptured(10_000), "the copy ends at the end of the stream with all of it");
        }
        int started = StderrPump.threadsStarted() - before;
        assertTrue(started <= 1, "copies one after another reuse a thread, but " + started + " were started");
    }

    @Test
    void pumpsAtTheSameTimeEachGetAThreadAndKeepWhatTheyCopied() throws Exception {
        CountDownLatch open = new CountDownLatch(1);
        StderrPump[] pumps = new StderrPump[3];
        CountDownLatch reading = new CountDownLatch(pumps.length);
        for (int i = 0; i < pumps.length; i++) {
            String text = "StderrPumpTest: concurrent backend " + i + "\n";
            pumps[i] = new StderrPump();
            pumps[i].start(held(text, reading, open), "c" + i); // each blocks until the latch opens: all at once
        }
        // every copy is under way while none can end: no copy waits for another's thread
        assertTrue(reading.await(20, TimeUnit.SECONDS), "all three copies read at the same time");
        open.countDown();
        Set<Thread> copiers = new HashSet<>();
        for (int i = 0; i < pumps.length; i++) {
            assertEquals("StderrPumpTest: concurrent backend " + i + "\n", pumps[i].awaitCaptured(10_000));
            copiers.add(pumps[i].copier());
        }
        assertEquals(pumps.length, copiers.size(), "a pump waiting for its backend holds no other's up");
        assertTrue(copiers.stream().allMatch(Thread::isDaemon), "the copy never keeps the JVM alive");
    }

    @Test
    void aPumpNeverStartedHasNothingToWaitFor() {
        long t0 = System.nanoTime();
        assertEquals("", new StderrPump().awaitCaptured(30_000)); // a remote start has no pump
        assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(20), "it did not wait");
    }

    /**
     * A stream that counts {@code reading} down at its first read, and gives {@code text} once
     * {@code open} is counted down, then its end.
     */
    private static InputStream held(String text, CountDownLatch reading, CountDownLatch open) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new InputStream() {
            private int at;
            private boolean counted;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (!counted) {
                    counted = true;
                    reading.countDown();
                }
                try {
                    if (!open.await(20, TimeUnit.SECONDS)) {
                        throw new IOException("the latch never opened");
                    }
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                if (at == bytes.length) {
                    return -1;
                }
                int n = Math.min(len, bytes.length - at);
                System.arraycopy(bytes, at, b, off, n);
                at += n;
                return n;
            }
        };
    }
}
