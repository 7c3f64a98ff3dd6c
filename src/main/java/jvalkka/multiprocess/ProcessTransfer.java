package jvalkka.multiprocess;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import jvalkka.internal.ValueCodec;
import jvalkka.internal.ValueReader;
import jvalkka.internal.ValueWriter;

/**
 * Carries a process object to its backend JVM.
 *
 * <p>A process whose serialized state is plain travels as a list of field values
 * and is rebuilt by reflection: plain means every serialized field (non-static,
 * non-transient, in every class from the process's own up to
 * {@link MessageProcess}) holds a primitive, a boxed primitive, a string or null,
 * and no class in between declares a serialization hook ({@code readObject},
 * {@code writeReplace}, ...) or {@code serialPersistentFields}. Any other process
 * goes by Java serialization. Both ways give the backend the same object: Java
 * serialization, too, runs no constructor of a serializable class and leaves
 * transient fields at their defaults.
 *
 * <p>The plain form is {@link ValueCodec}'s, the one tagged value codec: the class name,
 * the field count, then each field's declaring class, name and tagged value.
 *
 * <p>Why two ways: in a fresh JVM, {@link ObjectInputStream} costs about 20 ms of
 * CPU before it reads a byte (class descriptors, a digest for each
 * serialVersionUID, the serial filter's logger, whose lookup opens every jar on
 * the class path), a fifth of a small backend's start. Stateless.
 */
final class ProcessTransfer {
    private static final byte PLAIN = 'P';
    private static final byte SERIALIZED = 'J';

    private ProcessTransfer() {
    }

    /**
     * The process object as bytes for {@link #decode}.
     *
     * @throws IOException when Java serialization fails (for example a field that
     *         is not serializable)
     */
    static byte[] encode(MessageProcess p) throws IOException {
        List<Field> fields = plainFields(p);
        if (fields != null) {
            ValueWriter.OnArray out = ValueWriter.onArray(512, null);
            out.putByte(PLAIN);
            out.putString(p.getClass().getName());
            out.putInt(fields.size());
            for (Field f : fields) {
                out.putString(f.getDeclaringClass().getName());
                out.putString(f.getName());
                out.value(get(f, p));
            }
            return out.toByteArray();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        bytes.write(SERIALIZED);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        return bytes.toByteArray();
    }

    /** Whether {@code p} travels as plain field values (for tests and diagnostics). */
    static boolean isPlain(MessageProcess p) {
        return plainFields(p) != null;
    }

    /** Rebuilds the process object; classes are resolved with {@code loader}. */
    static MessageProcess decode(byte[] data, ClassLoader loader) throws IOException, ReflectiveOperationException {
        if (data.length == 0) {
            throw new IOException("no process object");
        }
        if (data[0] == SERIALIZED) {
            try (ObjectInputStream in = new jvalkka.internal.LoaderObjectInputStream(
                    new ByteArrayInputStream(data, 1, data.length - 1), loader)) {
                return (MessageProcess) in.readObject();
            }
        }
        if (data[0] != PLAIN) {
            throw new IOException("unknown process encoding " + data[0]);
        }
        try {
            ValueReader in = ValueReader.onArray(data, 1, data.length - 1, null);
            Class<?> cls = Class.forName(in.getString(), false, loader);
            if (!MessageProcess.class.isAssignableFrom(cls)) {
                throw new IOException(cls.getName() + " is not a MessageProcess");
            }
            MessageProcess p = (MessageProcess) Allocator.UNSAFE.allocateInstance(cls);
            int n = in.getCount("fields", 9);
            for (int i = 0; i < n; i++) {
                Class<?> declaring = Class.forName(in.getString(), false, loader);
                Field f = declaring.getDeclaredField(in.getString());
                Object v = in.value();
                if (!ValueCodec.isScalar(v)) {
                    throw new IOException("field " + f + ": not a plain value but a " + v.getClass().getName());
                }
                assign(cls, f, p, v);
            }
            if (in.remaining() != 0) {
                throw new IOException(in.remaining() + " bytes after the process's fields");
            }
            p.restored();
            return p;
        } catch (ValueCodec.MalformedValueException e) {
            throw new IOException("malformed process object: " + e.getMessage(), e);
        }
    }

    /**
     * Sets field {@code f} of {@code p}, an instance of {@code cls}, to {@code v}, after checking what
     * core reflection would check and more: {@code f} is an instance field of {@code cls} or one of its
     * superclasses, not transient, and {@code v} is of the field's type (for a primitive field exactly its
     * box, as {@link #encode} sends it: no widening). Else an {@link IOException} that names the field.
     *
     * <p>Where {@code sun.misc.Unsafe} may access memory without a warning (JDK 23 and before, or
     * {@code --sun-misc-unsafe-memory-access=allow}, which a backend gets unless its options choose
     * otherwise) the value is stored as Java serialization stores it, at the field's offset. Core
     * reflection's {@link Field#set} is what a backend chose otherwise gets: on JDK 18 and later (JEP 416)
     * it builds a method handle for each field, and each field type it meets first generates its own
     * LambdaForm classes at run time, which no CDS archive or AOT cache holds: measured on JDK 25.0.3,
     * 11 to 17 classes and 15 to 18 ms of CPU in every backend's start, for MessageProcess's own five
     * fields alone.
     */
    private static void assign(Class<?> cls, Field f, MessageProcess p, Object v) throws IOException {
        int m = f.getModifiers();
        if (Modifier.isStatic(m) || Modifier.isTransient(m) || !f.getDeclaringClass().isAssignableFrom(cls)) {
            throw new IOException("field " + f + " is not a serialized field of " + cls.getName());
        }
        Class<?> t = f.getType();
        if (t.isPrimitive() ? v == null || v.getClass() != Fields.box(t) : v != null && !t.isInstance(v)) {
            throw new IOException("field " + f + " cannot hold " + (v == null ? "null" : "a " + v.getClass().getName()));
        }
        if (Fields.UNSAFE_ALLOWED) {
            Fields.put(f, p, v);
            return;
        }
        try {
            f.setAccessible(true);
            f.set(p, v);
        } catch (IllegalAccessException | RuntimeException e) {
            throw new IOException("field " + f + " cannot be set: " + e, e);
        }
    }

    /** The fields to send, or null when {@code p} must go by Java serialization. */
    private static List<Field> plainFields(MessageProcess p) {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = p.getClass(); c != Object.class; c = c.getSuperclass()) {
            if (Externalizable.class.isAssignableFrom(c) || c != MessageProcess.class && hasHooks(c)) {
                return null;
            }
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isStatic(m) || Modifier.isTransient(m)) {
                    continue;
                }
                if (!f.trySetAccessible() || !ValueCodec.isScalar(get(f, p))) {
                    return null;
                }
                out.add(f);
            }
        }
        return out;
    }

    private static boolean hasHooks(Class<?> c) {
        for (Method m : c.getDeclaredMethods()) {
            switch (m.getName()) {
                case "writeObject", "readObject", "readObjectNoData", "writeReplace", "readResolve":
                    return true;
                default:
                    break;
            }
        }
        try {
            c.getDeclaredField("serialPersistentFields");
            return true;
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    private static Object get(Field f, Object o) {
        try {
            return f.get(o);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(f + " was made accessible", e);
        }
    }

    /**
     * Stores field values through {@code sun.misc.Unsafe}, as Java serialization does through the
     * JDK's own: only for fields and values {@link ProcessTransfer#assign} checked, and only where
     * {@link #UNSAFE_ALLOWED}.
     */
    private static final class Fields {
        /**
         * Whether {@code sun.misc.Unsafe}'s memory access is allowed without a warning: the
         * {@code --sun-misc-unsafe-memory-access} mode is {@code allow}, or not given on a JDK before 24
         * (JDK 24 warns by default, JEP 498).
         */
        static final boolean UNSAFE_ALLOWED = allowed(System.getProperty("sun.misc.unsafe.memory.access"),
                Runtime.version().feature());

        static boolean allowed(String mode, int feature) {
            return mode == null ? feature < 24 : mode.equals("allow");
        }

        static Class<?> box(Class<?> primitive) {
            return switch (primitive.getName()) {
                case "int" -> Integer.class;
                case "long" -> Long.class;
                case "double" -> Double.class;
                case "float" -> Float.class;
                case "boolean" -> Boolean.class;
                case "byte" -> Byte.class;
                case "short" -> Short.class;
                case "char" -> Character.class;
                default -> Void.class; // no value is a Void
            };
        }

        /** Stores {@code v} in field {@code f} of {@code o}; {@link ProcessTransfer#assign} checked both. */
        @SuppressWarnings({"deprecation", "removal"})
        static void put(Field f, Object o, Object v) {
            sun.misc.Unsafe u = Allocator.UNSAFE;
            long at = u.objectFieldOffset(f);
            boolean vol = Modifier.isVolatile(f.getModifiers());
            Class<?> t = f.getType();
            if (!t.isPrimitive()) {
                if (vol) {
                    u.putObjectVolatile(o, at, v);
                } else {
                    u.putObject(o, at, v);
                }
            } else if (t == int.class) {
                u.putInt(o, at, (Integer) v);
            } else if (t == long.class) {
                u.putLong(o, at, (Long) v);
            } else if (t == double.class) {
                u.putDouble(o, at, (Double) v);
            } else if (t == float.class) {
                u.putFloat(o, at, (Float) v);
            } else if (t == boolean.class) {
                u.putBoolean(o, at, (Boolean) v);
            } else if (t == byte.class) {
                u.putByte(o, at, (Byte) v);
            } else if (t == short.class) {
                u.putShort(o, at, (Short) v);
            } else {
                u.putChar(o, at, (Character) v);
            }
            if (vol) {
                u.fullFence(); // a volatile field's other types: as Field.set would, the write is ordered
            }
        }
    }

    /**
     * Creates objects without running a constructor, as Java serialization does
     * ({@code allocateInstance} is not one of the memory-access methods that JDK 24
     * and later warn about; {@link Fields} uses those only where they are allowed).
     */
    private static final class Allocator {
        static final sun.misc.Unsafe UNSAFE;

        static {
            try {
                Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                UNSAFE = (sun.misc.Unsafe) f.get(null);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
