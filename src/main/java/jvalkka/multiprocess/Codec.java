package jvalkka.multiprocess;

import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.type.TypeFactory;
import jvalkka.internal.ValueCodec;

/**
 * Encodes {@link MessageObject}s with Jackson so that every parameter arrives
 * with its own Java type (an {@code int[]} stays an {@code int[]}, a record a
 * record), and converts values to the types that handlers declare.
 *
 * <p>Type names travel on the wire. A process channel is private to the two
 * halves of one {@link MessageProcess} (a 0700 directory, peer credentials and
 * a one-time token), and still a name is decoded only if {@link ValueTypes}
 * allows it: a message never builds an object of a class that is not a value
 * type. Thread-safe.
 */
final class Codec {
    /**
     * Jackson's streaming layer, loaded on first need: plain messages (strings, ints,
     * doubles, booleans) go through {@link PlainJson} and never touch Jackson.
     */
    private static final class Streaming {
        static final JsonFactory FACTORY = new JsonFactory();
    }

    /**
     * Jackson databind, loaded on first need (a typed value, a conversion): a
     * backend that only exchanges plain values starts faster and smaller.
     */
    private static final class Databind {
        /** Plain mapper: conversions to declared types, strict about text-to-number coercion. */
        static final ObjectMapper PLAIN = configure(new ObjectMapper());
        /** Wire mapper: the plain one plus type ids on values declared {@code Object}. */
        static final ObjectMapper TYPED = configure(new ObjectMapper());
        static final ObjectWriter ANY_WRITER;
        static final ObjectReader ANY_READER;

        static {
            TYPED.activateDefaultTyping(new ValueTypes.Validator(), ObjectMapper.DefaultTyping.NON_FINAL);
            ANY_WRITER = TYPED.writerFor(Object.class);
            ANY_READER = TYPED.readerFor(Object.class);
        }
    }

    static ObjectMapper plain() {
        return Databind.PLAIN;
    }

    private Codec() {
    }

    private static ObjectMapper configure(ObjectMapper m) {
        m.setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY);
        m.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        m.configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
        m.configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);
        m.setSerializationInclusion(JsonInclude.Include.ALWAYS);
        for (LogicalType t : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            m.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        return m;
    }

    /**
     * Writes {@code ["command", {"name": value, ...}]}. Strings, ints, doubles,
     * booleans and nulls are written bare (they read back as the same types);
     * every other value is written by the typed mapper with its class name.
     */
    static void encode(MessageObject m, OutputStream out) throws IOException {
        if (out instanceof Sink sink && PlainJson.isPlain(m)) {
            PlainJson.encode(m, sink);
            return;
        }
        try (JsonGenerator g = Streaming.FACTORY.createGenerator(out)) {
            g.writeStartArray();
            g.writeString(m.command());
            g.writeStartObject();
            for (Map.Entry<String, Object> e : m.parameters().entrySet()) {
                g.writeFieldName(e.getKey());
                Object v = e.getValue();
                if (!PlainJson.isPlain(v)) {
                    // NaN and infinities go typed too: bare, Jackson would quote them as strings
                    Databind.ANY_WRITER.writeValue(g, v);
                } else {
                    switch (ValueCodec.tag(v)) {
                        case ValueCodec.NULL -> g.writeNull();
                        case ValueCodec.STRING -> g.writeString((String) v);
                        case ValueCodec.INT -> g.writeNumber((Integer) v);
                        case ValueCodec.DOUBLE -> g.writeNumber((Double) v);
                        default -> g.writeBoolean((Boolean) v);
                    }
                }
            }
            g.writeEndObject();
            g.writeEndArray();
        }
    }

    /** Where {@link PlainJson} writes: a byte at a time, never failing. */
    interface Sink {
        void write(int b);
    }

    /** A growable byte array that {@link PlainJson} and Jackson can write to (unsynchronized). */
    private static final class Bytes extends OutputStream implements Sink {
        private byte[] buf = new byte[64];
        private int count;

        @Override
        public void write(int b) {
            if (count == buf.length) {
                buf = java.util.Arrays.copyOf(buf, buf.length * 2);
            }
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (count + len > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, count + len));
            }
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, count);
        }
    }

    static byte[] encode(MessageObject m) {
        Bytes out = new Bytes();
        try {
            encode(m, out);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode " + m + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Decodes one message; {@link IOException} on malformed bytes. */
    static MessageObject decode(byte[] buf, int off, int len) throws IOException {
        MessageObject plain = PlainJson.decode(buf, off, len);
        return plain != null ? plain : decodeWithJackson(buf, off, len);
    }

    /** The general decoder (also the reference the plain one is tested against). */
    static MessageObject decodeWithJackson(byte[] buf, int off, int len) throws IOException {
        try (JsonParser p = Streaming.FACTORY.createParser(buf, off, len)) {
            expect(p, JsonToken.START_ARRAY);
            expect(p, JsonToken.VALUE_STRING);
            String command = p.getText();
            if (command.isEmpty()) {
                throw new IOException("a message without a command");
            }
            expect(p, JsonToken.START_OBJECT);
            LinkedHashMap<String, Object> params = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                Object v;
                switch (p.nextToken()) {
                    case VALUE_NULL -> v = null;
                    case VALUE_STRING -> v = p.getText();
                    case VALUE_NUMBER_INT -> v = p.getIntValue();
                    case VALUE_NUMBER_FLOAT -> v = p.getDoubleValue();
                    case VALUE_TRUE -> v = Boolean.TRUE;
                    case VALUE_FALSE -> v = Boolean.FALSE;
                    case START_ARRAY -> v = readTyped(p, key);
                    default -> throw new IOException("unexpected " + p.currentToken() + " for parameter '" + key + "'");
                }
                if (params == null) {
                    params = new LinkedHashMap<>();
                }
                params.put(key, v);
            }
            if (t != JsonToken.END_OBJECT) {
                throw new IOException("malformed message: " + t + " among the parameters");
            }
            expect(p, JsonToken.END_ARRAY);
            if (p.nextToken() != null) {
                throw new IOException("trailing bytes after the message");
            }
            return params == null ? new MessageObject(command) : MessageObject.trusted(command, params);
        }
    }

    private static Object readTyped(JsonParser p, String key) throws IOException {
        try {
            return Databind.ANY_READER.readValue(p);
        } catch (InvalidTypeIdException e) {
            throw new IOException("parameter '" + key + "': " + ValueTypes.refusal(e.getTypeId()), e);
        }
    }

    private static void expect(JsonParser p, JsonToken want) throws IOException {
        JsonToken t = p.nextToken();
        if (t != want) {
            throw new IOException("malformed message: expected " + want + ", found " + t);
        }
    }

    static JavaType typeOf(java.lang.reflect.Type t) {
        return TypeFactory.defaultInstance().constructType(t);
    }

    /** {@code value} as {@code type}: itself when it is one, otherwise converted by Jackson. */
    @SuppressWarnings("unchecked")
    static <T> T convert(Object value, Class<T> type) {
        if (value == null) {
            if (type.isPrimitive()) {
                throw new IllegalArgumentException("null cannot be a " + type.getName());
            }
            return null;
        }
        Class<?> boxed = box(type);
        if (boxed.isInstance(value)) {
            return (T) value;
        }
        return (T) Databind.PLAIN.convertValue(value, boxed);
    }

    /** {@code value} as the generic {@code type}. */
    static Object convert(Object value, JavaType type) {
        if (value == null) {
            if (type.isPrimitive()) {
                throw new IllegalArgumentException("null cannot be a " + type.getRawClass().getName());
            }
            return null;
        }
        Class<?> raw = box(type.getRawClass());
        if (raw.isInstance(value) && !type.isContainerType()) {
            return value;
        }
        return Databind.PLAIN.convertValue(value, type);
    }

    static Class<?> box(Class<?> c) {
        if (!c.isPrimitive()) {
            return c;
        }
        if (c == int.class) {
            return Integer.class;
        } else if (c == long.class) {
            return Long.class;
        } else if (c == double.class) {
            return Double.class;
        } else if (c == boolean.class) {
            return Boolean.class;
        } else if (c == float.class) {
            return Float.class;
        } else if (c == short.class) {
            return Short.class;
        } else if (c == byte.class) {
            return Byte.class;
        } else if (c == char.class) {
            return Character.class;
        }
        return Void.class;
    }
}
