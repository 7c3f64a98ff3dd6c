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
import java.util.IdentityHashMap;
import java.util.List;

import jvalkka.internal.ValueCodec;
import jvalkka.internal.ValueReader;
import jvalkka.internal.ValueWriter;
import jvalkka.shm.SharedMemory;
import jvalkka.shm.internal.NamedHandle;
import jvalkka.sync.EventGroup;

/**
 * Carries a process object to its backend JVM.
 *
 * <p>A process whose serialized state is plain travels as a list of field values
 * and is rebuilt by reflection: plain means every serialized field (non-static,
 * non-transient, in every class from the process's own up to
 * {@link MessageProcess}) holds a primitive, a boxed primitive, a string, null,
 * or one of jvalkka's named handles, an {@link EventGroup} or a
 * {@link SharedMemory} (exactly those classes), and no class in between declares
 * a serialization hook ({@code readObject}, {@code writeReplace}, ...) or
 * {@code serialPersistentFields}. Any other process goes by Java serialization.
 * Both ways give the backend the same object: Java serialization, too, runs no
 * constructor of a serializable class and leaves transient fields at their
 * defaults; a handle crosses as the {@link NamedHandle} its {@code writeReplace}
 * gives (which records it for the starter, {@link jvalkka.shm.internal.Crossing})
 * and is re-opened by name as that handle's {@code readResolve} re-opens it, and
 * one handle in several fields arrives as one object, as with Java serialization.
 *
 * <p>The plain form: {@code 'P'}, the class name, the field count, then for each
 * field its declaring class and name, a kind byte and the value: {@code 'V'} and a
 * value tagged as {@link ValueCodec}'s; {@code 'H'} and a handle (its class name,
 * its field count, and its fields as the process's, each a {@code 'V'} value); or
 * {@code 'R'} and the index of a handle earlier in the same object.
 *
 * <p>Why two ways: in a fresh JVM, {@link ObjectInputStream} costs about 20 ms of
 * CPU before it reads a byte (class descriptors, a digest for each
 * serialVersionUID, the serial filter's logger, whose lookup opens every jar on
 * the class path), a fifth of a small backend's start; in a warm JVM, restoring a
 * process with an {@code EventGroup} by Java serialization took about a millisecond
 * of its start (the class's descriptor and default serialVersionUID digest), the
 * plain form a tenth of that. Stateless.
 */
final class ProcessTransfer {
    private static final byte PLAIN = 'P';
    private static final byte SERIALIZED = 'J';
    /** A field's kinds in the plain form: a tagged value, a handle, a handle met before. */
    private static final byte VALUE = 'V';
    private static final byte HANDLE = 'H';
    private static final byte SAME_HANDLE = 'R';

    private ProcessTransfer() {
    }

    /**
     * The serialized fields of each class ({@link #walk}): looked up once per class,
     * not at each start (a start copied them out of the class and checked their
     * access anew).
     */
    private static final ClassValue<Walk> FIELDS = new ClassValue<>() {
        @Override
        protected Walk computeValue(Class<?> type) {
            return walk(type);
        }
    };

    /** A class's serialized fields, made accessible; null when its objects cannot cross in the plain form. */
    private record Walk(Field[] fields) {
    }

    /**
     * The process object as bytes for {@link #decode}.
     *
     * @throws IOException when Java serialization fails (for example a field that
     *         is not serializable), or a handle cannot cross (it is closed)
     */
    static byte[] encode(MessageProcess p) throws IOException {
        byte[] plain = encodePlain(p);
        if (plain != null) {
            return plain;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        bytes.write(SERIALIZED);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        return bytes.toByteArray();
    }

    /**
     * The process object in the plain form for {@link #decode}, or null when it
     * goes by Java serialization ({@link #encode}).
     *
     * @throws IOException when a handle cannot cross (it is closed)
     */
    static byte[] encodePlain(MessageProcess p) throws IOException {
        Field[] fields = FIELDS.get(p.getClass()).fields();
        Object[] values = fields == null ? null : plainValues(fields, p);
        if (values == null) {
            return null;
        }
        ValueWriter.OnArray out = ValueWriter.onArray(512, null);
        out.putByte(PLAIN);
        out.putString(p.getClass().getName());
        writeFields(out, fields, values, new IdentityHashMap<>());
        return out.toByteArray();
    }

    /**
     * Writes the field count, then for each field its declaring class and name, its kind and its
     * value ({@link #readFields} reads them): a plain value, or, where {@code handles} is not null
     * (the process's own fields), a handle ({@link #writeHandle}) or the index of one met before in
     * {@code handles}. A handle's own fields ({@code handles} null) must hold plain values.
     */
    private static void writeFields(ValueWriter.OnArray out, Field[] fields, Object[] values,
            IdentityHashMap<Object, Integer> handles) throws IOException {
        out.putInt(fields.length);
        for (int i = 0; i < fields.length; i++) {
            Field f = fields[i];
            Object v = values[i];
            out.putString(f.getDeclaringClass().getName());
            out.putString(f.getName());
            if (handles == null || !Handles.isHandleType(v)) {
                if (!ValueCodec.isScalar(v)) {
                    throw new IOException(f + ": a handle's field must be a plain value, not a " + v.getClass());
                }
                out.putByte(VALUE);
                out.value(v);
                continue;
            }
            Integer seen = handles.get(v);
            if (seen != null) {
                out.putByte(SAME_HANDLE);
                out.putInt(seen);
            } else {
                handles.put(v, handles.size());
                out.putByte(HANDLE);
                writeHandle(out, Handles.handleOf(v));
            }
        }
    }

    /** A handle's class and its serialized fields, each a plain value. */
    private static void writeHandle(ValueWriter.OnArray out, NamedHandle h) throws IOException {
        Field[] fields = FIELDS.get(h.getClass()).fields(); // jvalkka's own handle classes: never null
        Object[] values = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            values[i] = get(fields[i], h);
        }
        out.putString(h.getClass().getName());
        writeFields(out, fields, values, null);
    }

    /**
     * Whether {@code p} travels as plain field values: what a warm JVM's take line
     * says before {@link #encode} makes the bytes (in that form).
     */
    static boolean isPlain(MessageProcess p) {
        Field[] fields = FIELDS.get(p.getClass()).fields();
        return fields != null && plainValues(fields, p) != null;
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
        List<Object> handles = new ArrayList<>(2);
        boolean done = false;
        try {
            ValueReader in = ValueReader.onArray(data, 1, data.length - 1, null);
            Class<?> cls = Class.forName(in.getString(), false, loader);
            if (!MessageProcess.class.isAssignableFrom(cls)) {
                throw new IOException(cls.getName() + " is not a MessageProcess");
            }
            MessageProcess p = (MessageProcess) Allocator.UNSAFE.allocateInstance(cls);
            readFields(p, cls, in, loader, handles);
            if (in.remaining() != 0) {
                throw new IOException(in.remaining() + " bytes after the process's fields");
            }
            p.restored();
            done = true;
            return p;
        } catch (ValueCodec.MalformedValueException e) {
            throw new IOException("malformed process object: " + e.getMessage(), e);
        } finally {
            if (!done) {
                closeAll(handles); // re-opened for a process that never came to be: unmapped again
            }
        }
    }

    /**
     * Sets field {@code f} of {@code o} to {@code v} ({@link #field} checked that {@code f} is a serialized
     * field of {@code o}'s class), after checking what core reflection would check and more: {@code v} is
     * of the field's type (for a primitive field exactly its box, as {@link #encode} sends it: no
     * widening). Else an {@link IOException} that names the field.
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
    private static void assign(Field f, Object o, Object v) throws IOException {
        Class<?> t = f.getType();
        if (t.isPrimitive() ? v == null || v.getClass() != Fields.box(t) : v != null && !t.isInstance(v)) {
            throw new IOException("field " + f + " cannot hold " + (v == null ? "null" : "a " + v.getClass().getName()));
        }
        if (Fields.UNSAFE_ALLOWED) {
            Fields.put(f, o, v);
            return;
        }
        try {
            f.setAccessible(true);
            f.set(o, v);
        } catch (IllegalAccessException | RuntimeException e) {
            throw new IOException("field " + f + " cannot be set: " + e, e);
        }
    }

    /**
     * Reads what {@link #writeFields} wrote into the fields of {@code target}, an object of
     * {@code cls}: the process's own fields, where {@code handles} collects the handles re-opened
     * for them; or a handle's fields ({@code handles} null), which hold plain values only.
     */
    private static void readFields(Object target, Class<?> cls, ValueReader in, ClassLoader loader,
            List<Object> handles) throws IOException, ReflectiveOperationException {
        int n = handles != null ? in.getCount("fields", 10) : in.getCount("handle fields", 11);
        for (int i = 0; i < n; i++) {
            Field f = field(cls, in, loader);
            assign(f, target, fieldValue(f, in, loader, handles));
        }
    }

    /**
     * The value of field {@code f}: a plain value; or, where {@code handles} is not null (a
     * process's field), a handle (re-opened, added to {@code handles}) or one met before.
     */
    private static Object fieldValue(Field f, ValueReader in, ClassLoader loader, List<Object> handles)
            throws IOException, ReflectiveOperationException {
        byte kind = in.getByte();
        if (kind == VALUE) {
            Object v = in.value();
            if (!ValueCodec.isScalar(v)) {
                throw new IOException("field " + f + ": not a plain value but a " + v.getClass().getName());
            }
            return v;
        }
        if (handles == null) {
            throw new ValueCodec.MalformedValueException("handle field " + f + " is not a value");
        }
        if (kind == HANDLE) {
            Object h = readHandle(in, loader);
            handles.add(h);
            return h;
        }
        if (kind == SAME_HANDLE) {
            int k = in.getInt();
            if (k < 0 || k >= handles.size()) {
                throw new ValueCodec.MalformedValueException("field " + f + " refers to handle " + k + " of "
                        + handles.size());
            }
            return handles.get(k);
        }
        throw new ValueCodec.MalformedValueException("field " + f + " has the unknown kind " + kind);
    }

    /** The next field's declaring class and name, as a serialized field of {@code owner}. */
    private static Field field(Class<?> owner, ValueReader in, ClassLoader loader)
            throws IOException, ReflectiveOperationException {
        Class<?> declaring = Class.forName(in.getString(), false, loader);
        Field f = declaring.getDeclaredField(in.getString());
        int m = f.getModifiers();
        if (!declaring.isAssignableFrom(owner) || Modifier.isStatic(m) || Modifier.isTransient(m)) {
            throw new IOException(f + " is not a serialized field of " + owner.getName());
        }
        f.setAccessible(true);
        return f;
    }

    /** Reads a handle ({@link #writeHandle}) and re-opens what it names in this JVM. */
    private static Object readHandle(ValueReader in, ClassLoader loader)
            throws IOException, ReflectiveOperationException {
        Class<?> cls = Class.forName(in.getString(), false, loader);
        if (!NamedHandle.class.isAssignableFrom(cls)) {
            throw new IOException(cls.getName() + " is not a handle (a " + NamedHandle.class.getName() + ")");
        }
        NamedHandle h = (NamedHandle) Allocator.UNSAFE.allocateInstance(cls);
        readFields(h, cls, in, loader, null);
        return h.resolve();
    }

    private static void closeAll(List<Object> handles) {
        for (Object h : handles) {
            if (h instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // it was mapped for this restore only
                }
            }
        }
    }

    /**
     * The one walk over a class's serialized fields (non-static, non-transient, in it and each
     * superclass below {@code Object}), each made accessible, for {@link #FIELDS}: a process
     * class's, or null when a class of it is {@link Externalizable}, a class below
     * {@link MessageProcess} declares a serialization hook or {@code serialPersistentFields}, or a
     * field cannot be made accessible (then it goes by Java serialization); a handle's, jvalkka's own.
     */
    private static Walk walk(Class<?> type) {
        boolean process = MessageProcess.class.isAssignableFrom(type);
        List<Field> out = new ArrayList<>();
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            if (process && (Externalizable.class.isAssignableFrom(c) || c != MessageProcess.class && hasHooks(c))) {
                return new Walk(null);
            }
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isStatic(m) || Modifier.isTransient(m)) {
                    continue;
                }
                if (!f.trySetAccessible()) {
                    return new Walk(null);
                }
                out.add(f);
            }
        }
        return new Walk(out.toArray(new Field[0]));
    }

    /** The values of {@code p}'s {@code fields}, or null when one is neither a plain value nor a handle. */
    private static Object[] plainValues(Field[] fields, MessageProcess p) {
        Object[] values = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            Object v = get(fields[i], p);
            if (!ValueCodec.isScalar(v) && !Handles.isHandleType(v)) {
                return null;
            }
            values[i] = v;
        }
        return values;
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
     * The classes whose objects cross as their {@link NamedHandle} in the plain
     * form, each with its {@code writeReplace} (made accessible: jvalkka's own).
     */
    private static final class Handles {
        private static final Class<?> EVENT_GROUP = EventGroup.class;
        private static final Class<?> SHARED_MEMORY = SharedMemory.class;
        private static final Method EVENT_GROUP_HANDLE = writeReplace(EVENT_GROUP);
        private static final Method SHARED_MEMORY_HANDLE = writeReplace(SHARED_MEMORY);

        static boolean isHandleType(Object v) {
            return v != null && (v.getClass() == EVENT_GROUP || v.getClass() == SHARED_MEMORY);
        }

        /** The handle {@code v} crosses as; recorded for the starter (its writeReplace notes it). */
        static NamedHandle handleOf(Object v) throws IOException {
            Method m = v.getClass() == EVENT_GROUP ? EVENT_GROUP_HANDLE : SHARED_MEMORY_HANDLE;
            try {
                return (NamedHandle) m.invoke(v);
            } catch (java.lang.reflect.InvocationTargetException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io; // closed: says so
                }
                throw new IOException("cannot send " + v + ": " + e.getCause(), e.getCause());
            } catch (IllegalAccessException | ClassCastException e) {
                throw new IllegalStateException(m + " was made accessible and gives a NamedHandle", e);
            }
        }

        private static Method writeReplace(Class<?> c) {
            try {
                Method m = c.getDeclaredMethod("writeReplace");
                m.setAccessible(true);
                return m;
            } catch (NoSuchMethodException e) {
                throw new ExceptionInInitializerError(e);
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
