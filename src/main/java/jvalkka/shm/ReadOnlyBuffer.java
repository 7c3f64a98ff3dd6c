package jvalkka.shm;

import java.nio.MappedByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The buffer of a read-only {@link SharedMemory} view: every write method throws
 * {@link UnsupportedOperationException} naming the segment, before touching memory
 * (the mapping itself is read-only too, so a write that bypasses this class, through
 * the address, faults). {@code wrap} stays allowed: it changes the view, not the memory.
 */
final class ReadOnlyBuffer extends UnsafeBuffer {
    private final String segment;

    ReadOnlyBuffer(MappedByteBuffer mapped, String segment) {
        super(mapped);
        this.segment = segment;
    }

    private UnsupportedOperationException refused() {
        return new UnsupportedOperationException("shared memory '" + segment + "' is read-only here ("
                + "SharedMemory.openReadOnly, such as the copy of a Parallelize.toShm segment that the workers "
                + "on one host share): write to the original in the frontend instead");
    }

    @Override
    public boolean compareAndSetInt(final int a0, final int a1, final int a2) {
        throw refused();
    }

    @Override
    public boolean compareAndSetLong(final int a0, final long a1, final long a2) {
        throw refused();
    }

    @Override
    public int addIntOrdered(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public int getAndAddInt(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public int getAndSetInt(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public int putIntAscii(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public int putLongAscii(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public int putNaturalIntAscii(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public int putNaturalIntAsciiFromEnd(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public int putNaturalLongAscii(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public int putStringAscii(final int a0, final java.lang.CharSequence a1) {
        throw refused();
    }

    @Override
    public int putStringAscii(final int a0, final java.lang.CharSequence a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public int putStringAscii(final int a0, final java.lang.String a1) {
        throw refused();
    }

    @Override
    public int putStringAscii(final int a0, final java.lang.String a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int a0, final java.lang.String a1) {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int a0, final java.lang.String a1, final int a2) {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int a0, final java.lang.String a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int a0, final java.lang.String a1, final java.nio.ByteOrder a2, final int a3) {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int a0, final java.lang.CharSequence a1) {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int a0, final java.lang.CharSequence a1, final int a2, final int a3) {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int a0, final java.lang.String a1) {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int a0, final java.lang.String a1, final int a2, final int a3) {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthUtf8(final int a0, final java.lang.String a1) {
        throw refused();
    }

    @Override
    public long addLongOrdered(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public long getAndAddLong(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public long getAndSetLong(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public void putByte(final int a0, final byte a1) {
        throw refused();
    }

    @Override
    public void putByteVolatile(final int a0, final byte a1) {
        throw refused();
    }

    @Override
    public void putBytes(final int a0, final byte[] a1) {
        throw refused();
    }

    @Override
    public void putBytes(final int a0, final byte[] a1, final int a2, final int a3) {
        throw refused();
    }

    @Override
    public void putBytes(final int a0, final java.nio.ByteBuffer a1, final int a2) {
        throw refused();
    }

    @Override
    public void putBytes(final int a0, final java.nio.ByteBuffer a1, final int a2, final int a3) {
        throw refused();
    }

    @Override
    public void putBytes(final int a0, final org.agrona.DirectBuffer a1, final int a2, final int a3) {
        throw refused();
    }

    @Override
    public void putChar(final int a0, final char a1) {
        throw refused();
    }

    @Override
    public void putChar(final int a0, final char a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public void putCharVolatile(final int a0, final char a1) {
        throw refused();
    }

    @Override
    public void putDouble(final int a0, final double a1) {
        throw refused();
    }

    @Override
    public void putDouble(final int a0, final double a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public void putFloat(final int a0, final float a1) {
        throw refused();
    }

    @Override
    public void putFloat(final int a0, final float a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public void putInt(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public void putInt(final int a0, final int a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public void putIntOrdered(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public void putIntVolatile(final int a0, final int a1) {
        throw refused();
    }

    @Override
    public void putLong(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public void putLong(final int a0, final long a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public void putLongOrdered(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public void putLongVolatile(final int a0, final long a1) {
        throw refused();
    }

    @Override
    public void putNaturalPaddedIntAscii(final int a0, final int a1, final int a2) {
        throw refused();
    }

    @Override
    public void putShort(final int a0, final short a1) {
        throw refused();
    }

    @Override
    public void putShort(final int a0, final short a1, final java.nio.ByteOrder a2) {
        throw refused();
    }

    @Override
    public void putShortVolatile(final int a0, final short a1) {
        throw refused();
    }

    @Override
    public void setMemory(final int a0, final int a1, final byte a2) {
        throw refused();
    }
}
