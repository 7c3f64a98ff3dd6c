package jvalkka.multiprocess.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.multiprocess.MainContext;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.Restarter;
import jvalkka.multiprocess.Select;

/** A MainContext's workers read through the platform MBean server while they work, through a restart. */
@Timeout(60)
class MainContextJmxTest {
    static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    /** Two echo workers kept busy by ping-pong; a dead one is restarted. */
    static final class Busy extends MainContext {
        final List<Workers.Echo> workers = new ArrayList<>();
        final Restarter<Workers.Echo> restarter = new Restarter<>(Workers.Echo::new, 3, Duration.ofMinutes(1));

        Busy() {
            catchSignals = false;
            start();
        }

        @Override
        protected void startProcesses() {
            workers.add(new Workers.Echo("jmx-a"));
            workers.add(new Workers.Echo("jmx-b"));
            jvalkka.multiprocess.MessageProcess.startAll(workers);
        }

        @Override
        protected void startThreads() {
        }

        @Override
        public void run() {
            for (Workers.Echo w : workers) {
                w.sendMessageToBack(new MessageObject("ping", "i", 0));
            }
            while (loop) {
                List<Object> reads = new ArrayList<>();
                reads.add(auxPipeRead);
                workers.forEach(w -> reads.add(w.getPipe()));
                for (Object o : Select.safeSelect(reads, List.of(), List.of(), 1).reads()) {
                    if (o == auxPipeRead) {
                        loop = false;
                        continue;
                    }
                    Workers.Echo w = workers.stream().filter(x -> x.getPipe() == o).findFirst().orElseThrow();
                    MessageObject m = ((MessagePipe) o).recv();
                    if (Restarter.isExited(m)) {
                        Workers.Echo fresh = restarter.restart(w, m);
                        workers.set(workers.indexOf(w), fresh);
                        fresh.sendMessageToBack(new MessageObject("ping", "i", 0));
                    } else if (m != null) {
                        w.sendMessageToBack(new MessageObject("ping", "i", (int) m.get("i") + 1));
                    }
                }
            }
            close();
        }

        @Override
        public void close() {
            workers.forEach(Workers.Echo::requestStop);
            workers.forEach(Workers.Echo::waitStop);
            super.close();
        }
    }

    @AfterEach
    void nothingLeft() {
        Workers.assertNoChildren(15);
    }

    static Object attr(ObjectName n, String a) throws Exception {
        return SERVER.getAttribute(n, a);
    }

    static long longAttr(ObjectName n, String a) throws Exception {
        return ((Number) attr(n, a)).longValue();
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static void await(Check c, String what) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!c.holds()) {
            if (System.nanoTime() > deadline) {
                fail("not within 30 s: " + what);
            }
            Thread.sleep(10); // polling a condition, not synchronising by time
        }
    }

    @Test
    void theWorkersCountsAliveAndRestartsReadThroughThePlatformMBeanServerWhileTheyWork() throws Exception {
        Busy ctx = new Busy();
        ctx.runAsThread();
        ObjectName context = new ObjectName("jvalkka:type=MainContext,name=Busy");
        ObjectName a = new ObjectName("jvalkka:type=MainContext.Worker,context=Busy,name=jmx-a");
        ObjectName b = new ObjectName("jvalkka:type=MainContext.Worker,context=Busy,name=jmx-b");
        try {
            assertTrue(SERVER.isRegistered(context), "the context's MBean");
            assertEquals(2, attr(context, "Workers"));
            assertEquals(2, attr(context, "WorkersAlive"));
            assertEquals(ctx.workers.get(0).pid(), longAttr(a, "Pid"));
            assertEquals(true, attr(b, "Alive"));
            long first = longAttr(a, "MessagesIn");
            await(() -> longAttr(a, "MessagesIn") > first + 50, "worker a's messages in grow while it works");
            await(() -> longAttr(context, "MessagesOut") > 100 && longAttr(context, "MessagesIn") > 100,
                    "the context's sums grow");
            long out = longAttr(b, "MessagesOut");
            long in = longAttr(b, "MessagesIn");
            assertTrue(Math.abs(out - in) <= 2, "ping-pong: out " + out + " in " + in);
            assertEquals("", attr(a, "LastError"));

            long oldPid = longAttr(a, "Pid");
            long before = longAttr(a, "MessagesIn");
            ProcessHandle.of(oldPid).orElseThrow().destroyForcibly(); // our own child, by pid
            await(() -> ((Number) attr(a, "Restarts")).intValue() == 1 && longAttr(a, "Pid") != oldPid
                    && (boolean) attr(a, "Alive"), "the restart shows on the same MBean");
            assertTrue(String.valueOf(attr(a, "LastError")).contains("SIGKILL"), String.valueOf(attr(a, "LastError")));
            assertEquals(1L, longAttr(context, "Restarts"));
            assertEquals(2, attr(context, "Workers"), "the replacement took the dead worker's place");
            await(() -> longAttr(a, "MessagesIn") > before + 20, "the count goes on after the restart");
            assertNotEquals(oldPid, ctx.workers.get(0).pid());
        } finally {
            ctx.stopThread();
        }
        Set<ObjectName> left = SERVER.queryNames(new ObjectName("jvalkka:type=MainContext*,*"), null);
        assertEquals(Set.of(), left, "every MBean unregistered on close");
    }
}
