package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** start() and a preRun__ that fails: by default reported later as "exited"; on request, start() fails with it. */
@Timeout(120)
class PreRunStartTest {
    static final BackendOptions AWAIT = BackendOptions.defaults().withAwaitPreRun(true);

    static class Camera extends MessageProcess {
        String fault;        // what preRun__ does: null (fine), "throw", "exit"
        long prepareMillis;

        Camera(String name, String fault) {
            super(name);
            this.fault = fault;
        }

        @Override
        protected void preRun__() throws Exception {
            return_out__(new MessageObject("preparing"));
            send_out__(new MessageObject("hello"));
            Thread.sleep(prepareMillis);
            if ("throw".equals(fault)) {
                throw new IllegalStateException("no camera at /dev/video0");
            }
            if ("exit".equals(fault)) {
                System.exit(5);
            }
        }

        void c__ping() {
            send_out__(new MessageObject("pong"));
        }
    }

    /** A run() of its own, like SGN's worker: calls preRun__ itself. */
    static class OwnRun extends Camera {
        OwnRun(String name, String fault) {
            super(name, fault);
        }

        @Override
        protected void run() throws Exception {
            preRun__();
            while (loop) {
                readPipes__(timeout);
            }
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    static void assertIsPreRunFailure(BackendStartException e) {
        assertTrue(e.getMessage().contains("preRun__ raised"), e.getMessage());
        Throwable cause = e.getCause();
        assertInstanceOf(IllegalStateException.class, cause, String.valueOf(cause));
        assertEquals("no camera at /dev/video0", cause.getMessage());
        assertTrue(Arrays.stream(cause.getStackTrace()).anyMatch(f -> f.getMethodName().equals("preRun__")
                && f.getClassName().endsWith("Camera")), "the backend's stack trace: " + Arrays.toString(cause.getStackTrace()));
    }

    @Test
    void byDefaultStartReturnsAndAFailedPreRunIsReportedAsExited() {
        Camera p = new Camera("default", "throw");
        p.start(); // valkka's behaviour: start() does not wait for preRun__
        assertEquals("hello", p.getPipe().recv().command());
        MessageObject exited = p.getPipe().recv();
        assertEquals("exited", exited.command());
        assertTrue(String.valueOf(exited.get("reason")).contains("no camera"), String.valueOf(exited));
        p.stop();
    }

    @Test
    void aStartThatAwaitsPreRunFailsWithItsException() {
        Camera p = new Camera("awaits", "throw");
        p.setOptions(AWAIT);
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertIsPreRunFailure(e);
        assertTrue(e.getMessage().contains("exit status 1"), e.getMessage());
        assertFalse(p.isAlive());
        p.stop(); // harmless
    }

    @Test
    void aStartThatAwaitsPreRunReturnsOnlyAfterIt() {
        Camera p = new Camera("slow", null);
        p.prepareMillis = 400;
        p.setOptions(AWAIT);
        long t0 = System.nanoTime();
        p.start();
        try {
            assertTrue(System.nanoTime() - t0 >= 400_000_000L, "start() returned before preRun__ did");
            assertEquals("preparing", p.returnFromBack().command(), "return_out__ from preRun__ is kept");
            assertEquals("hello", p.getPipe().recv().command());
            p.sendMessageToBack(new MessageObject("ping"));
            assertEquals("pong", p.getPipe().recv().command());
        } finally {
            p.stop();
        }
    }

    @Test
    void aPreRunThatExitsFailsTheStartWithTheStatus() {
        Camera p = new Camera("exits", "exit");
        p.setOptions(AWAIT);
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("exited with status 5 before preRun__ returned"), e.getMessage());
    }

    @Test
    void aProcessWithItsOwnRunIsReadyWhenItReadsItsPipe() {
        OwnRun ok = new OwnRun("own-run", null);
        ok.setOptions(AWAIT);
        ok.start();
        ok.sendMessageToBack(new MessageObject("ping"));
        assertEquals("hello", ok.getPipe().recv().command());
        assertEquals("pong", ok.getPipe().recv().command());
        ok.stop();
        OwnRun bad = new OwnRun("own-run-fails", "throw");
        bad.setOptions(AWAIT);
        assertIsPreRunFailure(assertThrows(BackendStartException.class, bad::start));
    }

    @Test
    void startAllAwaitsPreRunToo() {
        Camera good = new Camera("good", null);
        Camera bad = new Camera("bad", "throw");
        good.setOptions(AWAIT);
        bad.setOptions(AWAIT.withStartTimeout(Duration.ofSeconds(60)));
        try {
            assertIsPreRunFailure(assertThrows(BackendStartException.class,
                    () -> MessageProcess.startAll(List.of(good, bad))));
            assertTrue(good.isAlive());
            assertFalse(bad.isAlive());
        } finally {
            good.stop();
            bad.stop();
        }
    }
}
