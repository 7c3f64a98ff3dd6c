package jvalkka.sgn.subprocess;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import jvalkka.internal.ValueCodec;
import jvalkka.internal.ValueReader;
import jvalkka.internal.ValueWriter;
import jvalkka.multiprocess.MessageObject;
import jvalkka.sgn.DataSpec;
import jvalkka.sgn.Frame;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The binary codec of process-mode queues: {@link ValueCodec}, the one tagged value codec, for
 * the values (boxed primitives, strings, {@code byte[]} and the other primitive arrays in one
 * bulk copy, lists, string-keyed maps, {@code Object[]}), plus two kinds of its own as the
 * codec's {@link ValueCodec.Extension}: {@link Frame} (its flags, spec, metadata and data) and,
 * for anything else, Jackson with the class name, so records and POJOs arrive with their type.
 * Native byte order: both ends run on this machine.
 *
 * <p>A class name read from a ring was written by another process, so it is resolved only if it
 * is an allowed value type, decided by the name before the class is loaded: one the message
 * codec allows ({@link MessageObject#allowsValueType}: the documented value types and what
 * {@link MessageObject#allowValueTypes} added), or one this JVM has itself sent through a
 * FrameCodec (a transform's results are often of its items' class). Anything else is refused
 * with an {@link IllegalStateException} naming the class and the way to allow it.
 *
 * <p>Large payloads are not copied into the scratch buffer: when the item is a primitive array,
 * or a {@code Frame} whose data is one, the array stays the "tail", which the ring queue copies
 * straight into shared memory after the encoded head. Not thread-safe: one encoder and one
 * decoder per queue end.
 */
final class FrameCodec {
    private static final byte FRAME = 40;
    private static final byte JACKSON = 50;

    private static final int F_EOS = 1;
    private static final int F_GAP = 2;
    private static final int F_SPEC = 4;
    private static final int F_META = 8;

    /** The classes this JVM wrote with Jackson: allowed back (see the class comment). */
    private static final Set<String> WRITTEN = ConcurrentHashMap.newKeySet();

    /** Jackson for the values without a fast path; loaded on first use. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private FrameCodec() {
    }

    /** Copies {@code bytes} bytes from a heap array (at byte {@code from} of its payload) into a buffer. */
    static void copyFromArray(Object array, long base, long from, MutableDirectBuffer dst, int index, int bytes) {
        ValueCodec.copyFromArray(array, base, from, dst, index, bytes);
    }

    /** Frames and Jackson-written values: the tags FrameCodec adds to {@link ValueCodec}'s. */
    private static final class Kinds implements ValueCodec.Extension {
        static final Kinds INSTANCE = new Kinds();

        @Override
        public boolean write(ValueWriter w, Object o) {
            if (o.getClass() == Frame.class) {
                w.value(frameHeader(w, (Frame) o));
                return true;
            }
            byte[] json;
            try {
                json = Json.MAPPER.writeValueAsBytes(o);
            } catch (Exception e) {
                throw new IllegalArgumentException("cannot send a " + o.getClass().getName()
                        + " to a process-mode worker: it has no fast path and Jackson cannot serialize it ("
                        + e.getMessage() + ")", e);
            }
            String type = o.getClass().getName();
            if (!WRITTEN.contains(type)) {
                WRITTEN.add(type);
            }
            w.putByte(JACKSON);
            w.putString(type);
            w.putInt(json.length);
            w.putBytes(json);
            return true;
        }

        @Override
        public Object read(ValueReader r, byte tag) {
            switch (tag) {
                case FRAME: {
                    int flags = r.getByte();
                    Object s = (flags & F_SPEC) != 0 ? r.value() : null;
                    Object m = (flags & F_META) != 0 ? r.value() : null;
                    if (s != null && !(s instanceof DataSpec) || m != null && !(m instanceof Map<?, ?>)) {
                        throw new ValueCodec.MalformedValueException("malformed frame: spec " + kind(s) + ", metadata " + kind(m));
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, ?> meta = (Map<String, ?>) m;
                    Object data = r.value();
                    return new Frame(data, (flags & F_EOS) != 0, (flags & F_GAP) != 0, (DataSpec) s, meta);
                }
                case JACKSON: {
                    String type = r.getString();
                    byte[] json = r.getBytes(r.getCount("JSON bytes", 1));
                    if (!WRITTEN.contains(type) && !MessageObject.allowsValueType(type)) {
                        throw new IllegalStateException("a worker queue named the class " + type + ", which is not"
                                + " a value type it may carry (not loaded). Allow it in both JVMs with"
                                + " MessageObject.allowValueTypes(" + simpleName(type) + ".class), for example in a"
                                + " static initializer of the element class (it runs in the worker too)");
                    }
                    try {
                        Class<?> cls = Class.forName(type, false, Thread.currentThread().getContextClassLoader());
                        return Json.MAPPER.readValue(json, cls);
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot decode a " + type + " sent through a worker queue: "
                                + e.getMessage(), e);
                    }
                }
                default:
                    throw new ValueCodec.MalformedValueException("malformed value: unknown tag " + tag
                            + " at offset " + (r.position() - 1));
            }
        }

        private static String simpleName(String type) {
            String s = type.substring(type.lastIndexOf('.') + 1);
            return s.substring(s.lastIndexOf('$') + 1);
        }

        private static String kind(Object o) {
            return o == null ? "null" : o.getClass().getName();
        }
    }

    /** Writes a Frame's tag, flags, spec and metadata; returns its data, which comes next. */
    private static Object frameHeader(ValueWriter w, Frame f) {
        boolean meta = f.hasMetadata();
        DataSpec spec = f.spec();
        w.putByte(FRAME);
        w.putByte((f.isEOS() ? F_EOS : 0) | (f.isGap() ? F_GAP : 0) | (spec != null ? F_SPEC : 0) | (meta ? F_META : 0));
        if (spec != null) {
            w.value(spec);
        }
        if (meta) {
            w.value(f.metadata());
        }
        return f.data();
    }

    // ------------------------------------------------------------------ encoder

    /** Encodes one item into a reusable head buffer plus an optional primitive-array tail. */
    static final class Encoder {
        final ExpandableArrayBuffer head = new ExpandableArrayBuffer(256);
        private final ValueWriter out = ValueWriter.on(head, Kinds.INSTANCE);
        int headLength;
        /** The payload array copied after the head, or null. */
        Object tail;
        long tailBase;
        int tailBytes;

        /** Encodes {@code item}; the encoded form is head[0, headLength) followed by the tail. */
        void encode(Object item) {
            out.position(0);
            tail = null;
            tailBytes = 0;
            byte t = ValueCodec.arrayTag(item);
            if (t >= 0) {
                arrayAsTail(t, item);
            } else if (item != null && item.getClass() == Frame.class) {
                Object data = frameHeader(out, (Frame) item);
                byte d = ValueCodec.arrayTag(data);
                if (d >= 0) {
                    arrayAsTail(d, data);
                } else {
                    out.value(data);
                }
            } else {
                out.value(item);
            }
            headLength = out.position();
            tail = tailBytes == 0 ? null : tail;
        }

        /** Drops the reference to the last tail, so that the queue does not keep a big array alive. */
        void clearTail() {
            tail = null;
        }

        private void arrayAsTail(byte tag, Object a) {
            int n = ValueCodec.arrayLength(tag, a);
            out.putByte(tag);
            out.putInt(n);
            tail = a;
            tailBase = ValueCodec.baseOffset(tag);
            tailBytes = Math.multiplyExact(n, ValueCodec.elementSize(tag));
        }
    }

    // ------------------------------------------------------------------ decoder

    /** Decodes one item from a buffer. Not thread-safe. */
    static final class Decoder {
        private final ValueReader.OnBuffer in = ValueReader.on(Kinds.INSTANCE);

        /**
         * Decodes the item in {@code buffer[index, index + length)}.
         *
         * @throws ValueCodec.MalformedValueException when the bytes are not an item
         */
        Object decode(DirectBuffer buffer, int index, int length) {
            try {
                return in.wrap(buffer, index, length).value();
            } finally {
                in.release();
            }
        }
    }
}
