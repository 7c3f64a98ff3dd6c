package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A warm pool holds the reply thread ({@link ReplyRouter#hold}): its next start
 * finds the thread running instead of starting it between the backend's ready
 * frame and its return; released, the thread ends with its last backend.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplyRouterHoldTest {
    static final class Echo extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Echo() {
            super("router-hold");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    private static boolean await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(2); // polling a real condition, bounded
        }
        return true;
    }

    @Test
    void aHeldReplyThreadOutlivesItsLastBackendUntilReleased() throws Exception {
        WarmPool.stopAll(); // a pool kept by an earlier test class holds the thread too
        assertTrue(await(() -> ReplyRouter.routes() == 0 && !ReplyRouter.isRunning()), "another test's backend runs");
        ReplyRouter.hold();
        boolean held = true;
        try {
            Echo p = new Echo();
            p.start();
            p.sendMessageToBack(new MessageObject("ping", "i", 1));
            assertEquals(1, p.getPipe().recv().get("i"));
            p.stop();
            assertTrue(await(() -> ReplyRouter.routes() == 0), "the stopped backend's route did not end");
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            while (System.nanoTime() < until) { // without the hold it ends in the turn that ended the route
                assertTrue(ReplyRouter.isRunning(), "the held reply thread ended with its last backend");
                Thread.sleep(5);
            }
            ReplyRouter.release();
            held = false;
            assertTrue(await(() -> !ReplyRouter.isRunning()), "the released reply thread did not end");
        } finally {
            if (held) {
                ReplyRouter.release();
            }
        }
        assertFalse(ReplyRouter.isRunning());
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }
}
