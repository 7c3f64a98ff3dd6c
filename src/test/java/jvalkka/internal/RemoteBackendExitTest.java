package jvalkka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A launcher's backend only notes its end: waiting, the exit value and onExit follow from RemoteBackend. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RemoteBackendExitTest {
    static final class Fake extends RemoteBackend {
        volatile int status = -1;

        @Override
        public String host() {
            return "node n1 (192.0.2.1)";
        }

        @Override
        public String exitReason() {
            return null;
        }

        @Override
        protected int status() {
            return status;
        }

        @Override
        public long pid() {
            return 42;
        }




        @Override
        public void destroy() {
        }
    }

    @Test
    void aRunningBackendHasNoExitValueAndAWaitForItTimesOut() throws Exception {
        Fake b = new Fake();
        assertTrue(b.isAlive());
        IllegalThreadStateException e = assertThrows(IllegalThreadStateException.class, b::exitValue);
        assertEquals("backend pid 42 on node n1 (192.0.2.1) has not exited", e.getMessage());
        assertFalse(b.waitFor(20, TimeUnit.MILLISECONDS));
        assertFalse(b.onExit().isDone());
    }

    @Test
    void theFirstEndCountsAndEveryWaitSeesIt() throws Exception {
        Fake b = new Fake();
        CompletableFuture<Process> before = b.onExit();
        b.status = 3;
        assertTrue(b.exited());
        assertFalse(b.exited());
        assertFalse(b.isAlive());
        assertTrue(b.waitFor(1, TimeUnit.SECONDS));
        assertEquals(3, b.waitFor());
        assertEquals(3, b.exitValue());
        assertEquals(b, before.get(1, TimeUnit.SECONDS));
    }

    @Test
    void completingTheFutureOnExitGaveEndsNothing() throws Exception {
        Fake b = new Fake();
        b.onExit().complete(b); // as BackendReplies' completeOnTimeout does on its copy
        assertTrue(b.isAlive());
        assertFalse(b.waitFor(20, TimeUnit.MILLISECONDS));
    }
}
