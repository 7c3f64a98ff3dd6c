package jvalkka.multiprocess;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Writes frames ({@link WireProtocol}) into a growable byte array, which a
 * transport then writes out: {@link #buf()} from 0 to {@link #size()}. Pure: no
 * socket, no lock (the owner guards it); reused for every message, so encoding
 * allocates nothing once the array has grown to the traffic's size.
 */
final class FrameEncoder extends OutputStream implements Codec.Sink {
    private byte[] buf;
    private int size;

    FrameEncoder() {
        this(8192);
    }

    FrameEncoder(int initialCapacity) {
        buf = new byte[initialCapacity];
    }

    /** The bytes written so far are {@code buf()[0 .. size())}. */
    byte[] buf() {
        return buf;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    /**
     * Appends one frame: {@code m} as a {@link WireProtocol#MESSAGE}, or as a
     * {@link WireProtocol#CALL} / {@link WireProtocol#REPLY} of {@code callId}; the
     * stop marker when {@code m} is null.
     *
     * @throws IllegalArgumentException when {@code m} cannot be encoded or its frame's
     *         payload would be over {@code maxPayload} bytes; nothing is appended then
     */
    void append(byte kind, long callId, MessageObject m, int maxPayload) {
        int start = size;
        reserve(WireProtocol.HEADER_LENGTH);
        if (m == null) {
            WireProtocol.putHeader(buf, start, 0, WireProtocol.STOP);
            return;
        }
        if (kind == WireProtocol.CALL || kind == WireProtocol.REPLY) {
            reserve(WireProtocol.CALL_ID_LENGTH);
            WireProtocol.putCallId(buf, start + WireProtocol.HEADER_LENGTH, callId);
        }
        try {
            Codec.encode(m, this);
        } catch (IOException | RuntimeException e) {
            size = start;
            throw new IllegalArgumentException("cannot send " + m + ": " + e.getMessage(), e);
        }
        int len = size - start - WireProtocol.HEADER_LENGTH;
        if (len > maxPayload) {
            size = start;
            throw new IllegalArgumentException("cannot send " + shortForm(m) + ": it encodes to " + len
                    + " bytes, over this pipe's limit of " + maxPayload
                    + " bytes; carry bulk data in SharedMemory/SharedArray and send its name");
        }
        WireProtocol.putHeader(buf, start, len, kind);
    }

    /** Appends a frame of {@code kind} with a raw payload (the handshake, last words). */
    void appendRaw(byte kind, byte[] payload) {
        int start = size;
        reserve(WireProtocol.HEADER_LENGTH);
        write(payload, 0, payload.length);
        WireProtocol.putHeader(buf, start, payload.length, kind);
    }

    /** Drops the first {@code written} bytes (a transport wrote them). */
    void compactFrom(int written) {
        System.arraycopy(buf, written, buf, 0, size - written);
        size -= written;
    }

    private void reserve(int n) {
        ensure(n);
        size += n;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(size + more, buf.length * 2));
        }
    }

    @Override
    public void write(int b) {
        ensure(1);
        buf[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
    }

    private static String shortForm(MessageObject m) {
        String s = String.valueOf(m);
        return s.length() > 120 ? s.substring(0, 120) + "...>" : s;
    }
}
