package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Finding a {@code c__} handler and binding a message to it, in this JVM: no backend is started. */
@Timeout(10)
class DispatcherTest {
    static class Base {
        String last;

        void c__hello(String who) {
            last = "base " + who;
        }

        void c__only(int x) {
            last = "only " + x;
        }
    }

    static class Handlers extends Base {
        @Override
        void c__hello(String who) {
            last = "sub " + who;
        }

        void c__pair(int a, int b) {
            last = a + "," + b;
        }

        void c__sum(List<Integer> values, double scale) {
            last = String.valueOf(values.stream().mapToInt(Integer::intValue).sum() * scale);
        }

        void c__whole(MessageObject m) {
            last = m.command();
        }

        void notAHandler(int x) {
        }
    }

    static class Overloaded {
        void c__twice(int a) {
        }

        void c__twice(String a) {
        }
    }

    private static Object[] bind(String command, Object... params) throws Exception {
        return Dispatcher.of(Handlers.class).handler(command).bind(new MessageObject(command, params));
    }

    @Test
    void parametersBindByNameWhateverTheirOrder() throws Exception {
        assertArrayEquals(new Object[] {1, 2}, bind("pair", "b", 2, "a", 1));
        assertArrayEquals(new Object[] {1, 2}, bind("pair", "a", 1, "b", 2));
    }

    @Test
    void valuesAreConvertedToTheDeclaredTypes() throws Exception {
        Object[] args = bind("sum", "values", List.of(1, 2, 3), "scale", 2);
        assertEquals(List.of(1, 2, 3), args[0]);
        assertEquals(2.0, args[1]);
    }

    @Test
    void aMissingOrUnexpectedParameterIsNamedWithTheSignature() {
        Dispatcher.DispatchError e = assertThrows(Dispatcher.DispatchError.class, () -> bind("pair", "a", 1, "c", 3));
        assertTrue(e.getMessage().contains("missing parameter b"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected parameter c"), e.getMessage());
        assertTrue(e.getMessage().contains("c__pair(int a, int b)"), e.getMessage());
    }

    @Test
    void aValueOfTheWrongTypeIsRefused() {
        assertThrows(Dispatcher.DispatchError.class, () -> bind("pair", "a", "one", "b", 2));
    }

    @Test
    void aHandlerTakingTheMessageGetsItWhole() throws Exception {
        MessageObject m = new MessageObject("whole", "anything", 1);
        Object[] args = Dispatcher.of(Handlers.class).handler("whole").bind(m);
        assertEquals(1, args.length);
        assertSame(m, args[0]);
    }

    @Test
    void aSubclassHandlerOverridesItsSuperclassAndInheritedOnesAreFound() throws Throwable {
        Handlers h = new Handlers();
        Dispatcher d = Dispatcher.of(Handlers.class);
        d.handler("hello").invoke(h, new Object[] {"x"});
        assertEquals("sub x", h.last);
        d.handler("only").invoke(h, new Object[] {7});
        assertEquals("only 7", h.last);
    }

    @Test
    void onlyMethodsNamedCUnderscoreUnderscoreAreHandlers() {
        assertNull(Dispatcher.of(Handlers.class).handler("notAHandler"));
        assertNull(Dispatcher.of(Handlers.class).handler("nothing"));
    }

    @Test
    void overloadedHandlersAreRefusedAsAmbiguous() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Dispatcher.of(Overloaded.class));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }

    static class Counting {
        long sum;

        void c__add(int x) {
            if (x < 0) {
                throw new IllegalArgumentException("negative " + x);
            }
            sum += x;
        }

        void c__nothing() {
            sum++;
        }
    }

    @Test
    void aHandlerCalledManyTimesIsCalledThroughItsOwnMethodHandleWithTheSameResultsAndExceptions() throws Throwable {
        Counting c = new Counting();
        Dispatcher.Handler add = new Dispatcher.Handler("add", Counting.class.getDeclaredMethod("c__add", int.class),
                true);
        Dispatcher.Handler nothing = new Dispatcher.Handler("nothing",
                Counting.class.getDeclaredMethod("c__nothing"), true);
        long expected = 0;
        for (int i = 0; i < 3 * Dispatcher.Handler.REFLECTED_CALLS; i++) {
            assertNull(add.invoke(c, new Object[] {i}));
            expected += i;
            assertNull(nothing.invoke(c, new Object[0]));
            expected++;
            int n = -1 - i;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> add.invoke(c, new Object[] {n})); // unwrapped, before and after the switch
            assertEquals("negative " + n, e.getMessage());
        }
        assertEquals(expected, c.sum);
        assertTrue(add.callsThroughHandle(), "still reflected after many calls");
        assertTrue(nothing.callsThroughHandle());
        Dispatcher.Handler reflected = new Dispatcher.Handler("add",
                Counting.class.getDeclaredMethod("c__add", int.class), false);
        for (int i = 0; i < 3 * Dispatcher.Handler.REFLECTED_CALLS; i++) {
            reflected.invoke(c, new Object[] {1});
        }
        assertTrue(!reflected.callsThroughHandle(), "a handler told to stay reflected switched");
    }

    @Test
    void reservedParametersAreSkipped() throws Exception {
        assertArrayEquals(new Object[] {1, 2}, bind("pair", "a", 1, "b", 2, "__sync", 5));
    }
}
