package jvalkka.multiprocess;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JavaType;

/**
 * Finds and calls the {@code c__<command>} handler of a message, binding the
 * message's parameters to the handler's by name and converting each value to the
 * declared type. A handler that takes a single {@link MessageObject} gets the
 * whole message. Look-ups are built once per class. Thread-safe.
 */
final class Dispatcher {
    static final String PREFIX = "c__";
    private static final Map<Class<?>, Dispatcher> CACHE = new ConcurrentHashMap<>();

    private final Map<String, Handler> handlers;

    private Dispatcher(Map<String, Handler> handlers) {
        this.handlers = handlers;
    }

    /**
     * The dispatcher of {@code cls}.
     *
     * @throws IllegalStateException when two handlers share a command (overloads),
     *         which would make dispatch ambiguous
     */
    static Dispatcher of(Class<?> cls) {
        Dispatcher d = CACHE.get(cls); // not computeIfAbsent: a lambda costs a fresh backend JVM its linking
        if (d == null) {
            d = build(cls);
            Dispatcher raced = CACHE.putIfAbsent(cls, d);
            if (raced != null) {
                d = raced;
            }
        }
        return d;
    }

    /** Whether the dispatcher of {@code cls} was built (for tests). */
    static boolean isBuilt(Class<?> cls) {
        return CACHE.containsKey(cls);
    }

    private static Dispatcher build(Class<?> cls) {
        Map<String, Handler> found = new HashMap<>();
        for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
            Map<String, Method> here = new HashMap<>();
            for (Method m : c.getDeclaredMethods()) {
                if (!m.getName().startsWith(PREFIX) || m.isSynthetic() || m.isBridge()
                        || Modifier.isStatic(m.getModifiers())) {
                    continue;
                }
                String command = m.getName().substring(PREFIX.length());
                Method twin = here.put(command, m);
                if (twin != null) {
                    throw new IllegalStateException(cls.getName() + " has two handlers for command '" + command
                            + "' (" + twin + " and " + m + "): handlers are found by name, so overloads are "
                            + "ambiguous; give them different names");
                }
                if (!found.containsKey(command)) { // a subclass's handler overrides its superclass's
                    m.setAccessible(true);
                    for (java.lang.reflect.Type t : m.getGenericParameterTypes()) {
                        ValueTypes.allow(t); // a message may carry what a handler takes
                    }
                    found.put(command, new Handler(command, m));
                }
            }
        }
        return new Dispatcher(Map.copyOf(found));
    }

    /**
     * Fails when a handler of {@code cls} has parameters whose names were not compiled in
     * (the class was compiled without {@code -parameters}, Maven's and Gradle's default): such a
     * handler cannot bind a message's parameters by name. A handler that takes the whole
     * {@link MessageObject}, or nothing, needs no names.
     *
     * @throws IllegalStateException naming the class, its nameless handlers and the compiler
     *     settings that fix it
     */
    static void requireParameterNames(Class<?> cls) {
        List<String> nameless = null;
        for (Handler h : of(cls).handlers.values()) {
            if (!h.namesPresent && !h.wholeMessage) {
                (nameless == null ? nameless = new ArrayList<>() : nameless).add(h.signature());
            }
        }
        if (nameless != null) {
            java.util.Collections.sort(nameless);
            throw new IllegalStateException(missingNames(cls, nameless));
        }
    }

    /** The error for handlers without parameter names: which class, which handlers, and the fix. */
    static String missingNames(Class<?> cls, List<String> handlers) {
        return cls.getName() + " was compiled without -parameters, so the parameter names of "
                + String.join(", ", handlers) + " are unknown and a message's parameters cannot be bound"
                + " to them by name. Compile it with javac -parameters: in Maven, maven-compiler-plugin's"
                + " <configuration><parameters>true</parameters></configuration>; in Gradle,"
                + " tasks.withType(JavaCompile) { options.compilerArgs += '-parameters' }."
                + " (A handler taking the whole MessageObject needs no names.)";
    }

    Handler handler(String command) {
        return handlers.get(command);
    }

    /** Why a message could not be dispatched: a message for the log and the error report. */
    static final class DispatchError extends Exception {
        private static final long serialVersionUID = 1L;

        DispatchError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** One {@code c__} method with its parameter names and types. */
    static final class Handler {
        final String command;
        final Method method;
        final boolean wholeMessage;
        final String[] names;
        final Class<?>[] raw;
        final java.lang.reflect.Type[] generic;
        /** {@link #raw}, primitives boxed: what a value that needs no conversion is an instance of. */
        private final Class<?>[] boxed;
        /** Whether a parameter's type is a plain class (no element types a value's container must be checked for). */
        private final boolean[] plain;
        private volatile JavaType[] types; // built on first conversion: most values already have the right type
        final boolean namesPresent;

        /**
         * Whether this JVM's core reflection calls methods through the VM
         * ({@link BackendCommand#NATIVE_REFLECTION_PROPERTY}, as a backend on JDK 22
         * and later is started): then a handler switches to its own method handle
         * after {@link #REFLECTED_CALLS} calls (measured on JDK 25, C1 only: 21 to 33 ns
         * a call through it, 70 to 78 through the JDK's reflection of JDK 22 and
         * later). Elsewhere a handler stays with reflection: JDK 17's generated
         * accessor is at least as fast as a method handle there (14 to 18 ns
         * against 18 to 26).
         */
        private static final boolean NATIVE_REFLECTION = Runtime.version().feature() >= 18
                && "true".equals(System.getProperty(BackendCommand.NATIVE_REFLECTION_PROPERTY));
        /** How many calls go through reflection before a switching handler makes its method handle. */
        static final int REFLECTED_CALLS = 16;

        private final boolean switches;
        private int calls; // a race only makes the handle a call sooner or later
        /** The handler as {@code (Object target, Object[] args) Object}, once made. */
        private volatile MethodHandle handle;

        Handler(String command, Method method) {
            this(command, method, NATIVE_REFLECTION);
        }

        /**
         * @param switches whether to call through a method handle of its own after
         *     {@link #REFLECTED_CALLS} reflective calls
         */
        Handler(String command, Method method, boolean switches) {
            this.switches = switches;
            this.command = command;
            this.method = method;
            Parameter[] ps = method.getParameters();
            this.wholeMessage = ps.length == 1 && ps[0].getType() == MessageObject.class;
            this.names = new String[ps.length];
            this.raw = new Class<?>[ps.length];
            this.generic = new java.lang.reflect.Type[ps.length];
            this.boxed = new Class<?>[ps.length];
            this.plain = new boolean[ps.length];
            boolean present = true;
            for (int i = 0; i < ps.length; i++) {
                names[i] = ps[i].getName();
                raw[i] = ps[i].getType();
                generic[i] = ps[i].getParameterizedType();
                boxed[i] = Codec.box(raw[i]);
                plain[i] = generic[i] instanceof Class<?>;
                present &= ps[i].isNamePresent() || wholeMessage;
            }
            this.namesPresent = present;
        }

        String signature() {
            StringJoiner j = new StringJoiner(", ", method.getName() + "(", ")");
            for (int i = 0; i < names.length; i++) {
                j.add(method.getParameters()[i].getParameterizedType().getTypeName()
                        .replaceAll("[a-z0-9_$.]+\\.", "") + " " + names[i]);
            }
            return j.toString();
        }

        /**
         * Binds the message's parameters to arguments by name; reserved {@code __} keys are skipped.
         * A handler whose parameter names were not compiled in is never bound by position: that
         * would silently swap values sent in another order.
         */
        Object[] bind(MessageObject msg) throws DispatchError {
            if (wholeMessage) {
                return new Object[] {msg};
            }
            Map<String, Object> params = msg.parameters();
            Object[] args = new Object[names.length];
            List<String> missing = null;
            if (!namesPresent) {
                throw new DispatchError(missingNames(method.getDeclaringClass(), List.of(signature())), null);
            }
            for (int i = 0; i < names.length; i++) {
                Object v = params.get(names[i]);
                if (v == null && !params.containsKey(names[i])) {
                    (missing == null ? missing = new ArrayList<>() : missing).add(names[i]);
                    continue;
                }
                args[i] = convert(names[i], v, i);
            }
            if (missing == null && params.size() == names.length) {
                return args; // every parameter bound, and there are no others (the usual case: no scan for extras)
            }
            List<String> extra = null;
            for (String k : params.keySet()) {
                if (!k.startsWith(WireProtocol.RESERVED_PREFIX) && !contains(names, k)) {
                    (extra == null ? extra = new ArrayList<>() : extra).add(k);
                }
            }
            if (missing != null || extra != null) {
                StringBuilder b = new StringBuilder();
                if (missing != null) {
                    b.append("missing parameter").append(missing.size() > 1 ? "s " : " ").append(String.join(", ", missing));
                }
                if (extra != null) {
                    b.append(b.length() > 0 ? "; " : "").append("unexpected parameter")
                            .append(extra.size() > 1 ? "s " : " ").append(String.join(", ", extra));
                }
                throw new DispatchError(b + " for " + signature(), null);
            }
            return args;
        }

        private JavaType type(int i) {
            JavaType[] t = types;
            if (t == null) {
                t = new JavaType[generic.length];
                for (int k = 0; k < t.length; k++) {
                    t[k] = Codec.typeOf(generic[k]);
                }
                types = t;
            }
            return t[i];
        }

        private Object convert(String name, Object value, int i) throws DispatchError {
            try {
                if (value != null && boxed[i].isInstance(value)
                        && (plain[i] || !(value instanceof java.util.Collection<?>
                                || value instanceof java.util.Map<?, ?>))) {
                    return value; // no generic container to check element types of: use it as it is
                }
                if (value == null && !raw[i].isPrimitive()) {
                    return null;
                }
                return Codec.convert(value, type(i));
            } catch (IllegalArgumentException e) {
                String got = value == null ? "null" : value.getClass().getSimpleName() + " " + MessageObject.show(value);
                throw new DispatchError("parameter '" + name + "' of " + signature() + " must be a "
                        + generic[i].getTypeName() + ", got " + got, e);
            }
        }

        private static boolean contains(String[] a, String k) {
            for (String s : a) {
                if (s.equals(k)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Calls the handler; an exception it raises comes out unwrapped. The
         * first calls go through reflection; a handler that {@link #switches}
         * then calls through a method handle of its own (made once, off the start
         * path: making it generates classes at run time, which a backend that
         * gets a few messages never pays for).
         */
        Object invoke(Object target, Object[] args) throws Throwable {
            MethodHandle h = handle;
            if (h != null) {
                return (Object) h.invokeExact(target, args);
            }
            if (switches && ++calls > REFLECTED_CALLS) {
                h = methodHandle();
                if (h != null) {
                    handle = h;
                    return (Object) h.invokeExact(target, args);
                }
                calls = Integer.MIN_VALUE; // it cannot be made: stay with reflection
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        /** Whether calls go through the handler's own method handle now (for the tests). */
        boolean callsThroughHandle() {
            return handle != null;
        }

        /**
         * The method as {@code (Object target, Object[] args) Object} (it was made
         * accessible), or null when no method handle can be made of it.
         */
        private MethodHandle methodHandle() {
            MethodHandle m;
            try {
                m = MethodHandles.lookup().unreflect(method);
            } catch (IllegalAccessException e) {
                return null;
            }
            int n = method.getParameterCount();
            MethodType generic = MethodType.methodType(Object.class, Object.class, Object[].class);
            if (n == 0) {
                return MethodHandles.dropArguments(m.asType(MethodType.methodType(Object.class, Object.class)), 1,
                        Object[].class);
            }
            return m.asSpreader(Object[].class, n).asType(generic);
        }
    }
}
