package jvalkka.shm;

import jvalkka.shm.internal.Crossing;
import jvalkka.shm.internal.NamedHandle;
import jvalkka.shm.internal.RunRecord;
import jvalkka.shm.internal.Waiter;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;


import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A named POSIX shared memory segment: the file {@code /dev/shm/<name>}, mapped
 * shared (changes are seen at once by every process that maps it). The Java
 * counterpart of Python's {@code multiprocessing.shared_memory.SharedMemory}.
 *
 * <pre>{@code
 * try (SharedMemory shm = SharedMemory.create("my-shm-1", 80_000)) {   // frontend
 *     shm.buffer().putDouble(0, 1.0);
 * }
 * SharedMemory shm = SharedMemory.open("my-shm-1");                     // backend
 * }</pre>
 *
 * <p><b>Ownership.</b> The JVM that {@link #create creates} a segment owns the
 * name: it is recorded in this JVM's {@link RunRecord} and unlinked at JVM
 * exit if nobody unlinked it before, and found by {@link RunRecord#sweepStale()}
 * after a crash. Any process may {@link #unlink()} it earlier (the tutorial's
 * backend does). {@link #close()} only unmaps this JVM's view; the data lives
 * until the name is unlinked and the last mapping is gone.
 *
 * <p><b>Crossing to a backend.</b> A {@code SharedMemory} serializes as a handle
 * (its name): when a frontend object that holds one is serialized into a child
 * JVM, the child re-opens the segment by name. The child does not own it.
 *
 * <p><b>Threads.</b> The buffer may be used from any thread (it is plain memory:
 * synchronise with {@link UnsafeBuffer}'s volatile/ordered accessors or an
 * {@code EventGroup}). {@link #close()} is idempotent. The bulk copies
 * {@link #getBytes(int, byte[], int, int) getBytes} and
 * {@link #putBytes(int, byte[], int, int) putBytes} of this class (and the bulk
 * copies of a {@link SharedArray} over it) may race with {@code close()} in
 * another thread: a copy under way when {@code close()} begins completes, and
 * {@code close()} waits for it before it unmaps; a copy that begins later throws
 * {@link IllegalStateException}. Access through {@link #buffer()} or
 * {@link #address()} has no such guard (it stays as fast as plain memory) and
 * must not race with {@code close()}: after close the view is emptied, so a late
 * access fails with an exception instead of touching unmapped memory, but an
 * access already under way when the mapping goes can crash the JVM.
 */
public final class SharedMemory implements AutoCloseable, Serializable {
    private static final long serialVersionUID = 1L;

    /** Where the segments live. */
    public static final Path DIRECTORY = RunRecord.SHM_DIRECTORY;
    /** The longest name accepted (a file name under {@link #DIRECTORY}). */
    public static final int MAX_NAME_LENGTH = RunRecord.MAX_SEGMENT_NAME_LENGTH;
    /** The largest segment: one Java mapping. */
    public static final long MAX_SIZE = Integer.MAX_VALUE;

    private final transient String name;
    private final transient int size;
    private final transient boolean owner;
    private final transient long dev;
    private final transient long ino;
    private final transient UnsafeBuffer buffer;
    private transient MappedByteBuffer mapped;
    private transient volatile boolean closed;
    /** Guarded bulk copies under way ({@link #enter()}); {@link #close()} waits for none before it unmaps. */
    private transient volatile int copying;
    private static final VarHandle COPYING;

    static {
        try {
            COPYING = MethodHandles.lookup().findVarHandle(SharedMemory.class, "copying", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private SharedMemory(String name, MappedByteBuffer mapped, boolean owner, long dev, long ino) {
        this.name = name;
        this.mapped = mapped;
        this.size = mapped.capacity();
        this.owner = owner;
        this.dev = dev;
        this.ino = ino;
        this.buffer = mapped.isReadOnly() ? new ReadOnlyBuffer(mapped, name) : new UnsafeBuffer(mapped);
    }

    /**
     * Creates the segment {@code name} of {@code size} bytes, zero-filled, mode
     * 0600, atomically (it fails rather than reusing an existing name), and
     * maps it. This JVM owns it (see the class comment).
     *
     * @throws SegmentExistsException if the name exists (like Python's {@code FileExistsError})
     * @throws IllegalArgumentException for a bad name or a size outside 1..{@link #MAX_SIZE}
     * @param name the name
     * @param size the length in bytes
     * @return the new segment
     */
    public static SharedMemory create(String name, long size) throws IOException {
        checkName(name);
        if (size <= 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("size of shared memory '" + name + "' must be 1.." + MAX_SIZE
                    + " bytes, not " + size);
        }
        RunRecord record = RunRecord.get(); // sweeps stale segments first, once per JVM
        Path path = DIRECTORY.resolve(name);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, Set0600.OPTIONS_CREATE, Set0600.MODE);
        } catch (FileAlreadyExistsException e) {
            throw new SegmentExistsException(name, path.toString());
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(DIRECTORY.toString(), null, "no " + DIRECTORY
                    + " on this machine: POSIX shared memory needs Linux with /dev/shm mounted");
        }
        boolean ok = false;
        try (ch) {
            // the segment gets its length the way ftruncate would: a write at the last byte
            ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            long dev = ((Number) Files.getAttribute(path, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(path, "unix:ino")).longValue();
            SharedMemory shm = new SharedMemory(name, m, true, dev, ino);
            record.addSegment(name, dev, ino);
            ok = true;
            return shm;
        } finally {
            if (!ok) {
                Files.deleteIfExists(path); // we created it, so removing it is ours to do
            }
        }
    }

    /**
     * Maps the existing segment {@code name} (its whole length). The caller does
     * not own it: closing unmaps only.
     *
     * @throws NoSuchFileException naming the segment if it does not exist
     * @param name the name
     * @return the segment
     */
    public static SharedMemory open(String name) throws IOException {
        return open(name, false);
    }

    /**
     * Maps the existing segment {@code name} (its whole length) read-only: the
     * mapping is read-only, and every write method of {@link #buffer()} throws
     * {@link UnsupportedOperationException} naming the segment (a write through
     * {@link #address()} with raw memory access faults). Otherwise as {@link #open}.
     *
     * @throws NoSuchFileException naming the segment if it does not exist
     * @param name the name
     * @return the segment, read-only in this view ({@link #isReadOnly()})
     */
    public static SharedMemory openReadOnly(String name) throws IOException {
        return open(name, true);
    }

    private static SharedMemory open(String name, boolean readOnly) throws IOException {
        checkName(name);
        Path path = DIRECTORY.resolve(name);
        FileChannel ch;
        try {
            ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no shared memory segment named '" + name
                    + "': it was never created, or it was already unlinked (create it first with"
                    + " SharedMemory.create)");
        }
        try (ch) {
            long size = ch.size();
            if (size == 0) {
                throw new IOException("shared memory segment '" + name + "' (" + path + ") is empty:"
                        + " its creator has not sized it yet, or it is not a jvalkka/Python segment");
            }
            if (size > MAX_SIZE) {
                throw new IOException("shared memory segment '" + name + "' has " + size
                        + " bytes, more than one mapping can hold (" + MAX_SIZE + ")");
            }
            MappedByteBuffer m = ch.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE,
                    0, size);
            long dev = ((Number) Files.getAttribute(path, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(path, "unix:ino")).longValue();
            return new SharedMemory(name, m, false, dev, ino);
        }
    }

    /**
     * Whether a segment named {@code name} exists now.
     *
     * @param name the name
     * @return whether a segment named {@code name} exists now
     */
    public static boolean exists(String name) {
        return isValidName(name) && Files.exists(DIRECTORY.resolve(name));
    }

    /**
     * The name given at creation (without a leading slash).
     *
     * @return the name given at creation (without a leading slash)
     */
    public String name() {
        return name;
    }

    /**
     * Length in bytes.
     *
     * @return the length in bytes
     */
    public int size() {
        return size;
    }

    /**
     * Whether this JVM created the segment (and so unlinks it at exit).
     *
     * @return whether this JVM created the segment (and so unlinks it at exit)
     */
    public boolean isOwner() {
        return owner;
    }

    /** {@return whether this view is read-only ({@link #openReadOnly})} */
    public boolean isReadOnly() {
        return buffer instanceof ReadOnlyBuffer;
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return closed;
    }

    /**
     * The mapped bytes, as an Agrona buffer in native byte order by default.
     *
     * @throws IllegalStateException after {@link #close()}
     * @return the mapped bytes, as an Agrona buffer in native byte order by default
     */
    public UnsafeBuffer buffer() {
        checkOpen();
        return buffer;
    }

    /**
     * The address of the first byte (page aligned).
     *
     * @return the address of the first byte (page aligned)
     */
    public long address() {
        checkOpen();
        return buffer.addressOffset();
    }

    /**
     * The file under {@link #DIRECTORY}.
     *
     * @return the file under {@link #DIRECTORY}
     */
    public Path path() {
        return DIRECTORY.resolve(name);
    }

    /**
     * Removes the name, so that no one can open it any more; existing mappings
     * stay valid. Idempotent: returns false when the name is already gone, or
     * now names another segment (it was unlinked and created anew), which is
     * then left alone. Works after {@link #close()} too.
     *
     * @return whether the name was removed by this call
     */
    public boolean unlink() {
        boolean removed = RunRecord.unlinkIfSame(path(), dev, ino);
        if (owner) {
            RunRecord.get().removeSegment(name, ino);
        }
        return removed;
    }

    /**
     * Copies {@code length} bytes of the segment, from byte {@code index} on, into {@code dst}. Safe
     * against a {@link #close()} in another thread (see the class comment): it copies all or nothing.
     *
     * @param index the first byte of the segment to copy
     * @param dst where the bytes go
     * @param offset where in {@code dst} the first byte goes
     * @param length how many bytes
     * @throws IndexOutOfBoundsException when the range is outside the segment or {@code dst}
     * @throws IllegalStateException naming the segment when it is closed, or closing, before the copy begins
     */
    public void getBytes(int index, byte[] dst, int offset, int length) {
        checkRange(index, length);
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        enter();
        try {
            buffer.getBytes(index, dst, offset, length);
        } finally {
            exit();
        }
    }

    /**
     * Copies {@code length} bytes of {@code src} into the segment, from byte {@code index} on. Safe
     * against a {@link #close()} in another thread (see the class comment): it copies all or nothing.
     *
     * @param index the first byte of the segment to write
     * @param src the bytes
     * @param offset where in {@code src} the first byte is
     * @param length how many bytes
     * @throws IndexOutOfBoundsException when the range is outside the segment or {@code src}
     * @throws IllegalStateException naming the segment when it is closed, or closing, before the copy begins
     * @throws UnsupportedOperationException naming the segment when this view is {@link #isReadOnly() read-only}
     */
    public void putBytes(int index, byte[] src, int offset, int length) {
        checkRange(index, length);
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        enter();
        try {
            buffer.putBytes(index, src, offset, length);
        } finally {
            exit();
        }
    }

    private void checkRange(int index, int length) {
        if (index < 0 || length < 0 || (long) index + length > size) {
            throw new IndexOutOfBoundsException(length + " bytes at " + index + " are outside the " + size
                    + " bytes of shared memory '" + name + "'");
        }
    }

    /**
     * Begins a bulk access that {@link #close()} must not unmap under: close waits for its
     * {@link #exit()}. Every {@code enter()} that returns must be followed by one {@code exit()}
     * (in a finally block). Two atomic operations: for bulk copies, not per element.
     *
     * @throws IllegalStateException naming the segment when it is closed or closing
     */
    void enter() {
        COPYING.getAndAdd(this, 1);
        // close() sets closed, then reads copying; this adds to copying, then reads closed: one
        // of the two sees the other (both volatile), so no copy runs on an unmapped segment
        if (closed) {
            COPYING.getAndAdd(this, -1);
            throw closedException();
        }
    }

    /** Ends a bulk access begun by {@link #enter()}. */
    void exit() {
        COPYING.getAndAdd(this, -1);
    }

    /**
     * Unmaps this view. Idempotent. Does not unlink (see {@link #unlink()}). A bulk copy under way
     * in another thread (see the class comment) completes first: this waits for it.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // no guarded copy begins from now on; wait for those under way (each is one memory copy)
        Waiter.untilZero(() -> copying, -1);
        MappedByteBuffer m;
        synchronized (this) {
            m = mapped;
            mapped = null;
            buffer.wrap(new byte[0]); // later accesses fail a bounds check instead of faulting
        }
        IoUtil.unmap(m);
    }

    /** Throws unless open. */
    public void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("shared memory '" + name + "' is closed");
    }

    @Override
    public String toString() {
        return "SharedMemory(name='" + name + "', size=" + size + (owner ? ", owner" : "")
                + (closed ? ", closed" : "") + ")";
    }

    /**
     * Whether {@code name} is acceptable as a segment name.
     *
     * @param name the name
     * @return whether {@code name} is acceptable as a segment name
     */
    public static boolean isValidName(String name) {
        return RunRecord.isValidSegmentName(name);
    }

    static void checkName(String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("bad shared memory name '" + name + "': it must be 1.."
                    + MAX_NAME_LENGTH + " characters without '/', spaces or control characters, like"
                    + " \"my-shm-1\"");
        }
    }

    // --- serialization: as a handle that re-opens by name ---

    /**
     * Serializes the name (and layout), not the memory.
     *
     * @return the serial form
     * @throws ObjectStreamException never
     */
    private Object writeReplace() throws ObjectStreamException {
        checkOpen();
        Crossing.note(this);
        return new Handle(name);
    }

    /**
     * Refuses direct deserialization: the serial form is read through {@code writeReplace}.
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    private void readObject(java.io.ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("SharedMemory crosses as a Handle");
    }

    /** The serialized form: the name. Deserializing it opens the segment. */
    static final class Handle extends NamedHandle {
        private static final long serialVersionUID = 1L;

        Handle(String name) {
            super(name);
        }

        @Override
        protected Object reopen(String name) throws IOException {
            return SharedMemory.open(name);
        }

        @Override
        protected String what() {
            return "shared memory";
        }
    }

    private static final class Set0600 {
        static final java.util.Set<StandardOpenOption> OPTIONS_CREATE = java.util.EnumSet.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        static final java.nio.file.attribute.FileAttribute<?> MODE =
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    }
}
