package jvalkka.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * The fields of an object that Java serialization writes by default, and that
 * may lead to other objects: its non-static, non-transient fields of a reference
 * type, declared by its class and every superclass up to {@code Object}. One
 * walk serves each reader of an object graph ({@link Serializability} looking for
 * what does not serialize, the remote launch looking for the field that holds
 * shared memory); each decides how to go on from a field's value. Reads by
 * reflection and changes nothing; a field it cannot read (a class of a module
 * that does not open it) is passed over.
 */
public final class FieldWalker {
    private FieldWalker() {
    }

    /** What a walk does with one field's value. */
    @FunctionalInterface
    public interface Visitor<R> {
        /**
         * Visits one field's value.
         *
         * @param declaring the class that declares the field
         * @param field the field
         * @param value its value in the walked object (may be null)
         * @return null to go on with the next field, else the walk's result
         */
        R visit(Class<?> declaring, Field field, Object value);
    }

    /**
     * Visits {@code o}'s fields (see the class comment), its own class's first,
     * until a visit returns a result.
     *
     * @param o the object
     * @param visitor what to do with each field's value
     * @return the first non-null result of a visit, or null
     */
    public static <R> R walk(Object o, Visitor<R> visitor) {
        for (Class<?> k = o.getClass(); k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                int mod = f.getModifiers();
                if (Modifier.isStatic(mod) || Modifier.isTransient(mod) || f.getType().isPrimitive()) {
                    continue;
                }
                Object v;
                try {
                    f.setAccessible(true);
                    v = f.get(o);
                } catch (RuntimeException | IllegalAccessException e) {
                    continue;
                }
                R r = visitor.visit(k, f, v);
                if (r != null) {
                    return r;
                }
            }
        }
        return null;
    }
}
