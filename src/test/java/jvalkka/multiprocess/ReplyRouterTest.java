package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One thread routes every backend's replies, and it ends when no backend is left. */
@Timeout(120)
class ReplyRouterTest {
    static final class Returner extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Returner(String name) {
            super(name);
        }

        void c__give(int i, int n) {
            for (int k = 0; k < n; k++) {
                return_out__(new MessageObject("got", "i", i, "k", k));
            }
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    private static long routerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("jvalkka-replies")).count();
    }

    @Test
    void severalBackendsShareOneReplyThreadThatEndsWithTheLast() throws Exception {
        WarmPool.stopAll(); // a pool kept by an earlier test class holds the thread (ReplyRouter.hold)
        List<Returner> ps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ps.add(new Returner("r" + i));
        }
        try {
            MessageProcess.startAll(ps);
            assertEquals(1, routerThreads(), "one thread routes the replies of every backend");
            for (int i = 0; i < ps.size(); i++) {
                ps.get(i).sendMessageToBack(new MessageObject("give", "i", i, "n", 300));
            }
            for (int i = 0; i < ps.size(); i++) {
                for (int k = 0; k < 300; k++) {
                    MessageObject m = ps.get(i).returnFromBack();
                    assertEquals(i, m.get("i", Integer.class));
                    assertEquals(k, m.get("k", Integer.class), "in order, nothing lost");
                }
            }
        } finally {
            for (Returner p : ps) {
                p.stop();
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (routerThreads() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.sleep(5); // polling a real condition, bounded
        }
        assertEquals(0, routerThreads(), "the reply thread ends when no backend is left");
    }
}
