package jvalkka.multiprocess.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import jvalkka.multiprocess.MainContext;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.Select;

/** MainContext in this JVM: lazy start, the aux pipe, a raised SIGTERM, handlers put back, failures. */
@SuppressWarnings("restriction")
class MainContextTest {

    static final class Ctx extends MainContext {
        final List<Workers.Echo> cache = new ArrayList<>();
        final CompletableFuture<Aux> why = new CompletableFuture<>();
        final CompletableFuture<Void> looping = new CompletableFuture<>();
        boolean failInLoop;
        int closes;

        @Override
        protected void startProcesses() {
            cache.add(new Workers.Echo("ctx-worker"));
            cache.get(0).ignoreSIGINT();
            cache.get(0).start();
        }

        @Override
        protected void startThreads() {
        }

        @Override
        public void run() {
            if (failInLoop) {
                throw new IllegalStateException("loop trouble");
            }
            List<Object> reads = List.of(auxPipeRead, cache.get(0).getPipe());
            cache.get(0).sendMessageToBack(new MessageObject("ping", "i", 1));
            while (loop) {
                looping.complete(null);
                for (Object o : Select.safeSelect(reads, List.of(), List.of(), 1).reads()) {
                    if (o == auxPipeRead) {
                        why.complete(readAux());
                        loop = false;
                    } else {
                        cache.get(0).getPipe().recv();
                    }
                }
            }
            close();
        }

        @Override
        public void close() {
            closes++;
            Workers.stopAll(cache);
            super.close();
        }
    }

    @AfterEach
    void noChildren() {
        Workers.assertNoChildren(15);
    }

    /** The JVM-level handler now installed for {@code name} (sun.misc wraps it anew on each query). */
    private static String current(String name) {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler h = sun.misc.Signal.handle(sig, sun.misc.SignalHandler.SIG_DFL);
        sun.misc.Signal.handle(sig, h);
        String s = h.toString();
        return s.contains("<") ? s.substring(s.indexOf('<')) : s;
    }

    @Test
    void runAsThreadStartsLazilyAndStopThreadEndsTheLoopThroughTheAuxPipe() throws Exception {
        String intBefore = current("INT");
        String termBefore = current("TERM");
        Ctx ctx = new Ctx();
        assertTrue(ctx.cache.isEmpty(), "the constructor starts nothing");
        ctx.runAsThread();
        assertTrue(ctx.cache.get(0).isAlive());
        ctx.looping.get(60, TimeUnit.SECONDS);
        ctx.stopThread();
        assertEquals(MainContext.Aux.STOP, ctx.why.get(1, TimeUnit.SECONDS));
        assertFalse(ctx.cache.get(0).isAlive());
        assertEquals(2, ctx.closes, "the loop closes, then stopThread closes again: close must be idempotent");
        assertEquals(intBefore, current("INT"), "close() puts the previous SIGINT handler back");
        assertEquals(termBefore, current("TERM"));
    }

    @Test
    void aSignalWakesTheLoopThroughTheAuxPipe() throws Exception {
        Ctx ctx = new Ctx();
        ctx.runAsThread();
        ctx.looping.get(60, TimeUnit.SECONDS);
        sun.misc.Signal.raise(new sun.misc.Signal("TERM")); // handled by the context: only a byte in the aux pipe
        assertEquals(MainContext.Aux.SIGTERM, ctx.why.get(30, TimeUnit.SECONDS));
        ctx.stopThread();
        assertFalse(ctx.cache.get(0).isAlive());
    }

    @Test
    void aLoopThatFailsIsReportedByStopThreadAfterClosing() {
        Ctx ctx = new Ctx();
        ctx.failInLoop = true;
        ctx.runAsThread();
        IllegalStateException e = assertThrows(IllegalStateException.class, ctx::stopThread);
        assertTrue(e.getMessage().contains("loop trouble"), e.getMessage());
        assertFalse(ctx.cache.get(0).isAlive(), "the workers were stopped anyway");
    }
}
