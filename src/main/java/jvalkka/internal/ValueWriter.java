package jvalkka.internal;

import static jvalkka.internal.ValueCodec.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.agrona.MutableDirectBuffer;

/**
 * Writes values from a position on; the buffer grows as needed. Reused, it allocates
 * nothing for scalars, ASCII strings and collections of them. Not thread-safe.
 */
public abstract class ValueWriter {
    private final ValueCodec.Extension extension;
    /** The position of the next byte. */
    int pos;
    private int depth;

    ValueWriter(Extension extension) {
        this.extension = extension;
    }

    /**
     * A writer into an Agrona buffer (an expandable one grows; another must have room).
     *
     * @param buf where to write
     * @param extension the kinds of the codec's user, or null for none
     * @return the writer, at position 0
     */
    public static OnBuffer on(MutableDirectBuffer buf, ValueCodec.Extension extension) {
        return new OnBuffer(buf, extension);
    }

    /**
     * A writer into a growable byte array, without {@code sun.misc.Unsafe}.
     *
     * @param initialCapacity the array's first size
     * @param extension the kinds of the codec's user, or null for none
     * @return the writer, at position 0
     */
    public static OnArray onArray(int initialCapacity, ValueCodec.Extension extension) {
        return new OnArray(initialCapacity, extension);
    }

    /** @return the position after the last byte written */
    public final int position() {
        return pos;
    }

    /** @param p where the next byte goes */
    public final void position(int p) {
        pos = p;
        depth = 0;
    }

    /** @param b a byte (a tag, flags) */
    public abstract void putByte(int b);

    /** @param v an int */
    public abstract void putInt(int v);

    abstract void putLong(long v);

    abstract void putShort(short v);

    /** @param b bytes, without a count */
    public abstract void putBytes(byte[] b);

    /** Writes {@code bytes} bytes of the primitive array {@code a} of array tag {@code t}. */
    abstract void putArray(byte t, Object a, int bytes);

    /** Makes room for {@code n} more bytes. */
    abstract void ensure(int n);

    /** Writes an ASCII char at {@code p} (room ensured). */
    abstract void putAsciiAt(int p, char c);

    /**
     * A string without its tag: its UTF-8 byte count, then the bytes. An ASCII string is
     * written without allocating.
     *
     * @param s the string
     */
    public final void putString(String s) {
        int n = s.length();
        int at = pos;
        ensure(4 + n);
        int p = at + 4;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                putInt(b.length);
                putBytes(b);
                return;
            }
            putAsciiAt(p++, c);
        }
        putInt(n);
        pos = p;
    }

    /**
     * Writes {@code o} with its tag.
     *
     * @param o a value of the codec's kinds, or of the extension's
     * @throws IllegalArgumentException when it is of neither (the message names its class),
     *         or nested deeper than {@link #MAX_DEPTH} (a cycle)
     */
    public final void value(Object o) {
        byte t = tag(o);
        switch (t) {
            case NULL, TRUE, FALSE -> putByte(t);
            case INT -> {
                putByte(INT);
                putInt((Integer) o);
            }
            case STRING -> {
                putByte(STRING);
                putString((String) o);
            }
            case LONG -> {
                putByte(LONG);
                putLong((Long) o);
            }
            case DOUBLE -> {
                putByte(DOUBLE);
                putLong(Double.doubleToRawLongBits((Double) o));
            }
            case FLOAT -> {
                putByte(FLOAT);
                putInt(Float.floatToRawIntBits((Float) o));
            }
            case SHORT -> {
                putByte(SHORT);
                putShort((Short) o);
            }
            case BYTE -> {
                putByte(BYTE);
                putByte((Byte) o);
            }
            case CHAR -> {
                putByte(CHAR);
                putShort((short) ((Character) o).charValue());
            }
            case BYTES, SHORTS, INTS, LONGS, FLOATS, DOUBLES, CHARS, BOOLEANS -> primitives(t, o);
            case LIST -> list((List<?>) o);
            case MAP -> map((Map<?, ?>) o);
            case OBJECTS -> objects((Object[]) o);
            default -> other(o);
        }
    }

    private void primitives(byte t, Object o) {
        int n = arrayLength(t, o);
        int bytes = Math.multiplyExact(n, elementSize(t));
        putByte(t);
        putInt(n);
        ensure(bytes);
        putArray(t, o, bytes);
        pos += bytes;
    }

    private void list(List<?> list) {
        enter(list);
        putByte(LIST);
        putInt(list.size());
        for (Object e : list) {
            value(e);
        }
        depth--;
    }

    private void objects(Object[] a) {
        enter(a);
        putByte(OBJECTS);
        putInt(a.length);
        for (Object e : a) {
            value(e);
        }
        depth--;
    }

    private void map(Map<?, ?> map) {
        for (Object k : map.keySet()) {
            if (!(k instanceof String)) {
                other(map);
                return;
            }
        }
        enter(map);
        putByte(MAP);
        putInt(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
            putString((String) e.getKey());
            value(e.getValue());
        }
        depth--;
    }

    private void other(Object o) {
        if (extension == null || !extension.write(this, o)) {
            throw new IllegalArgumentException("no tagged form for a " + o.getClass().getName()
                    + (o instanceof Map<?, ?> ? " with keys that are not all strings" : ""));
        }
    }

    private void enter(Object container) {
        if (++depth > MAX_DEPTH) {
            depth = 0;
            throw new IllegalArgumentException("a " + container.getClass().getName() + " nested more than "
                    + MAX_DEPTH + " deep (does it contain itself?)");
        }
    }

    /** A {@link ValueWriter} into an Agrona buffer, in native order, primitive arrays in one bulk copy. */
    public static final class OnBuffer extends ValueWriter {
        private final MutableDirectBuffer buf;

        OnBuffer(MutableDirectBuffer buf, ValueCodec.Extension extension) {
            super(extension);
            this.buf = buf;
        }

        /** @return the buffer written into */
        public MutableDirectBuffer buffer() {
            return buf;
        }

        @Override
        public void putByte(int b) {
            buf.putByte(pos++, (byte) b);
        }

        @Override
        public void putInt(int v) {
            buf.putInt(pos, v);
            pos += 4;
        }

        @Override
        void putLong(long v) {
            buf.putLong(pos, v);
            pos += 8;
        }

        @Override
        void putShort(short v) {
            buf.putShort(pos, v);
            pos += 2;
        }

        @Override
        public void putBytes(byte[] b) {
            buf.putBytes(pos, b);
            pos += b.length;
        }

        @Override
        void putArray(byte t, Object a, int bytes) {
            copyFromArray(a, baseOffset(t), 0, buf, pos, bytes);
        }

        @Override
        void ensure(int n) {
            buf.checkLimit(pos + n);
        }

        @Override
        void putAsciiAt(int p, char c) {
            buf.putByte(p, (byte) c);
        }
    }

    /** A {@link ValueWriter} into a growable byte array, little-endian, without {@code sun.misc.Unsafe}. */
    public static final class OnArray extends ValueWriter {
        private byte[] buf;

        OnArray(int initialCapacity, ValueCodec.Extension extension) {
            super(extension);
            buf = new byte[Math.max(16, initialCapacity)];
        }

        /** @return a copy of the bytes written, from 0 to {@link #position()} */
        public byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, pos);
        }

        @Override
        void ensure(int n) {
            if (pos + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, Math.addExact(pos, n)));
            }
        }

        @Override
        public void putByte(int b) {
            ensure(1);
            buf[pos++] = (byte) b;
        }

        @Override
        public void putInt(int v) {
            ensure(4);
            for (int i = 0; i < 4; i++) {
                buf[pos++] = (byte) (v >>> 8 * i);
            }
        }

        @Override
        void putLong(long v) {
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[pos++] = (byte) (v >>> 8 * i);
            }
        }

        @Override
        void putShort(short v) {
            ensure(2);
            buf[pos++] = (byte) v;
            buf[pos++] = (byte) (v >>> 8);
        }

        @Override
        public void putBytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        @Override
        void putArray(byte t, Object a, int bytes) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(buf, pos, bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            switch (t) {
                case BYTES -> bb.put((byte[]) a);
                case SHORTS -> bb.asShortBuffer().put((short[]) a);
                case CHARS -> bb.asCharBuffer().put((char[]) a);
                case INTS -> bb.asIntBuffer().put((int[]) a);
                case FLOATS -> bb.asFloatBuffer().put((float[]) a);
                case LONGS -> bb.asLongBuffer().put((long[]) a);
                case DOUBLES -> bb.asDoubleBuffer().put((double[]) a);
                default -> {
                    boolean[] z = (boolean[]) a;
                    for (int i = 0; i < z.length; i++) {
                        buf[pos + i] = (byte) (z[i] ? 1 : 0);
                    }
                }
            }
        }

        @Override
        void putAsciiAt(int p, char c) {
            buf[p] = (byte) c;
        }
    }
}
