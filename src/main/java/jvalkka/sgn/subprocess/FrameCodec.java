package jvalkka.sgn.subprocess;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import jvalkka.sgn.DataSpec;
import jvalkka.sgn.Frame;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import sun.misc.Unsafe;

/**
 * The binary codec of process-mode queues. One tag byte per value, then the value in native
 * byte order (both ends run on this machine). Fast paths: boxed primitives, strings,
 * {@code byte[]} and the other primitive arrays (one bulk copy), {@link Frame} (its flags, spec,
 * metadata and data), lists and string-keyed maps (each element with its own type). Anything
 * else goes through Jackson with its class name, so records and POJOs arrive with their type.
 *
 * <p>Large payloads are not copied into the scratch buffer: when the item is a primitive array,
 * or a {@code Frame} whose data is one, the array stays the "tail", which the ring queue copies
 * straight into shared memory after the encoded head. Not thread-safe: one encoder and one
 * decoder per queue end.
 */
final class FrameCodec {
    static final Unsafe UNSAFE = org.agrona.UnsafeAccess.UNSAFE;

    private static final byte NULL = 0;
    private static final byte TRUE = 1;
    private static final byte FALSE = 2;
    private static final byte INT = 3;
    private static final byte LONG = 4;
    private static final byte DOUBLE = 5;
    private static final byte FLOAT = 6;
    private static final byte SHORT = 7;
    private static final byte BYTE = 8;
    private static final byte CHAR = 9;
    private static final byte STRING = 10;
    private static final byte BYTES = 16;
    private static final byte SHORTS = 17;
    private static final byte INTS = 18;
    private static final byte LONGS = 19;
    private static final byte FLOATS = 20;
    private static final byte DOUBLES = 21;
    private static final byte CHARS = 22;
    private static final byte BOOLEANS = 23;
    private static final byte LIST = 30;
    private static final byte MAP = 31;
    private static final byte OBJECTS = 32;
    private static final byte FRAME = 40;
    private static final byte JACKSON = 50;

    private static final int F_EOS = 1;
    private static final int F_GAP = 2;
    private static final int F_SPEC = 4;
    private static final int F_META = 8;

    /** Jackson for the values without a fast path; loaded on first use. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private FrameCodec() {
    }

    /** Array tag of a primitive array, or -1. */
    static byte arrayTag(Object o) {
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

    static int elementSize(byte tag) {
        return switch (tag) {
            case BYTES, BOOLEANS -> 1;
            case SHORTS, CHARS -> 2;
            case INTS, FLOATS -> 4;
            default -> 8;
        };
    }

    static long baseOffset(byte tag) {
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

    static int arrayLength(byte tag, Object a) {
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

    /** Copies {@code bytes} bytes from a heap array (at byte {@code from} of its payload) into a buffer. */
    static void copyFromArray(Object array, long base, long from, MutableDirectBuffer dst, int index, int bytes) {
        UNSAFE.copyMemory(array, base + from, dst.byteArray(), dst.addressOffset() + index, bytes);
    }

    // ------------------------------------------------------------------ encoder

    /** Encodes one item into a reusable head buffer plus an optional primitive-array tail. */
    static final class Encoder {
        final ExpandableArrayBuffer head = new ExpandableArrayBuffer(256);
        int headLength;
        /** The payload array copied after the head, or null. */
        Object tail;
        long tailBase;
        int tailBytes;
        private int pos;

        /** Encodes {@code item}; the encoded form is head[0, headLength) followed by the tail. */
        void encode(Object item) {
            pos = 0;
            tail = null;
            tailBytes = 0;
            byte t = arrayTag(item);
            if (t >= 0) {
                arrayAsTail(t, item);
            } else if (item != null && item.getClass() == Frame.class && arrayTag(((Frame) item).data()) >= 0) {
                Object data = frameHeader((Frame) item);
                arrayAsTail(arrayTag(data), data);
            } else {
                value(item);
            }
            headLength = pos;
            tail = tailBytes == 0 ? null : tail;
        }

        /** Drops the reference to the last tail, so that the queue does not keep a big array alive. */
        void clearTail() {
            tail = null;
        }

        private void arrayAsTail(byte tag, Object a) {
            int n = arrayLength(tag, a);
            putByte(tag);
            putInt(n);
            tail = a;
            tailBase = baseOffset(tag);
            tailBytes = Math.multiplyExact(n, elementSize(tag));
        }

        private void putByte(int b) {
            head.putByte(pos++, (byte) b);
        }

        private void putInt(int v) {
            head.putInt(pos, v);
            pos += 4;
        }

        private void putString(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            putInt(b.length);
            head.putBytes(pos, b);
            pos += b.length;
        }

        /** Writes a Frame's tag, flags, spec and metadata; returns its data, which comes next. */
        private Object frameHeader(Frame f) {
            boolean meta = f.hasMetadata();
            DataSpec spec = f.spec();
            putByte(FRAME);
            putByte((f.isEOS() ? F_EOS : 0) | (f.isGap() ? F_GAP : 0) | (spec != null ? F_SPEC : 0) | (meta ? F_META : 0));
            if (spec != null) {
                value(spec);
            }
            if (meta) {
                value(f.metadata());
            }
            return f.data();
        }

        private void value(Object o) {
            if (o == null) {
                putByte(NULL);
            } else if (o instanceof Integer i) {
                putByte(INT);
                putInt(i);
            } else if (o instanceof String s) {
                putByte(STRING);
                putString(s);
            } else if (o instanceof Long l) {
                putByte(LONG);
                head.putLong(pos, l);
                pos += 8;
            } else if (o instanceof Double d) {
                putByte(DOUBLE);
                head.putDouble(pos, d);
                pos += 8;
            } else if (o instanceof Boolean b) {
                putByte(b ? TRUE : FALSE);
            } else if (o instanceof Float f) {
                putByte(FLOAT);
                head.putFloat(pos, f);
                pos += 4;
            } else if (o instanceof Short s) {
                putByte(SHORT);
                head.putShort(pos, s);
                pos += 2;
            } else if (o instanceof Byte b) {
                putByte(BYTE);
                putByte(b);
            } else if (o instanceof Character c) {
                putByte(CHAR);
                head.putChar(pos, c);
                pos += 2;
            } else if (o.getClass() == Frame.class) {
                value(frameHeader((Frame) o));
            } else if (arrayTag(o) >= 0) {
                byte t = arrayTag(o);
                int n = arrayLength(t, o);
                int bytes = Math.multiplyExact(n, elementSize(t));
                putByte(t);
                putInt(n);
                head.checkLimit(pos + bytes);
                copyFromArray(o, baseOffset(t), 0, head, pos, bytes);
                pos += bytes;
            } else if (o instanceof List<?> list) {
                putByte(LIST);
                putInt(list.size());
                for (Object e : list) {
                    value(e);
                }
            } else if (o instanceof Map<?, ?> map && stringKeys(map)) {
                putByte(MAP);
                putInt(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    putString((String) e.getKey());
                    value(e.getValue());
                }
            } else if (o.getClass() == Object[].class) {
                Object[] a = (Object[]) o;
                putByte(OBJECTS);
                putInt(a.length);
                for (Object e : a) {
                    value(e);
                }
            } else {
                byte[] json;
                try {
                    json = Json.MAPPER.writeValueAsBytes(o);
                } catch (Exception e) {
                    throw new IllegalArgumentException("cannot send a " + o.getClass().getName()
                            + " to a process-mode worker: it has no fast path and Jackson cannot serialize it ("
                            + e.getMessage() + ")", e);
                }
                putByte(JACKSON);
                putString(o.getClass().getName());
                putInt(json.length);
                head.putBytes(pos, json);
                pos += json.length;
            }
        }

        private static boolean stringKeys(Map<?, ?> map) {
            for (Object k : map.keySet()) {
                if (!(k instanceof String)) {
                    return false;
                }
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ decoder

    /** Decodes one item from a buffer. Not thread-safe. */
    static final class Decoder {
        private DirectBuffer buf;
        private int pos;

        Object decode(DirectBuffer buffer, int index) {
            this.buf = buffer;
            this.pos = index;
            try {
                return value();
            } finally {
                this.buf = null;
            }
        }

        private int getInt() {
            int v = buf.getInt(pos);
            pos += 4;
            return v;
        }

        private String getString() {
            int n = getInt();
            byte[] b = new byte[n];
            buf.getBytes(pos, b);
            pos += n;
            return new String(b, StandardCharsets.UTF_8);
        }

        private Object value() {
            byte tag = buf.getByte(pos++);
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
                    long v = buf.getLong(pos);
                    pos += 8;
                    return v;
                }
                case DOUBLE: {
                    double v = buf.getDouble(pos);
                    pos += 8;
                    return v;
                }
                case FLOAT: {
                    float v = buf.getFloat(pos);
                    pos += 4;
                    return v;
                }
                case SHORT: {
                    short v = buf.getShort(pos);
                    pos += 2;
                    return v;
                }
                case BYTE:
                    return buf.getByte(pos++);
                case CHAR: {
                    char v = buf.getChar(pos);
                    pos += 2;
                    return v;
                }
                case STRING:
                    return getString();
                case BYTES, SHORTS, INTS, LONGS, FLOATS, DOUBLES, CHARS, BOOLEANS: {
                    int n = getInt();
                    int bytes = n * elementSize(tag);
                    Object a = newArray(tag, n);
                    UNSAFE.copyMemory(buf.byteArray(), buf.addressOffset() + pos, a, baseOffset(tag), bytes);
                    pos += bytes;
                    return a;
                }
                case LIST: {
                    int n = getInt();
                    List<Object> list = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        list.add(value());
                    }
                    return list;
                }
                case MAP: {
                    int n = getInt();
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        String k = getString();
                        map.put(k, value());
                    }
                    return map;
                }
                case OBJECTS: {
                    int n = getInt();
                    Object[] a = new Object[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = value();
                    }
                    return a;
                }
                case FRAME: {
                    int flags = buf.getByte(pos++);
                    DataSpec spec = (flags & F_SPEC) != 0 ? (DataSpec) value() : null;
                    @SuppressWarnings("unchecked")
                    Map<String, ?> meta = (flags & F_META) != 0 ? (Map<String, ?>) value() : null;
                    Object data = value();
                    return new Frame(data, (flags & F_EOS) != 0, (flags & F_GAP) != 0, spec, meta);
                }
                case JACKSON: {
                    String type = getString();
                    int n = getInt();
                    byte[] json = new byte[n];
                    buf.getBytes(pos, json);
                    pos += n;
                    try {
                        Class<?> cls = Class.forName(type, false, Thread.currentThread().getContextClassLoader());
                        return Json.MAPPER.readValue(json, cls);
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot decode a " + type + " sent through a worker queue: "
                                + e.getMessage(), e);
                    }
                }
                default:
                    throw new IllegalStateException("corrupt item in a worker queue: unknown tag " + tag);
            }
        }
    }
}
