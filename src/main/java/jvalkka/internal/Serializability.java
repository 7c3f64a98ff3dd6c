package jvalkka.internal;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Why an object cannot be serialized to another JVM (a process object to its backend, an SGN
 * element's fields to its worker), in words that name the value's path and the fix that applies
 * to what it is. Java's {@code NotSerializableException} names only a class, and for an inner
 * class that class is the enclosing one, reached through a field ({@code this$0}) that the
 * program never declared and cannot mark {@code transient}. Recognised:
 * <ul>
 * <li>an inner (non-static) class or an anonymous class, whose hidden reference to its enclosing
 *     instance does not serialize: make the class static (or top-level);</li>
 * <li>a local or anonymous class that captures a local variable that does not serialize;</li>
 * <li>a lambda whose functional interface is not {@code Serializable}, and a serializable lambda
 *     that captures a value (or the enclosing {@code this}) that is not;</li>
 * <li>a record that is not {@code Serializable}, and a component of a serializable record that
 *     is not;</li>
 * <li>any other field: mark it {@code transient} and create the value where it is used, or make
 *     its class {@code Serializable}.</li>
 * </ul>
 * Stateless; reads fields by reflection and does not change the object.
 */
public final class Serializability {
    private Serializability() {
    }

    /**
     * Why {@code value} cannot be serialized, or {@code null} when Java serialization writes it.
     *
     * @param value the object to check
     * @param label how the message names {@code value} (e.g. {@code "MyProcess"} or
     *     {@code "field com.acme.MyElement.model"}); field paths are appended to it
     * @param transientAdvice what to advise for a plain field that cannot cross, as a sentence
     *     without its full stop, e.g. {@code "Mark the field transient and create it in preRun__"}
     * @return {@code null} when {@code value} is null or serializes; otherwise one message that
     *     starts with {@code label} (and the path below it) and ends with the fix
     */
    public static String whyNot(Object value, String label, String transientAdvice) {
        if (value == null) {
            return null;
        }
        String found = walk(value, label, null, null, new IdentityHashMap<>(), 0, transientAdvice);
        if (found != null) {
            return found;
        }
        try (ObjectOutputStream out = new ObjectOutputStream(OutputStream.nullOutputStream())) {
            out.writeObject(value);
            return null;
        } catch (IOException | RuntimeException e) {
            return label + " cannot be serialized: " + e;
        }
    }

    /**
     * Why a process object cannot cross to its backend, after serializing it failed with
     * {@code e}: the path of the value and the fix, or (when no value is to blame) the failure.
     */
    public static String startError(Object owner, Exception e) {
        String why = walk(owner, shortName(owner.getClass()), null, null, new IdentityHashMap<>(), 0,
                "Mark the field transient and create it in preRun__ (backend)");
        return why != null ? why : "serializing it failed: " + e;
    }

    /** The simple name of a class as a programmer wrote it; the binary name when it has none. */
    static String shortName(Class<?> c) {
        if (isLambda(c)) {
            return "a lambda in " + lambdaHome(c);
        }
        String s = c.getSimpleName();
        return s.isEmpty() ? c.getName() : s;
    }

    private static boolean isLambda(Class<?> c) {
        return c.isSynthetic() && c.getName().contains("$$Lambda");
    }

    /** The class whose code defines a lambda class. */
    private static String lambdaHome(Class<?> c) {
        String n = c.getName();
        return n.substring(0, n.indexOf("$$Lambda"));
    }

    private static boolean isInner(Class<?> c) {
        return (c.isMemberClass() || c.isLocalClass() || c.isAnonymousClass())
                && !Modifier.isStatic(c.getModifiers());
    }

    private static String kindOf(Class<?> c) {
        if (c.isAnonymousClass()) {
            return "an anonymous class";
        }
        if (c.isLocalClass()) {
            return "a local class";
        }
        return "an inner (non-static) class";
    }

    /**
     * The first value below {@code o} that does not serialize, explained; {@code holder} and
     * {@code field} are where {@code o} was found (null for the root).
     */
    private static String walk(Object o, String path, Object holder, Field field, Map<Object, Boolean> seen,
            int depth, String transientAdvice) {
        if (o == null || depth > 32 || seen.put(o, Boolean.TRUE) != null) {
            return null;
        }
        Class<?> c = o.getClass();
        if (!(o instanceof Serializable)) {
            return explain(o, path, holder, field, transientAdvice);
        }
        if (c.isArray()) {
            if (c.getComponentType().isPrimitive()) {
                return null;
            }
            for (int i = 0; i < Array.getLength(o); i++) {
                String p = walk(Array.get(o, i), path + "[" + i + "]", null, null, seen, depth + 1, transientAdvice);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (o instanceof Collection<?> col) {
            int i = 0;
            for (Object e : col) {
                String p = walk(e, path + "[" + i++ + "]", null, null, seen, depth + 1, transientAdvice);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (o instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String p = walk(e.getKey(), path + ".key(" + e.getKey() + ")", null, null, seen, depth + 1,
                        transientAdvice);
                if (p == null) {
                    p = walk(e.getValue(), path + "[" + e.getKey() + "]", null, null, seen, depth + 1, transientAdvice);
                }
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (c.getName().startsWith("java.") || hasOwnSerialForm(c)) {
            return null; // its own writeObject/writeReplace decides what it writes
        }
        return FieldWalker.walk(o, (k, f, v) -> walk(v, path + "." + f.getName(), o, f, seen, depth + 1,
                transientAdvice));
    }

    /** A class that writes itself another way than its fields (its fields need not serialize). */
    private static boolean hasOwnSerialForm(Class<?> c) {
        if (isLambda(c)) {
            return false; // a serializable lambda writes its captured values: walk them
        }
        if (java.io.Externalizable.class.isAssignableFrom(c)) {
            return true;
        }
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            for (java.lang.reflect.Method d : k.getDeclaredMethods()) {
                if ((d.getName().equals("writeObject") || d.getName().equals("writeReplace")) && !d.isSynthetic()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String explain(Object o, String path, Object holder, Field field, String transientAdvice) {
        Class<?> c = o.getClass();
        String what = c.getName();
        if (holder != null && field != null && field.isSynthetic() && field.getName().startsWith("this$")) {
            Class<?> inner = holder.getClass();
            return path.substring(0, path.length() - field.getName().length() - 1) + " is " + kindOf(inner)
                    + " (" + inner.getName() + "): it holds a hidden reference (" + field.getName()
                    + ") to the enclosing " + what + " instance, which is not Serializable and cannot be marked "
                    + "transient. Make the class static (or top-level)"
                    + (inner.isAnonymousClass() || inner.isLocalClass() ? ": declare it as a static nested class "
                            + "instead of an anonymous or local one" : "");
        }
        if (holder != null && field != null && field.isSynthetic() && field.getName().startsWith("val$")) {
            return path + " is the local variable '" + field.getName().substring(4) + "' (a " + what + ") that "
                    + kindOf(holder.getClass()) + " (" + holder.getClass().getName() + ") captures; it is not "
                    + "Serializable. Do not capture it (create the value where it is used), or make "
                    + shortName(c) + " Serializable";
        }
        if (holder != null && isLambda(holder.getClass())) {
            String home = lambdaHome(holder.getClass());
            if (c.getName().equals(home)) {
                return path + ": a lambda in " + home + " uses 'this' (a field or method of " + shortName(c)
                        + "), so it captures the enclosing " + what + " instance, which is not Serializable. Let "
                        + "the lambda use only local copies of what it needs, or write it as a static nested class";
            }
            return path + ": a lambda in " + home + " captures a " + what + ", which is not Serializable. Capture "
                    + "only Serializable values, or make " + shortName(c) + " Serializable";
        }
        if (isLambda(c)) {
            Class<?>[] ifaces = c.getInterfaces();
            String iface = ifaces.length > 0 ? ifaces[0].getName() : "its functional interface";
            return path + " is a lambda (defined in " + lambdaHome(c) + ") whose interface " + iface
                    + " is not Serializable, so it cannot cross. Make it Serializable where it is written: "
                    + "(" + (ifaces.length > 0 ? ifaces[0].getSimpleName() : "Interface")
                    + " & java.io.Serializable) (...) -> ..., or declare the field with an interface that extends "
                    + "Serializable, or use a static nested class that implements it";
        }
        if (c.isRecord()) {
            String at = holder != null && holder.getClass().isRecord() && field != null
                    ? " (component '" + field.getName() + "' of record " + holder.getClass().getName() + ")" : "";
            return path + at + " is a record " + what + " that is not Serializable: declare it "
                    + "'record " + shortName(c) + "(...) implements java.io.Serializable' (its components must be "
                    + "Serializable too)";
        }
        if (holder != null && holder.getClass().isRecord() && field != null) {
            return path + ": component '" + field.getName() + "' of record " + holder.getClass().getName()
                    + " is a " + what + ", which is not Serializable: make " + shortName(c)
                    + " Serializable, or leave the value out of the record";
        }
        if (c.isAnonymousClass() || c.isLocalClass()) {
            return path + " is " + kindOf(c) + " (" + what + ") that is not Serializable. Use a static nested "
                    + "(or top-level) class that implements java.io.Serializable, or " + lower(transientAdvice);
        }
        return (holder != null ? "field " : "") + path + " (a " + what + ") cannot cross: it is not Serializable. "
                + transientAdvice + ", or make its class Serializable" + (isInner(c) ? " and static (or top-level)" : "");
    }

    private static String lower(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
