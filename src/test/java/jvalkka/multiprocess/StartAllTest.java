package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link MessageProcess#startAll}: a process that cannot start fails the call,
 * and every other process of the list is started and running, whether it came
 * before or after the one that failed, so that the caller knows what to stop.
 */
@Timeout(120)
class StartAllTest {
    static final class Pinger extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Pinger(String name) {
            super(name);
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    /** A process whose field cannot cross to a backend: its start fails before a JVM is launched. */
    static final class Uncrossable extends MessageProcess {
        private static final long serialVersionUID = 1L;
        Object value = new Thread(() -> { });

        Uncrossable() {
            super("uncrossable");
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void aProcessThatCannotCrossFailsTheCallAndEveryOtherOneRuns() {
        List<MessageProcess> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            all.add(new Pinger("before-" + i));
        }
        Uncrossable bad = new Uncrossable();
        all.add(bad);
        for (int i = 0; i < 3; i++) {
            all.add(new Pinger("after-" + i));
        }
        try {
            BackendStartException e = assertThrows(BackendStartException.class, () -> MessageProcess.startAll(all));
            assertTrue(e.getMessage().contains("uncrossable"), e.getMessage());
            assertFalse(bad.isAlive());
            for (MessageProcess p : all) {
                if (p == bad) {
                    continue;
                }
                assertTrue(p.isAlive(), p + " was not started");
                p.sendMessageToBack(new MessageObject("ping", "i", 3));
                assertTrue(p.getPipe().poll(30), p + " does not answer");
                assertEquals(3, p.getPipe().recv().get("i", Integer.class));
            }
        } finally {
            for (MessageProcess p : all) {
                p.requestStop();
            }
            for (MessageProcess p : all) {
                p.waitStop();
            }
        }
    }

    @Test
    void everyProcessOfAListLongerThanTheWindowStarts() {
        List<Pinger> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            all.add(new Pinger("w-" + i));
        }
        try {
            MessageProcess.startAll(all);
            for (Pinger p : all) {
                p.sendMessageToBack(new MessageObject("ping", "i", 1));
            }
            for (Pinger p : all) {
                assertTrue(p.getPipe().poll(30), p + " does not answer");
                assertEquals(1, p.getPipe().recv().get("i", Integer.class));
            }
        } finally {
            for (Pinger p : all) {
                p.requestStop();
            }
            for (Pinger p : all) {
                p.waitStop();
            }
        }
    }
}
