package jvalkka.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import sun.misc.Unsafe;

/**
 * The one tagged value codec: the value kinds that messages, SGN process-mode frames and a
 * process object's fields carry, each with one tag, and one binary form of them.
 *
 * <p>The kinds ({@link #tag}): null, the booleans, the boxed primitives, strings, the eight
 * primitive arrays, lists, string-keyed maps and {@code Object[]} (each element with its own
 * tag). Whoever uses the codec decides which kinds it carries: {@code PlainJson} writes the
 * plain ones (null, strings, ints, booleans, finite doubles) as JSON text by these tags, the
 * process transfer the scalar ones ({@link #isScalar}), SGN's {@code FrameCodec} all of them,
 * plus its own kinds through an {@link Extension} (a {@code Frame}, a value Jackson writes).
 *
 * <p>The binary form: one tag byte, then the value, little-endian (native on every platform
 * jvalkka runs on, so that the Agrona-buffer form copies primitive arrays in bulk).
 * Fixed-size values follow their tag; a string is an {@code int} byte count and its UTF-8
 * bytes; a primitive array an {@code int} element count and its elements (one bulk copy); a
 * list or {@code Object[]} an {@code int} count and its elements; a map an {@code int} count,
 * then each key as a string and its value. Tags from {@link #FIRST_EXTENSION_TAG} on belong to
 * an {@link Extension}.
 *
 * <p>Two {@link Writer}s and {@link Reader}s share the value logic: on Agrona buffers
 * ({@link Writer#on}, {@link Reader#on}: SGN's rings, off-heap included) and on plain byte
 * arrays ({@link Writer#onArray}, {@link Reader#onArray}: no {@code sun.misc.Unsafe}, so the
 * frontend needs no {@code jdk.unsupported}).
 *
 * <p>The {@link Reader} checks every count and length against the bytes it was given, and a
 * bounded nesting depth: malformed input gives a {@link MalformedValueException} naming what is
 * wrong and where, never an out-of-bounds read, a huge allocation or a stack overflow. Not part
 * of the API.
 */
public final class ValueCodec {
    public static final byte NULL = 0;
    public static final byte TRUE = 1;
    public static final byte FALSE = 2;
    public static final byte INT = 3;
    public static final byte LONG = 4;
    public static final byte DOUBLE = 5;
    public static final byte FLOAT = 6;
    public static final byte SHORT = 7;
    public static final byte BYTE = 8;
    public static final byte CHAR = 9;
    public static final byte STRING = 10;
    public static final byte BYTES = 16;
    public static final byte SHORTS = 17;
    public static final byte INTS = 18;
    public static final byte LONGS = 19;
    public static final byte FLOATS = 20;
    public static final byte DOUBLES = 21;
    public static final byte CHARS = 22;
    public static final byte BOOLEANS = 23;
    public static final byte LIST = 30;
    public static final byte MAP = 31;
    public static final byte OBJECTS = 32;
    /** Tags from this one on are an {@link Extension}'s. */
    public static final byte FIRST_EXTENSION_TAG = 40;
    /** {@link #tag} of a value of no kind of the codec's own (an extension's, or none). */
    public static final byte OTHER = -1;

    /** Containers nested deeper than this are refused (a cycle, or malformed bytes). */
    public static final int MAX_DEPTH = 256;

    private ValueCodec() {
    }

    /**
     * The tag of {@code o}'s kind, or {@link #OTHER}. A {@link Map} gets {@link #MAP} whatever
     * its keys (the {@link Writer} checks them); a {@link List} {@link #LIST}.
     *
     * @param o any value
     * @return its tag
     */
    public static byte tag(Object o) {
        if (o == null) {
            return NULL;
        } else if (o instanceof String) {
            return STRING;
        } else if (o instanceof Integer) {
            return INT;
        } else if (o instanceof Double) {
            return DOUBLE;
        } else if (o instanceof Boolean b) {
            return b ? TRUE : FALSE;
        } else if (o instanceof Long) {
            return LONG;
        } else if (o instanceof Float) {
            return FLOAT;
        } else if (o instanceof Short) {
            return SHORT;
        } else if (o instanceof Byte) {
            return BYTE;
        } else if (o instanceof Character) {
            return CHAR;
        }
        byte a = arrayTag(o);
        if (a >= 0) {
            return a;
        } else if (o instanceof List<?>) {
            return LIST;
        } else if (o instanceof Map<?, ?>) {
            return MAP;
        } else if (o.getClass() == Object[].class) {
            return OBJECTS;
        }
        return OTHER;
    }

    /**
     * Whether {@code o} is null, a string or a boxed primitive: a value with no identity worth
     * keeping, which reads back equal and of the same class.
     *
     * @param o any value
     * @return whether it is a scalar
     */
    public static boolean isScalar(Object o) {
        return o == null || o instanceof String || o instanceof Integer || o instanceof Long
                || o instanceof Double || o instanceof Boolean || o instanceof Float || o instanceof Short
                || o instanceof Byte || o instanceof Character;
    }

    /**
     * The array tag of a primitive array, or -1.
     *
     * @param o any value
     * @return {@link #BYTES} ... {@link #BOOLEANS}, or -1
     */
    public static byte arrayTag(Object o) {
        if (o instanceof byte[]) {
            return BYTES;
        } else if (o instanceof int[]) {
            return INTS;
        } else if (o instanceof double[]) {
            return DOUBLES;
        } else if (o instanceof float[]) {
            return FLOATS;
        } else if (o instanceof long[]) {
            return LONGS;
        } else if (o instanceof short[]) {
            return SHORTS;
        } else if (o instanceof char[]) {
            return CHARS;
        } else if (o instanceof boolean[]) {
            return BOOLEANS;
        }
        return -1;
    }

    /**
     * @param tag an array tag
     * @return the bytes of one element
     */
    public static int elementSize(byte tag) {
        return switch (tag) {
            case BYTES, BOOLEANS -> 1;
            case SHORTS, CHARS -> 2;
            case INTS, FLOATS -> 4;
            default -> 8;
        };
    }

    /**
     * @param tag an array tag
     * @return the offset of element 0 in an array of that tag
     */
    public static long baseOffset(byte tag) {
        return switch (tag) {
            case BYTES -> Unsafe.ARRAY_BYTE_BASE_OFFSET;
            case BOOLEANS -> Unsafe.ARRAY_BOOLEAN_BASE_OFFSET;
            case SHORTS -> Unsafe.ARRAY_SHORT_BASE_OFFSET;
            case CHARS -> Unsafe.ARRAY_CHAR_BASE_OFFSET;
            case INTS -> Unsafe.ARRAY_INT_BASE_OFFSET;
            case FLOATS -> Unsafe.ARRAY_FLOAT_BASE_OFFSET;
            case LONGS -> Unsafe.ARRAY_LONG_BASE_OFFSET;
            default -> Unsafe.ARRAY_DOUBLE_BASE_OFFSET;
        };
    }

    /**
     * @param tag the array tag of {@code a}
     * @param a a primitive array
     * @return its length
     */
    public static int arrayLength(byte tag, Object a) {
        return switch (tag) {
            case BYTES -> ((byte[]) a).length;
            case BOOLEANS -> ((boolean[]) a).length;
            case SHORTS -> ((short[]) a).length;
            case CHARS -> ((char[]) a).length;
            case INTS -> ((int[]) a).length;
            case FLOATS -> ((float[]) a).length;
            case LONGS -> ((long[]) a).length;
            default -> ((double[]) a).length;
        };
    }

    private static Object newArray(byte tag, int n) {
        return switch (tag) {
            case BYTES -> new byte[n];
            case BOOLEANS -> new boolean[n];
            case SHORTS -> new short[n];
            case CHARS -> new char[n];
            case INTS -> new int[n];
            case FLOATS -> new float[n];
            case LONGS -> new long[n];
            default -> new double[n];
        };
    }

    /**
     * Copies {@code bytes} bytes from a heap array (at byte {@code from} of its payload) into a buffer.
     *
     * @param array a primitive array
     * @param base its {@link #baseOffset}
     * @param from the first byte of its payload to copy
     * @param dst the buffer, with room for the bytes
     * @param index where in {@code dst}
     * @param bytes how many
     */
    public static void copyFromArray(Object array, long base, long from, MutableDirectBuffer dst, int index, int bytes) {
        Direct.UNSAFE.copyMemory(array, base + from, dst.byteArray(), dst.addressOffset() + index, bytes);
    }

    /**
     * {@code sun.misc.Unsafe}, for the bulk copies of the Agrona-buffer {@link Writer} and
     * {@link Reader} only: loaded on their first use, so that the JSON messages (which use
     * {@link #tag}) and the process transfer (which uses the array forms) run without
     * {@code jdk.unsupported}, as on the module path, where an application does not resolve it.
     */
    private static final class Direct {
        static final Unsafe UNSAFE = org.agrona.UnsafeAccess.UNSAFE;
    }

    /** The bytes given to a {@link Reader} are not a value the codec wrote. */
    public static final class MalformedValueException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /** @param message what is wrong, and where */
        public MalformedValueException(String message) {
            super(message);
        }
    }

    /**
     * The kinds a user of the codec adds, with tags from {@link #FIRST_EXTENSION_TAG} on.
     */
    public interface Extension {
        /**
         * Writes {@code value}, its tag first, if it is of this extension's kinds.
         *
         * @param w where
         * @param value a value of no kind of the codec's own
         * @return false, writing nothing, when it is of none of this extension's kinds either
         */
        boolean write(Writer w, Object value);

        /**
         * Reads the value after {@code tag}, one of this extension's.
         *
         * @param r where, just after the tag
         * @param tag the tag read
         * @return the value
         * @throws MalformedValueException when {@code tag} is not this extension's, or its bytes are malformed
         */
        Object read(Reader r, byte tag);
    }

    /**
     * Writes values from a position on; the buffer grows as needed. Reused, it allocates
     * nothing for scalars, ASCII strings and collections of them. Not thread-safe.
     */
    public abstract static class Writer {
        private final Extension extension;
        /** The position of the next byte. */
        int pos;
        private int depth;

        Writer(Extension extension) {
            this.extension = extension;
        }

        /**
         * A writer into an Agrona buffer (an expandable one grows; another must have room).
         *
         * @param buf where to write
         * @param extension the kinds of the codec's user, or null for none
         * @return the writer, at position 0
         */
        public static BufferWriter on(MutableDirectBuffer buf, Extension extension) {
            return new BufferWriter(buf, extension);
        }

        /**
         * A writer into a growable byte array, without {@code sun.misc.Unsafe}.
         *
         * @param initialCapacity the array's first size
         * @param extension the kinds of the codec's user, or null for none
         * @return the writer, at position 0
         */
        public static ArrayWriter onArray(int initialCapacity, Extension extension) {
            return new ArrayWriter(initialCapacity, extension);
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
                case BYTES, SHORTS, INTS, LONGS, FLOATS, DOUBLES, CHARS, BOOLEANS -> {
                    int n = arrayLength(t, o);
                    int bytes = Math.multiplyExact(n, elementSize(t));
                    putByte(t);
                    putInt(n);
                    ensure(bytes);
                    putArray(t, o, bytes);
                    pos += bytes;
                }
                case LIST -> {
                    List<?> list = (List<?>) o;
                    enter(o);
                    putByte(LIST);
                    putInt(list.size());
                    for (Object e : list) {
                        value(e);
                    }
                    depth--;
                }
                case MAP -> map((Map<?, ?>) o);
                case OBJECTS -> {
                    Object[] a = (Object[]) o;
                    enter(o);
                    putByte(OBJECTS);
                    putInt(a.length);
                    for (Object e : a) {
                        value(e);
                    }
                    depth--;
                }
                default -> other(o);
            }
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
    }

    /** A {@link Writer} into an Agrona buffer, in native order, primitive arrays in one bulk copy. */
    public static final class BufferWriter extends Writer {
        private final MutableDirectBuffer buf;

        BufferWriter(MutableDirectBuffer buf, Extension extension) {
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

    /** A {@link Writer} into a growable byte array, little-endian, without {@code sun.misc.Unsafe}. */
    public static final class ArrayWriter extends Writer {
        private byte[] buf;

        ArrayWriter(int initialCapacity, Extension extension) {
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

    /**
     * Reads values from a range of bytes. Reused: wrap it on each buffer. Not thread-safe.
     */
    public abstract static class Reader {
        private final Extension extension;
        /** The position of the next byte, and the end of the range. */
        int pos;
        int limit;
        private int depth;

        Reader(Extension extension) {
            this.extension = extension;
        }

        /**
         * A reader of Agrona buffers (heap or off-heap); {@link BufferReader#wrap} it.
         *
         * @param extension the kinds of the codec's user, or null for none
         * @return the reader
         */
        public static BufferReader on(Extension extension) {
            return new BufferReader(extension);
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
        public static Reader onArray(byte[] b, int index, int length, Extension extension) {
            return new ArrayReader(extension).wrap(b, index, length);
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

        /** @return a string without its tag ({@link Writer#putString}) */
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
                case LIST: {
                    int n = getCount("list elements", 1);
                    enter();
                    List<Object> list = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        list.add(value());
                    }
                    depth--;
                    return list;
                }
                case MAP: {
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
                case OBJECTS: {
                    int n = getCount("array elements", 1);
                    enter();
                    Object[] a = new Object[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = value();
                    }
                    depth--;
                    return a;
                }
                default:
                    if (tag >= FIRST_EXTENSION_TAG && extension != null) {
                        return extension.read(this, tag);
                    }
                    throw new MalformedValueException("malformed value: unknown tag " + tag + " at offset " + (pos - 1));
            }
        }

        private void enter() {
            if (++depth > MAX_DEPTH) {
                throw new MalformedValueException("malformed value: containers nested more than " + MAX_DEPTH
                        + " deep at offset " + pos);
            }
        }
    }

    /** A {@link Reader} of Agrona buffers, heap or off-heap, native order, arrays in one bulk copy. */
    public static final class BufferReader extends Reader {
        private DirectBuffer buf;

        BufferReader(Extension extension) {
            super(extension);
        }

        /**
         * @param buffer where to read
         * @param index the first byte
         * @param length how many bytes are there to read
         * @return this
         */
        public BufferReader wrap(DirectBuffer buffer, int index, int length) {
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

    /** A {@link Reader} of a byte array, little-endian, without {@code sun.misc.Unsafe}. */
    static final class ArrayReader extends Reader {
        private byte[] buf;

        ArrayReader(Extension extension) {
            super(extension);
        }

        ArrayReader wrap(byte[] b, int index, int length) {
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
