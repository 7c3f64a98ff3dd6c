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
 * <p>The binary form: one tag byte, then the value in native byte order (every platform the
 * JDK ships for servers is little-endian; both halves of a process run the same build).
 * Fixed-size values follow their tag; a string is an {@code int} byte count and its UTF-8
 * bytes; a primitive array an {@code int} element count and its elements (one bulk copy); a
 * list or {@code Object[]} an {@code int} count and its elements; a map an {@code int} count,
 * then each key as a string and its value. Tags from {@link #FIRST_EXTENSION_TAG} on belong to
 * an {@link Extension}.
 *
 * <p>The {@link Reader} checks every count and length against the bytes it was given, and a
 * bounded nesting depth: malformed input gives a {@link MalformedValueException} naming what is
 * wrong and where, never an out-of-bounds read, a huge allocation or a stack overflow. Not part
 * of the API.
 */
public final class ValueCodec {
    static final Unsafe UNSAFE = org.agrona.UnsafeAccess.UNSAFE;

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
        UNSAFE.copyMemory(array, base + from, dst.byteArray(), dst.addressOffset() + index, bytes);
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
     * Writes values into a buffer from a position on; an expandable buffer grows as needed.
     * Reused, it allocates nothing for scalars, ASCII strings and collections of them. Not
     * thread-safe.
     */
    public static final class Writer {
        private final MutableDirectBuffer buf;
        private final Extension extension;
        private int pos;
        private int depth;

        /**
         * @param buf where to write (an expandable one grows; another must have room)
         * @param extension the kinds of the codec's user, or null for none
         */
        public Writer(MutableDirectBuffer buf, Extension extension) {
            this.buf = buf;
            this.extension = extension;
        }

        /** @return the buffer written into */
        public MutableDirectBuffer buffer() {
            return buf;
        }

        /** @return the position after the last byte written */
        public int position() {
            return pos;
        }

        /** @param p where the next byte goes */
        public void position(int p) {
            pos = p;
            depth = 0;
        }

        /** @param b a byte (a tag, flags) */
        public void putByte(int b) {
            buf.putByte(pos++, (byte) b);
        }

        /** @param v an int, native order */
        public void putInt(int v) {
            buf.putInt(pos, v);
            pos += 4;
        }

        /** @param b bytes, without a count */
        public void putBytes(byte[] b) {
            buf.putBytes(pos, b);
            pos += b.length;
        }

        /**
         * A string without its tag: its UTF-8 byte count, then the bytes. An ASCII string is
         * written without allocating.
         *
         * @param s the string
         */
        public void putString(String s) {
            int n = s.length();
            int at = pos;
            buf.checkLimit(at + 4 + n);
            int p = at + 4;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    byte[] b = s.getBytes(StandardCharsets.UTF_8);
                    buf.putInt(at, b.length);
                    buf.putBytes(at + 4, b);
                    pos = at + 4 + b.length;
                    return;
                }
                buf.putByte(p++, (byte) c);
            }
            buf.putInt(at, n);
            pos = p;
        }

        /**
         * Writes {@code o} with its tag.
         *
         * @param o a value of the codec's kinds, or of the extension's
         * @throws IllegalArgumentException when it is of neither (the message names its class),
         *         or nested deeper than {@link #MAX_DEPTH} (a cycle)
         */
        public void value(Object o) {
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
                    buf.putLong(pos, (Long) o);
                    pos += 8;
                }
                case DOUBLE -> {
                    putByte(DOUBLE);
                    buf.putDouble(pos, (Double) o);
                    pos += 8;
                }
                case FLOAT -> {
                    putByte(FLOAT);
                    buf.putFloat(pos, (Float) o);
                    pos += 4;
                }
                case SHORT -> {
                    putByte(SHORT);
                    buf.putShort(pos, (Short) o);
                    pos += 2;
                }
                case BYTE -> {
                    putByte(BYTE);
                    putByte((Byte) o);
                }
                case CHAR -> {
                    putByte(CHAR);
                    buf.putChar(pos, (Character) o);
                    pos += 2;
                }
                case BYTES, SHORTS, INTS, LONGS, FLOATS, DOUBLES, CHARS, BOOLEANS -> array(t, o);
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

        private void array(byte t, Object o) {
            int n = arrayLength(t, o);
            int bytes = Math.multiplyExact(n, elementSize(t));
            putByte(t);
            putInt(n);
            buf.checkLimit(pos + bytes);
            copyFromArray(o, baseOffset(t), 0, buf, pos, bytes);
            pos += bytes;
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

    /**
     * Reads values from a range of a buffer. Reused: {@link #wrap} it on each buffer. Not
     * thread-safe.
     */
    public static final class Reader {
        private final Extension extension;
        private DirectBuffer buf;
        private int pos;
        private int limit;
        private int depth;

        /** @param extension the kinds of the codec's user, or null for none */
        public Reader(Extension extension) {
            this.extension = extension;
        }

        /**
         * @param buffer where to read
         * @param index the first byte
         * @param length how many bytes are there to read
         * @return this
         */
        public Reader wrap(DirectBuffer buffer, int index, int length) {
            this.buf = buffer;
            this.pos = index;
            this.limit = index + length;
            this.depth = 0;
            return this;
        }

        /** Drops the buffer, so that this reader does not keep it alive. */
        public void release() {
            buf = null;
        }

        /** @return the position of the next byte */
        public int position() {
            return pos;
        }

        /** @return the bytes left */
        public int remaining() {
            return limit - pos;
        }

        private void need(long n, String what) {
            if (n < 0 || n > limit - pos) {
                throw new MalformedValueException("malformed value: " + what + " needs " + n + " bytes at offset "
                        + pos + ", " + (limit - pos) + " left");
            }
        }

        /** @return the next byte */
        public byte getByte() {
            need(1, "a byte");
            return buf.getByte(pos++);
        }

        /** @return the next int */
        public int getInt() {
            need(4, "an int");
            int v = buf.getInt(pos);
            pos += 4;
            return v;
        }

        /**
         * @param what the count's role, for the error
         * @param minBytesEach the fewest bytes each counted item takes
         * @return the next int as a count, checked against the bytes left
         */
        public int getCount(String what, int minBytesEach) {
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
        public byte[] getBytes(int n) {
            need(n, "a byte string");
            byte[] b = new byte[n];
            buf.getBytes(pos, b);
            pos += n;
            return b;
        }

        /** @return a string without its tag ({@link Writer#putString}) */
        public String getString() {
            int n = getCount("string bytes", 1);
            String s;
            byte[] array = buf.byteArray();
            if (array != null) {
                s = new String(array, buf.wrapAdjustment() + pos, n, StandardCharsets.UTF_8);
            } else {
                byte[] b = new byte[n];
                buf.getBytes(pos, b);
                s = new String(b, StandardCharsets.UTF_8);
            }
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
        public Object value() {
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
                case LONG: {
                    need(8, "a long");
                    long v = buf.getLong(pos);
                    pos += 8;
                    return v;
                }
                case DOUBLE: {
                    need(8, "a double");
                    double v = buf.getDouble(pos);
                    pos += 8;
                    return v;
                }
                case FLOAT: {
                    need(4, "a float");
                    float v = buf.getFloat(pos);
                    pos += 4;
                    return v;
                }
                case SHORT: {
                    need(2, "a short");
                    short v = buf.getShort(pos);
                    pos += 2;
                    return v;
                }
                case BYTE:
                    return getByte();
                case CHAR: {
                    need(2, "a char");
                    char v = buf.getChar(pos);
                    pos += 2;
                    return v;
                }
                case STRING:
                    return getString();
                case BYTES, SHORTS, INTS, LONGS, FLOATS, DOUBLES, CHARS, BOOLEANS: {
                    int n = getCount("array elements", elementSize(tag));
                    int bytes = n * elementSize(tag);
                    Object a = newArray(tag, n);
                    UNSAFE.copyMemory(buf.byteArray(), buf.addressOffset() + pos, a, baseOffset(tag), bytes);
                    pos += bytes;
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
}
