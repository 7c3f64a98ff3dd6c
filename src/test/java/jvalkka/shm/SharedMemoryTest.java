package jvalkka.shm;

import jvalkka.shm.internal.Crossing;
import jvalkka.shm.internal.RunRecord;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import jvalkka.testing.Handles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SharedMemoryTest {
    private final TestSegments segments = new TestSegments();

    private String name() {
        return segments.name();
    }

    private <T extends AutoCloseable> T keep(T t) {
        return segments.keep(t);
    }

    @AfterEach
    void cleanUp() throws Exception {
        segments.cleanUp();
    }

    @Test
    void createOpenShareCloseUnlink() throws IOException {
        String n = name();
        SharedMemory a = keep(SharedMemory.create(n, 1000));
        assertEquals(n, a.name());
        assertEquals(1000, a.size());
        assertTrue(a.isOwner());
        assertEquals(0, a.address() % 4096, "page aligned");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(a.path())));
        assertTrue(RunRecord.get().segmentNames().contains(n), "recorded as ours");

        SharedMemory b = keep(SharedMemory.open(n));
        assertFalse(b.isOwner());
        assertEquals(1000, b.size());
        a.buffer().putLong(992, 0x1234_5678_9abcL);
        assertEquals(0x1234_5678_9abcL, b.buffer().getLong(992), "one memory, two mappings");
        assertEquals(0, b.buffer().getLong(0), "zero-filled");

        b.close();
        b.close(); // idempotent
        assertThrows(IllegalStateException.class, b::buffer);
        assertThrows(IllegalStateException.class, b::address);
        assertTrue(a.unlink());
        assertFalse(Files.exists(a.path()));
        assertFalse(RunRecord.get().segmentNames().contains(n), "forgotten once unlinked");
        assertFalse(a.unlink(), "unlink is idempotent");
        assertEquals(0x1234_5678_9abcL, a.buffer().getLong(992), "the mapping outlives the name");
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> SharedMemory.open(n));
        assertTrue(missing.getMessage().contains("no shared memory segment named '" + n + "'"),
                missing.getMessage());
    }

    @Test
    void duplicateNameFailsLikeFileExistsErrorWithHint() throws IOException {
        String n = name();
        keep(SharedMemory.create(n, 64));
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> SharedMemory.create(n, 64));
        assertTrue(e instanceof SegmentExistsException);
        assertEquals(n, ((SegmentExistsException) e).segmentName());
        String m = e.getMessage();
        assertTrue(m.contains("'" + n + "' already exists"), m);
        assertTrue(m.contains("unlink()") && m.contains("scripts/cleanup"), m);
        assertEquals(64, Files.size(SharedMemory.DIRECTORY.resolve(n)), "the existing one is untouched");
    }

    @Test
    void badNamesAndSizes() {
        for (String bad : new String[] {"", "a/b", "/x", ".", "..", "with space", "new\nline", "x".repeat(256)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SharedMemory.create(bad, 8), bad);
            assertTrue(e.getMessage().contains("bad shared memory name"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create(name(), 0));
        assertThrows(IllegalArgumentException.class, () -> SharedMemory.create(name(), 1L << 31));
    }

    @Test
    void unlinkLeavesANewSegmentOfTheSameNameAlone() throws IOException {
        String n = name();
        SharedMemory first = keep(SharedMemory.create(n, 64));
        try (SharedMemory other = SharedMemory.open(n)) {
            assertTrue(other.unlink()); // as the tutorial's backend does
        }
        SharedMemory second = keep(SharedMemory.create(n, 128));
        assertFalse(first.unlink(), "the name now belongs to another segment");
        assertTrue(Files.exists(second.path()));
        assertTrue(second.unlink());
    }

    @Test
    void closedViewFailsInsteadOfFaulting() throws IOException {
        SharedMemory a = keep(SharedMemory.create(name(), 64));
        var view = a.buffer();
        a.close();
        assertThrows(IndexOutOfBoundsException.class, () -> view.getLong(0));
        assertTrue(a.unlink(), "unlink works after close");
        assertTrue(a.toString().contains("closed"), a.toString());
    }

    @Test
    void serializesAsAHandleThatReopensByName() throws Exception {
        String n = name();
        SharedMemory a = keep(SharedMemory.create(n, 256));
        a.buffer().putInt(8, 77);
        Crossing.begin();
        Object[] back = Handles.roundTrip(new Object[] {a, a});
        List<Object> crossed = Crossing.end();
        assertEquals(List.of(a), crossed, "noted once");
        SharedMemory b = keep((SharedMemory) back[0]);
        assertSame(back[0], back[1], "one view per stream");
        assertNotSame(a, b);
        assertFalse(b.isOwner(), "the re-opened side does not own the name");
        assertEquals(77, b.buffer().getInt(8));
        b.buffer().putInt(12, 99);
        assertEquals(99, a.buffer().getInt(12));

        a.unlink();
        Exception e = assertThrows(java.io.InvalidObjectException.class, () -> Handles.roundTrip(a));
        assertTrue(e.getMessage().contains(n), e.getMessage());
    }

    @Test
    void dtypeNames() {
        assertEquals(DType.FLOAT64, DType.of("float64"));
        assertEquals(DType.FLOAT64, DType.of("float"));
        assertEquals(DType.FLOAT16, DType.of("float16"));
        assertEquals(DType.UINT8, DType.of("UINT8"));
        assertEquals(DType.INT32, DType.of("int32"));
        assertEquals(2, DType.FLOAT16.itemSize());
        assertEquals(8, DType.INT64.itemSize());
        assertEquals("float32", DType.FLOAT32.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DType.of("complex128"));
        assertTrue(e.getMessage().contains("float64"), e.getMessage());
    }
}
