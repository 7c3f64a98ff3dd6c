package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The two ways a process object crosses to its backend give the same object:
 * field values for plain processes, Java serialization for the rest.
 */
class ProcessTransferTest {
    static class Base extends MessageProcess {
        private static final long serialVersionUID = 1L;
        protected int shared = 1;
        private String hidden = "base";

        Base(String name) {
            super(name);
        }

        String baseHidden() {
            return hidden;
        }
    }

    static final class Plain extends Base {
        private static final long serialVersionUID = 1L;
        final long big;
        private String hidden = "sub"; // same name as Base's: both must arrive
        Integer boxed = 7;
        String none;
        double d = -0.0;
        float f = 2.5f;
        short s = -3;
        byte b = 9;
        char c = 'é';
        boolean flag = true;
        Object declaredObject = "a string in an Object field";
        transient List<String> cache = new ArrayList<>();
        transient int transientInt = 5;

        Plain(String name) {
            super(name);
            big = Long.MAX_VALUE;
        }
    }

    static final class WithList extends MessageProcess {
        private static final long serialVersionUID = 1L;
        final ArrayList<Integer> items = new ArrayList<>(List.of(1, 2, 3));

        WithList() {
            super("with-list");
        }
    }

    static final class WithHook extends MessageProcess {
        private static final long serialVersionUID = 1L;
        int n = 4;
        transient boolean hookRan;

        WithHook() {
            super("with-hook");
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            hookRan = true;
        }
    }

    static final class WithReplace extends MessageProcess {
        private static final long serialVersionUID = 1L;

        WithReplace() {
            super("with-replace");
        }

        Object writeReplace() {
            return this;
        }
    }

    private static MessageProcess roundTrip(MessageProcess p) throws Exception {
        return ProcessTransfer.decode(ProcessTransfer.encode(p), ProcessTransferTest.class.getClassLoader());
    }

    @Test
    void plainProcessArrivesFieldForField() throws Exception {
        Plain sent = new Plain("plain");
        sent.shared = 42;
        sent.timeout = 0.25;
        assertTrue(ProcessTransfer.isPlain(sent));
        Plain got = (Plain) roundTrip(sent);
        assertEquals("plain", got.getName());
        assertEquals(42, got.shared);
        assertEquals(0.25, got.timeout);
        assertEquals("base", got.baseHidden());
        assertEquals("sub", got.hidden);
        assertEquals(Long.MAX_VALUE, got.big);
        assertEquals(7, got.boxed);
        assertNull(got.none);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(got.d));
        assertEquals(2.5f, got.f);
        assertEquals((short) -3, got.s);
        assertEquals((byte) 9, got.b);
        assertEquals('é', got.c);
        assertTrue(got.flag);
        assertEquals("a string in an Object field", got.declaredObject);
        // as with Java serialization: no constructor or field initializer runs for transient fields
        assertNull(got.cache);
        assertEquals(0, got.transientInt);
        assertEquals(Plain.class.getName() + ".plain", got.logger.getName());
        assertEquals(sent.toString(), got.toString());
    }

    @Test
    void processWithObjectStateGoesByJavaSerialization() throws Exception {
        WithList sent = new WithList();
        assertFalse(ProcessTransfer.isPlain(sent));
        WithList got = (WithList) roundTrip(sent);
        assertEquals(List.of(1, 2, 3), got.items);
        assertEquals(WithList.class.getName() + ".with-list", got.logger.getName());
    }

    @Test
    void serializationHooksAreHonoured() throws Exception {
        WithHook sent = new WithHook();
        assertFalse(ProcessTransfer.isPlain(sent));
        WithHook got = (WithHook) roundTrip(sent);
        assertTrue(got.hookRan);
        assertEquals(4, got.n);
        assertFalse(ProcessTransfer.isPlain(new WithReplace()));
    }

    @Test
    void aPlainFieldTurningNonPlainSwitchesTheWay() throws Exception {
        Plain sent = new Plain("switch");
        sent.declaredObject = new ArrayList<>(List.of("x"));
        assertFalse(ProcessTransfer.isPlain(sent));
        Plain got = (Plain) roundTrip(sent);
        assertEquals(List.of("x"), got.declaredObject);
    }

    @Test
    void unknownEncodingIsRefused() {
        assertThrows(IOException.class,
                () -> ProcessTransfer.decode(new byte[] {'X', 1, 2}, getClass().getClassLoader()));
        assertThrows(IOException.class, () -> ProcessTransfer.decode(new byte[0], getClass().getClassLoader()));
    }

    @Test
    void everyTruncationOfAPlainProcessIsAnIOExceptionThatSaysWhatIsMissing() throws Exception {
        byte[] whole = ProcessTransfer.encode(new Plain("cut"));
        assertEveryTruncationIsMalformed(whole);
        byte[] longer = java.util.Arrays.copyOf(whole, whole.length + 1);
        IOException extra = assertThrows(IOException.class, () -> ProcessTransfer.decode(longer, getClass().getClassLoader()));
        assertTrue(extra.getMessage().contains("after the process's fields"), extra.getMessage());
    }

    /** Every proper prefix of {@code whole} fails to decode with an IOException that says it is malformed. */
    static void assertEveryTruncationIsMalformed(byte[] whole) {
        for (int n = 1; n < whole.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(whole, n);
            IOException e = assertThrows(IOException.class,
                    () -> ProcessTransfer.decode(cut, ProcessTransferTest.class.getClassLoader()),
                    "the first " + n + " bytes");
            assertTrue(e.getMessage() != null && e.getMessage().contains("malformed process object"),
                    "the first " + n + " bytes: " + e);
        }
    }
}
