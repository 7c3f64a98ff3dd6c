package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.internal.ValueWriter;
import jvalkka.shm.SharedArray;
import jvalkka.shm.SharedMemory;
import jvalkka.shm.internal.Crossing;
import jvalkka.sync.EventGroup;

/**
 * A process whose fields are plain values, {@link EventGroup}s or
 * {@link SharedMemory} segments crosses as field values (no Java
 * serialization): each handle is re-opened by name in the receiving JVM, one
 * handle referenced by two fields arrives as one object, and the handles that
 * crossed are recorded as with Java serialization. Other shared-memory types
 * fall back to Java serialization; malformed input is a clear IOException.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PlainHandleTransferTest {
    static final class WithHandles extends MessageProcess {
        private static final long serialVersionUID = 1L;
        final EventGroup eg;
        EventGroup sameGroup;
        final SharedMemory shm;
        Object asObject;
        long count = 3;
        String text = "t";

        WithHandles(EventGroup eg, SharedMemory shm) {
            super("with-handles");
            this.eg = eg;
            this.shm = shm;
            this.sameGroup = eg;
            this.asObject = shm;
        }
    }

    /** Declares no serialVersionUID, as most applications' classes: the plain form needs none. */
    @SuppressWarnings("serial")
    static final class Unversioned extends MessageProcess {
        final EventGroup eg;

        Unversioned(EventGroup eg) {
            super("unversioned");
            this.eg = eg;
        }
    }

    static final class WithArray extends MessageProcess {
        private static final long serialVersionUID = 1L;
        final SharedArray array;

        WithArray(SharedArray array) {
            super("with-array");
            this.array = array;
        }
    }

    static final class WithMemoryField extends MessageProcess {
        private static final long serialVersionUID = 1L;
        SharedMemory shm;

        WithMemoryField() {
            super("with-memory-field");
        }
    }

    private static MessageProcess roundTrip(MessageProcess p) throws Exception {
        return ProcessTransfer.decode(ProcessTransfer.encode(p), PlainHandleTransferTest.class.getClassLoader());
    }

    private final List<SharedMemory> created = new java.util.ArrayList<>();

    /** A new segment, unlinked after the test (closing only unmaps). */
    private SharedMemory segment(String what, long size) throws IOException {
        SharedMemory m = SharedMemory.create(unique(what), size);
        created.add(m);
        return m;
    }

    @AfterEach
    void unlinkSegments() {
        for (SharedMemory m : created) {
            m.unlink();
        }
    }

    private static String unique(String what) {
        return "jvalkka-test-plain-" + what + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    }

    @Test
    void eventGroupsAndSegmentsCrossAsFieldValuesAndAreReopenedByName() throws Exception {
        try (EventGroup eg = new EventGroup(4); SharedMemory shm = segment("shm", 4096)) {
            WithHandles sent = new WithHandles(eg, shm);
            assertTrue(ProcessTransfer.isPlain(sent), "EventGroup and SharedMemory fields are plain");
            shm.buffer().putInt(0, 1234);
            WithHandles got = (WithHandles) roundTrip(sent);
            try {
                assertNotSame(eg, got.eg, "re-opened, not the sender's object");
                assertEquals(eg.name(), got.eg.name());
                assertEquals(eg.size(), got.eg.size());
                assertSame(got.eg, got.sameGroup, "one handle in two fields arrives as one object");
                assertTrue(got.asObject instanceof SharedMemory, "a handle in an Object field");
                assertSame(got.shm, got.asObject);
                assertEquals(shm.name(), got.shm.name());
                assertEquals(1234, got.shm.buffer().getInt(0), "the same segment, mapped again");
                assertEquals(3, got.count);
                assertEquals("t", got.text);
                assertEquals(WithHandles.class.getName() + ".with-handles", got.logger.getName());
            } finally {
                got.eg.close();
                got.shm.close();
            }
        }
    }

    @Test
    void theHandlesThatCrossAreRecordedForTheStarter() throws Exception {
        try (EventGroup eg = new EventGroup(2); SharedMemory shm = segment("rec", 64)) {
            Crossing.begin();
            List<Object> crossed;
            try {
                ProcessTransfer.encode(new WithHandles(eg, shm));
            } finally {
                crossed = Crossing.end();
            }
            assertEquals(2, crossed.size(), crossed.toString());
            assertTrue(crossed.stream().anyMatch(o -> o == eg) && crossed.stream().anyMatch(o -> o == shm));
        }
    }

    @Test
    void aClassWithoutSerialVersionUidCrossesPlainly() throws Exception {
        try (EventGroup eg = new EventGroup(1)) {
            Unversioned sent = new Unversioned(eg);
            assertTrue(ProcessTransfer.isPlain(sent));
            Unversioned got = (Unversioned) roundTrip(sent);
            assertEquals(eg.name(), got.eg.name());
            got.eg.close();
        }
    }

    @Test
    void aNullHandleFieldStaysNull() throws Exception {
        WithMemoryField sent = new WithMemoryField();
        assertTrue(ProcessTransfer.isPlain(sent));
        assertNull(((WithMemoryField) roundTrip(sent)).shm);
    }

    @Test
    void otherSharedMemoryTypesFallBackToJavaSerialization() throws Exception {
        try (SharedArray a = SharedArray.create(unique("arr"), jvalkka.shm.DType.INT32, 4)) {
            created.add(a.segment());
            WithArray sent = new WithArray(a);
            assertFalse(ProcessTransfer.isPlain(sent));
            WithArray got = (WithArray) roundTrip(sent);
            assertEquals(a.segment().name(), got.array.segment().name());
            got.array.close();
        }
    }

    @Test
    void aClosedHandleCannotCrossAndSaysWhy() throws Exception {
        EventGroup eg = new EventGroup(1);
        eg.close();
        IOException e = assertThrows(IOException.class, () -> ProcessTransfer.encode(new Unversioned(eg)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aHandleThatCannotBeReopenedIsAClearIOException() throws Exception {
        byte[] bytes;
        try (EventGroup eg = new EventGroup(1)) {
            bytes = ProcessTransfer.encode(new Unversioned(eg));
        } // closed by its owner: its segment is gone
        IOException e = assertThrows(IOException.class,
                () -> ProcessTransfer.decode(bytes, getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("cannot re-open EventGroup"), e.getMessage());
    }

    @Test
    void aHandleClassThatIsNoHandleIsRefused() throws Exception {
        ValueWriter.OnArray out = ValueWriter.onArray(64, null);
        out.putByte('P');
        out.putString(Unversioned.class.getName());
        out.putInt(1);
        out.putString(Unversioned.class.getName());
        out.putString("eg");
        out.putByte('H');
        out.putString(StringBuilder.class.getName());
        out.putInt(0);
        IOException e = assertThrows(IOException.class,
                () -> ProcessTransfer.decode(out.toByteArray(), getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("is not a handle"), e.getMessage());
    }

    @Test
    void aHandleOfTheWrongTypeForItsFieldIsRefused() throws Exception {
        try (SharedMemory shm = segment("wrong", 64)) {
            WithMemoryField p = new WithMemoryField();
            p.shm = shm;
            byte[] good = ProcessTransfer.encode(p);
            // the same bytes, but for a class whose field of that name is an EventGroup
            String from = WithMemoryField.class.getName();
            String to = from.replace("WithMemoryField", "WithMemoryFiele");
            byte[] bad = replace(good, from, to);
            IOException e = assertThrows(IOException.class,
                    () -> ProcessTransfer.decode(bad, getClass().getClassLoader()));
            assertTrue(e.getMessage().contains("WithMemoryFiele"), e.getMessage());
        }
    }

    @Test
    void everyTruncationOfAProcessWithHandlesIsAMalformedProcessObject() throws Exception {
        try (EventGroup eg = new EventGroup(1); SharedMemory shm = segment("cut", 64)) {
            ProcessTransferTest.assertEveryTruncationIsMalformed(ProcessTransfer.encode(new WithHandles(eg, shm)));
        }
    }

    @Test
    void aBackReferenceToNoHandleIsRefused() throws Exception {
        ValueWriter.OnArray out = ValueWriter.onArray(64, null);
        out.putByte('P');
        out.putString(WithMemoryField.class.getName());
        out.putInt(1);
        out.putString(WithMemoryField.class.getName());
        out.putString("shm");
        out.putByte('R');
        out.putInt(0);
        IOException e = assertThrows(IOException.class,
                () -> ProcessTransfer.decode(out.toByteArray(), getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("malformed process object"), e.getMessage());
    }

    /** {@code b} with the UTF-8 string {@code from} replaced by {@code to}, of the same length. */
    private static byte[] replace(byte[] b, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        assertEquals(f.length, t.length);
        byte[] out = b.clone();
        for (int i = 0; i + f.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, out, i, t.length);
                return out;
            }
        }
        throw new AssertionError(from + " is not in the bytes");
    }

    /** A class like {@link WithMemoryField} whose field {@code shm} is an EventGroup. */
    static final class WithMemoryFiele extends MessageProcess {
        private static final long serialVersionUID = 1L;
        EventGroup shm;

        WithMemoryFiele() {
            super("with-memory-fiele");
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }
}
