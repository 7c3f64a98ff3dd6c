package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A warm JVM's rehearsals beyond the start itself ({@link WarmUp}): the one on
 * the serving thread runs a backend on the caller's thread and leaves no socket
 * name behind, the writable mapping leaves no scratch file, and the prefetch of
 * a taken JVM's process class on its own thread loads the class without
 * initialising it.
 */
@Timeout(60)
class WarmUpTest {

    /** Set by {@link Initialised}'s static initialiser. */
    static volatile boolean initialised;

    /** A process class whose static initialiser says when it ran. */
    static final class Initialised extends MessageProcess {
        static {
            initialised = true;
        }

        Initialised() {
            super("initialised");
        }
    }

    /** Set by {@link PlainInitialised}'s static initialiser. */
    static volatile boolean plainInitialised;

    /** A plain process class ({@link ProcessTransfer}) with a handler, whose static initialiser says when it ran. */
    static final class PlainInitialised extends MessageProcess {
        static {
            plainInitialised = true;
        }

        int n;

        PlainInitialised() {
            super("plain-initialised");
        }

        void c__add(int i) {
            n += i;
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    private static List<String> warmNames() throws Exception {
        String prefix = ProcessHandle.current().pid() + "-warm";
        try (Stream<Path> s = Files.list(RunDir.sockets())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
        }
    }

    @Test
    void theRehearsalOnTheServingThreadServesABackendHereAndLeavesNoSocketName() throws Exception {
        Thread caller = Thread.currentThread();
        WarmUp.rehearseOnServingThread(new WarmUp.Rehearsal(), 5);
        assertEquals(caller, Thread.currentThread());
        assertEquals(List.of(), warmNames(), "socket names left in " + RunDir.sockets());
    }

    @Test
    void theWritableMappingRehearsalLeavesNoScratchFile() throws Exception {
        WarmUp.rehearseWritableMapping();
        assertEquals(List.of(), warmNames(), "scratch files left in " + RunDir.sockets());
    }

    @Test
    void thePrefetchOnItsOwnThreadLoadsTheProcessClassWithoutInitialisingIt() throws Exception {
        WarmUp.Prefetcher p = WarmUp.Prefetcher.start();
        p.prefetch("jvalkka.multiprocess.WarmUpTest$Initialised", false); // by name, as the take line names it
        assertTrue(p.awaitDone(30_000), "the prefetch did not end within 30 s");
        assertFalse(initialised, "the prefetch ran the class's static initialiser");
        Class.forName(WarmUpTest.class.getName() + "$Initialised", true, WarmUpTest.class.getClassLoader());
        assertTrue(initialised, "the class's static initialiser never ran");
    }

    @Test
    void thePrefetchOfAPlainProcessBuildsItsDispatcherWithoutInitialisingIt() throws Exception {
        WarmUp.Prefetcher p = WarmUp.Prefetcher.start();
        p.prefetch(WarmUpTest.class.getName() + "$PlainInitialised", true);
        assertTrue(p.awaitDone(30_000), "the prefetch did not end within 30 s");
        assertFalse(plainInitialised, "the prefetch ran the class's static initialiser");
        assertTrue(Dispatcher.isBuilt(PlainInitialised.class), "the prefetch did not build the dispatcher");
        PlainInitialised back = (PlainInitialised) ProcessTransfer.decode(ProcessTransfer.encode(new PlainInitialised()),
                WarmUpTest.class.getClassLoader());
        assertTrue(plainInitialised, "the restore initialises the class");
        assertEquals(0, back.n);
    }
}
