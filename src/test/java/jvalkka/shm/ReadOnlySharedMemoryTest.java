package jvalkka.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/** {@link SharedMemory#openReadOnly}: reads see the segment, every write fails naming it, before touching memory. */
@Timeout(30)
class ReadOnlySharedMemoryTest {
    private final TestSegments segments = new TestSegments();

    @AfterEach
    void cleanUp() throws Exception {
        segments.cleanUp();
    }

    @Test
    void aReadOnlyViewReadsTheSegmentAndRefusesEveryWriteNamingIt() throws Exception {
        String n = segments.name();
        SharedMemory rw = segments.keep(SharedMemory.create(n, 4096));
        rw.buffer().putLong(8, 42L);
        SharedMemory ro = segments.keep(SharedMemory.openReadOnly(n));
        assertTrue(ro.isReadOnly());
        assertFalse(rw.isReadOnly());
        UnsafeBuffer b = ro.buffer();
        assertEquals(42L, b.getLong(8));
        rw.buffer().putLong(16, 7L);
        assertEquals(7L, b.getLong(16), "the same memory: a later write by the writer is seen");
        List<Executable> writes = List.of(() -> b.putLong(0, 1L), () -> b.putByte(0, (byte) 1),
                () -> b.putBytes(0, new byte[4]), () -> b.setMemory(0, 8, (byte) 1), () -> b.putIntVolatile(0, 1),
                () -> b.compareAndSetLong(8, 42L, 1L), () -> b.getAndAddLong(8, 1L), () -> b.putStringAscii(0, "x"),
                () -> b.putLongOrdered(0, 1L), () -> b.putDouble(0, 1.0));
        for (Executable w : writes) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, w);
            assertTrue(e.getMessage().contains(n) && e.getMessage().contains("read-only"), e.getMessage());
        }
        assertEquals(42L, b.getLong(8), "no write went through");
        assertEquals(0L, rw.buffer().getLong(0));
    }
}
