package jvalkka.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

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
 * <p>Two {@link ValueWriter}s and {@link ValueReader}s share the value logic: on Agrona buffers
 * ({@link ValueWriter#on}, {@link ValueReader#on}: SGN's rings, off-heap included) and on plain byte
 * arrays ({@link ValueWriter#onArray}, {@link ValueReader#onArray}: no {@code sun.misc.Unsafe}, so the
 * frontend needs no {@code jdk.unsupported}).
 *
 * <p>The {@link ValueReader} checks every count and length against the bytes it was given, and a
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
     * its keys (the {@link ValueWriter} checks them); a {@link List} {@link #LIST}.
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

    static Object newArray(byte tag, int n) {
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
     * {@code sun.misc.Unsafe}, for the bulk copies of the Agrona-buffer {@link ValueWriter} and
     * {@link ValueReader} only: loaded on their first use, so that the JSON messages (which use
     * {@link #tag}) and the process transfer (which uses the array forms) run without
     * {@code jdk.unsupported}, as on the module path, where an application does not resolve it.
     */
    static final class Direct {
        static final Unsafe UNSAFE = org.agrona.UnsafeAccess.UNSAFE;
    }

    /** The bytes given to a {@link ValueReader} are not a value the codec wrote. */
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
        boolean write(ValueWriter w, Object value);

        /**
         * Reads the value after {@code tag}, one of this extension's.
         *
         * @param r where, just after the tag
         * @param tag the tag read
         * @return the value
         * @throws MalformedValueException when {@code tag} is not this extension's, or its bytes are malformed
         */
        Object read(ValueReader r, byte tag);
    }
}
