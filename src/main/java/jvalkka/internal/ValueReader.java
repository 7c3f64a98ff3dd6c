package jvalkka.internal;

import static jvalkka.internal.ValueCodec.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.agrona.DirectBuffer;

/**
 * Reads values from a range of bytes. Reused: wrap it on each buffer. Not thread-safe.
 */
public abstract class ValueReader {
    private final ValueCodec.Extension extension;
    /** The position of the next byte, and the end of the range. */
    int pos;
    int limit;
    private int depth;

    ValueReader(Extension extension) {
        this.extension = extension;
    }

    /**
     * A reader of Agrona buffers (heap or off-heap); {@link OnBuffer#wrap} it.
     *
     * @param extension the kinds of the codec's user, or null for none
     * @return the reader
     */
    public static OnBuffer on(ValueCodec.Extension extension) {
        return new OnBuffer(extension);
    }

    /**
     * A reader of {@code b[index, index + length)}, without {@code sun.misc.Unsafe}.
     *
     * @param b the bytes
     * @param index the first
     * @param length how many
     * @param extension the kinds of the codec's user, or null for none
     * @return the reader
     */
    public static ValueReader onArray(byte[] b, int index, int length, ValueCodec.Extension extension) {
        return new OnArray(extension).wrap(b, index, length);
    }

    final void range(int index, int length) {
        this.pos = index;
        this.limit = index + length;
        this.depth = 0;
    }

    /** @return the position of the next byte */
    public final int position() {
        return pos;
    }

    /** @return the bytes left */
    public final int remaining() {
        return limit - pos;
    }

    final void need(long n, String what) {
        if (n < 0 || n > limit - pos) {
            throw new MalformedValueException("malformed value: " + what + " needs " + n + " bytes at offset "
                    + pos + ", " + (limit - pos) + " left");
        }
    }

    /** The byte at {@code p} (checked). */
    abstract byte byteAt(int p);

    /** The int at {@code p} (checked). */
    abstract int intAt(int p);

    /** The long at {@code p} (checked). */
    abstract long longAt(int p);

    /** The short at {@code p} (checked). */
    abstract short shortAt(int p);

    /** Copies {@code n} bytes from {@code p} into {@code dst} (checked). */
    abstract void copyTo(int p, byte[] dst, int n);

    /** A string of the {@code n} UTF-8 bytes at {@code p} (checked). */
    abstract String stringAt(int p, int n);

    /** A primitive array of tag {@code t} and {@code n} elements from the bytes at {@code p} (checked). */
    abstract Object arrayAt(int p, byte t, int n);

    /** @return the next byte */
    public final byte getByte() {
        need(1, "a byte");
        return byteAt(pos++);
    }

    /** @return the next int */
    public final int getInt() {
        need(4, "an int");
        int v = intAt(pos);
        pos += 4;
        return v;
    }

    private long getLong(String what) {
        need(8, what);
        long v = longAt(pos);
        pos += 8;
        return v;
    }

    private short getShort(String what) {
        need(2, what);
        short v = shortAt(pos);
        pos += 2;
        return v;
    }

    /**
     * @param what the count's role, for the error
     * @param minBytesEach the fewest bytes each counted item takes
     * @return the next int as a count, checked against the bytes left
     */
    public final int getCount(String what, int minBytesEach) {
        int n = getInt();
        if (n < 0) {
            throw new MalformedValueException("malformed value: negative " + what + " " + n + " at offset " + (pos - 4));
        }
        need((long) n * minBytesEach, n + " " + what);
        return n;
    }

    /**
     * @param n how many
     * @return the next {@code n} bytes
     */
    public final byte[] getBytes(int n) {
        need(n, "a byte string");
        byte[] b = new byte[n];
        copyTo(pos, b, n);
        pos += n;
        return b;
    }

    /** @return a string without its tag ({@link ValueWriter#putString}) */
    public final String getString() {
        int n = getCount("string bytes", 1);
        String s = stringAt(pos, n);
        pos += n;
        return s;
    }

    /**
     * Reads one value with its tag.
     *
     * @return the value
     * @throws MalformedValueException when the bytes are not a value: an unknown tag, a
     *         count or length beyond the bytes, nesting deeper than {@link #MAX_DEPTH}
     */
    public final Object value() {
        byte tag = getByte();
        switch (tag) {
            case NULL:
                return null;
            case TRUE:
                return Boolean.TRUE;
            case FALSE:
                return Boolean.FALSE;
            case INT:
                return getInt();
            case LONG:
                return getLong("a long");
            case DOUBLE:
                return Double.longBitsToDouble(getLong("a double"));
            case FLOAT: {
                need(4, "a float");
                return Float.intBitsToFloat(getInt());
            }
            case SHORT:
                return getShort("a short");
            case BYTE:
                return getByte();
            case CHAR:
                return (char) getShort("a char");
            case STRING:
                return getString();
            case BYTES, SHORTS, INTS, LONGS, FLOATS, DOUBLES, CHARS, BOOLEANS: {
                int n = getCount("array elements", elementSize(tag));
                Object a = arrayAt(pos, tag, n);
                pos += n * elementSize(tag);
                return a;
            }
            case LIST:
                return list();
            case MAP:
                return map();
            case OBJECTS:
                return objects();
            default:
                if (tag >= FIRST_EXTENSION_TAG && extension != null) {
                    return extension.read(this, tag);
                }
                throw new MalformedValueException("malformed value: unknown tag " + tag + " at offset " + (pos - 1));
        }
    }

    private List<Object> list() {
        int n = getCount("list elements", 1);
        enter();
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(value());
        }
        depth--;
        return list;
    }

    private Map<String, Object> map() {
        int n = getCount("map entries", 5);
        enter();
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String k = getString();
            map.put(k, value());
        }
        depth--;
        return map;
    }

    private Object[] objects() {
        int n = getCount("array elements", 1);
        enter();
        Object[] a = new Object[n];
        for (int i = 0; i < n; i++) {
            a[i] = value();
        }
        depth--;
        return a;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw new MalformedValueException("malformed value: containers nested more than " + MAX_DEPTH
                    + " deep at offset " + pos);
        }
    }

    /** A {@link ValueReader} of Agrona buffers, heap or off-heap, native order, arrays in one bulk copy. */
    public static final class OnBuffer extends ValueReader {
        private DirectBuffer buf;

        OnBuffer(ValueCodec.Extension extension) {
            super(extension);
        }

        /**
         * @param buffer where to read
         * @param index the first byte
         * @param length how many bytes are there to read
         * @return this
         */
        public OnBuffer wrap(DirectBuffer buffer, int index, int length) {
            this.buf = buffer;
            range(index, length);
            return this;
        }

        /** Drops the buffer, so that this reader does not keep it alive. */
        public void release() {
            buf = null;
        }

        @Override
        byte byteAt(int p) {
            return buf.getByte(p);
        }

        @Override
        int intAt(int p) {
            return buf.getInt(p);
        }

        @Override
        long longAt(int p) {
            return buf.getLong(p);
        }

        @Override
        short shortAt(int p) {
            return buf.getShort(p);
        }

        @Override
        void copyTo(int p, byte[] dst, int n) {
            buf.getBytes(p, dst, 0, n);
        }

        @Override
        String stringAt(int p, int n) {
            byte[] array = buf.byteArray();
            if (array != null) {
                return new String(array, buf.wrapAdjustment() + p, n, StandardCharsets.UTF_8);
            }
            byte[] b = new byte[n];
            buf.getBytes(p, b);
            return new String(b, StandardCharsets.UTF_8);
        }

        @Override
        Object arrayAt(int p, byte t, int n) {
            Object a = newArray(t, n);
            Direct.UNSAFE.copyMemory(buf.byteArray(), buf.addressOffset() + p, a, baseOffset(t), (long) n * elementSize(t));
            return a;
        }
    }

    /** A {@link ValueReader} of a byte array, little-endian, without {@code sun.misc.Unsafe}. */
    static final class OnArray extends ValueReader {
        private byte[] buf;

        OnArray(ValueCodec.Extension extension) {
            super(extension);
        }

        OnArray wrap(byte[] b, int index, int length) {
            java.util.Objects.checkFromIndexSize(index, length, b.length);
            this.buf = b;
            range(index, length);
            return this;
        }

        @Override
        byte byteAt(int p) {
            return buf[p];
        }

        @Override
        int intAt(int p) {
            return buf[p] & 0xFF | (buf[p + 1] & 0xFF) << 8 | (buf[p + 2] & 0xFF) << 16 | (buf[p + 3] & 0xFF) << 24;
        }

        @Override
        long longAt(int p) {
            return intAt(p) & 0xFFFFFFFFL | (long) intAt(p + 4) << 32;
        }

        @Override
        short shortAt(int p) {
            return (short) (buf[p] & 0xFF | (buf[p + 1] & 0xFF) << 8);
        }

        @Override
        void copyTo(int p, byte[] dst, int n) {
            System.arraycopy(buf, p, dst, 0, n);
        }

        @Override
        String stringAt(int p, int n) {
            return new String(buf, p, n, StandardCharsets.UTF_8);
        }

        @Override
        Object arrayAt(int p, byte t, int n) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(buf, p, n * elementSize(t)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            Object a = newArray(t, n);
            switch (t) {
                case BYTES -> bb.get((byte[]) a);
                case SHORTS -> bb.asShortBuffer().get((short[]) a);
                case CHARS -> bb.asCharBuffer().get((char[]) a);
                case INTS -> bb.asIntBuffer().get((int[]) a);
                case FLOATS -> bb.asFloatBuffer().get((float[]) a);
                case LONGS -> bb.asLongBuffer().get((long[]) a);
                case DOUBLES -> bb.asDoubleBuffer().get((double[]) a);
                default -> {
                    boolean[] z = (boolean[]) a;
                    for (int i = 0; i < n; i++) {
                        z[i] = buf[p + i] != 0;
                    }
                }
            }
            return a;
        }
    }
}
