package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLClassLoader;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.CompiledAtTestTime;
import jvalkka.testing.JavaProgram;

/**
 * A process class compiled without {@code -parameters} (Maven's and Gradle's default; the pom
 * compiles jvalkka's own classes with it, so these are compiled here, at test time): its
 * handlers' parameter names are {@code arg0, arg1}, and binding by position would silently swap
 * values sent in another order. Such a class is refused at {@code start()}, with the fix.
 */
@Timeout(120)
class NoParameterNamesTest {
    static final String PAIR = """
            package nparams;
            import jvalkka.multiprocess.MessageObject;
            import jvalkka.multiprocess.MessageProcess;
            public class Pair extends MessageProcess {
                public Pair() { super("pair"); }
                void c__pair(int a, int b) { send_out__(new MessageObject("got", "a", a, "b", b)); }
            }
            """;
    static final String WHOLE = """
            package nparams;
            import jvalkka.multiprocess.MessageObject;
            import jvalkka.multiprocess.MessageProcess;
            public class Whole extends MessageProcess {
                public Whole() { super("whole"); }
                void c__any(MessageObject m) { send_out__(new MessageObject("got", "b", m.get("b"))); }
                void c__nothing() { send_out__(new MessageObject("nothing")); }
            }
            """;
    static final String MAIN = """
            package nparams;
            import jvalkka.multiprocess.BackendStartException;
            import jvalkka.multiprocess.MessageObject;
            import jvalkka.multiprocess.MessageProcess;
            public class Main {
                static void ask(MessageProcess p, MessageObject m) {
                    p.sendMessageToBack(m);
                    System.out.println(p.getPipe().poll(30) ? "reply " + p.getPipe().recv() : "no reply");
                }
                public static void main(String[] args) {
                    Whole w = new Whole();
                    w.start();
                    try {
                        ask(w, new MessageObject("any", "b", 2, "a", 1));
                        ask(w, new MessageObject("nothing"));
                    } finally {
                        w.stop();
                    }
                    Pair p = new Pair();
                    try {
                        p.start();
                    } catch (BackendStartException e) {
                        System.out.println("refused: " + e.getMessage());
                        return;
                    }
                    try {
                        ask(p, new MessageObject("pair", "b", 2, "a", 1));
                    } finally {
                        p.stop();
                    }
                }
            }
            """;

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    static CompiledAtTestTime withoutParameters() throws Exception {
        CompiledAtTestTime c = CompiledAtTestTime.compile(
                Map.of("nparams.Pair", PAIR, "nparams.Whole", WHOLE, "nparams.Main", MAIN), List.of());
        try (URLClassLoader l = c.loader()) {
            // the premise: javac without -parameters really leaves the names out
            assertFalse(l.loadClass("nparams.Pair").getDeclaredMethod("c__pair", int.class, int.class)
                    .getParameters()[0].isNamePresent());
        }
        return c;
    }

    @Test
    void aProgramWithoutParameterNamesIsRefusedAtStartNamingTheFix() throws Exception {
        try (CompiledAtTestTime c = withoutParameters()) {
            JavaProgram.Result r = JavaProgram.start(null, c.classPath(), "nparams.Main", List.of(), Map.of())
                    .waitFor(60);
            String out = r.output();
            assertEquals(0, r.exitCode(), out);
            // a handler of the whole message needs no names, nor does one without parameters
            assertTrue(out.contains("reply <MessageObject: got: {b=2}>"), out);
            assertTrue(out.contains("reply <MessageObject: nothing: {}>"), out);
            assertFalse(out.contains("a=2"), "bound by position: " + out);
            assertTrue(out.contains("refused: <Pair.pair> cannot start: nparams.Pair was compiled without"
                    + " -parameters"), out);
            assertTrue(out.contains("c__pair(int arg0, int arg1)"), out);
            assertTrue(out.contains("<parameters>true</parameters>"), out);
            assertTrue(out.contains("options.compilerArgs += '-parameters'"), out);
        }
    }

    @Test
    void aMessageForAHandlerWithoutNamesIsAnErrorNotAPositionalBinding() throws Exception {
        try (CompiledAtTestTime c = withoutParameters(); URLClassLoader l = c.loader()) {
            Class<?> pair = l.loadClass("nparams.Pair");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Dispatcher.requireParameterNames(pair));
            assertTrue(e.getMessage().contains("-parameters"), e.getMessage());
            Dispatcher.DispatchError d = assertThrows(Dispatcher.DispatchError.class,
                    () -> Dispatcher.of(pair).handler("pair").bind(new MessageObject("pair", "b", 2, "a", 1)));
            assertTrue(d.getMessage().contains("nparams.Pair was compiled without -parameters"), d.getMessage());
            Dispatcher.requireParameterNames(l.loadClass("nparams.Whole")); // no names needed: no error
        }
    }

    static final class Idle extends MessageProcess {
        Idle() {
            super("idle");
        }
    }

    @Test
    void aProxyInterfaceWithoutParameterNamesIsRefusedNamingTheFix() throws Exception {
        try (CompiledAtTestTime c = CompiledAtTestTime.compile(Map.of("nparams.Api",
                "package nparams; public interface Api { int pair(int a, int b); void none(); }"), List.of());
                URLClassLoader l = c.loader()) {
            Class<?> api = l.loadClass("nparams.Api");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Idle().proxy(api));
            assertTrue(e.getMessage().startsWith("nparams.Api was compiled without -parameters"), e.getMessage());
            assertTrue(e.getMessage().contains("<parameters>true</parameters>"), e.getMessage());
        }
    }
}
