package jvalkka.multiprocess.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.Restarter;
import jvalkka.multiprocess.WarmPool;

/** A Restarter's replacements come from its default warm pool once it has one, and its users can turn it off. */
@Timeout(120)
class WarmRestartTest {

    @AfterEach
    void noChildren() {
        Workers.assertNoChildren(15);
    }

    static boolean isWarm(long pid) {
        return jvalkka.testing.CommandLines.of(ProcessHandle.of(pid).orElseThrow()).contains("-Djvalkka.warm=true");
    }

    static void awaitIdle(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (WarmPool.idle() != n) {
            if (System.nanoTime() > deadline) {
                fail("not " + n + " idle warm JVMs within 60 s: " + WarmPool.idle());
            }
            Thread.sleep(10); // polling a condition, not synchronising by time
        }
    }

    private static Workers.Echo killAndRestart(Restarter<Workers.Echo> r, Workers.Echo w) {
        ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly();
        MessageObject m = w.getPipe().recv();
        assertTrue(Restarter.isExited(m), m.toString());
        Workers.Echo fresh = r.restart(w, m);
        assertNotNull(fresh);
        fresh.sendMessageToBack(new MessageObject("ping", "i", 7));
        assertEquals(7, fresh.getPipe().recv().get("i"), "the replacement works");
        return fresh;
    }

    @Test
    void aSecondReplacementTakesTheWarmJvmTheFirstLeft() throws Exception {
        Restarter<Workers.Echo> restarter = new Restarter<>(Workers.Echo::new, 5, Duration.ofMinutes(1));
        Workers.Echo w = new Workers.Echo("warm-restart");
        w.start();
        Workers.Echo first = null;
        Workers.Echo second = null;
        try {
            first = killAndRestart(restarter, w);
            assertFalse(isWarm(first.pid()), "the first replacement finds no warm JVM");
            awaitIdle(Restarter.DEFAULT_WARM_POOL);
            second = killAndRestart(restarter, first);
            assertTrue(isWarm(second.pid()), "the second replacement took the warm JVM");
            awaitIdle(Restarter.DEFAULT_WARM_POOL); // and the pool refills
        } finally {
            w.stop();
            for (Workers.Echo e : new Workers.Echo[] {first, second}) {
                if (e != null) {
                    e.stop();
                }
            }
        }
    }

    @Test
    void aWorkerWhoseOptionsSayNoPoolIsReplacedCold() throws Exception {
        Restarter<Workers.Echo> restarter = new Restarter<>(name -> {
            Workers.Echo e = new Workers.Echo(name);
            e.setOptions(BackendOptions.defaults().withWarmPool(0));
            return e;
        }, 5, Duration.ofMinutes(1));
        Workers.Echo w = new Workers.Echo("cold-restart");
        w.start();
        Workers.Echo first = null;
        try {
            first = killAndRestart(restarter, w);
            assertFalse(isWarm(first.pid()));
            assertEquals(0, WarmPool.idle(), "no pool was asked for");
            assertEquals(0, ProcessHandle.current().children().filter(h -> isWarm(h.pid())).count());
        } finally {
            w.stop();
            if (first != null) {
                first.stop();
            }
        }
    }
}
