package jvalkka.multiprocess;

import java.io.Serializable;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Finds the field that stops an object from being serialized, so that
 * {@code start()} can name it ("MyProcess.model, a com.acme.Model") instead of
 * only the class that Java's {@code NotSerializableException} names.
 */
final class FieldPath {
    private FieldPath() {
    }

    /** The path to the first value that is not {@link Serializable}, or {@code null}. */
    static String findUnserializable(Object root) {
        return walk(root, root.getClass().getSimpleName(), new IdentityHashMap<>(), 0);
    }

    private static String walk(Object o, String path, Map<Object, Boolean> seen, int depth) {
        if (o == null || depth > 32 || seen.put(o, Boolean.TRUE) != null) {
            return null;
        }
        Class<?> c = o.getClass();
        if (!(o instanceof Serializable)) {
            return path + " (a " + c.getName() + ")";
        }
        if (c.isArray()) {
            if (c.getComponentType().isPrimitive()) {
                return null;
            }
            for (int i = 0; i < Array.getLength(o); i++) {
                String p = walk(Array.get(o, i), path + "[" + i + "]", seen, depth + 1);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (o instanceof Collection<?> col) {
            int i = 0;
            for (Object e : col) {
                String p = walk(e, path + "[" + i++ + "]", seen, depth + 1);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (o instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String p = walk(e.getKey(), path + ".key(" + e.getKey() + ")", seen, depth + 1);
                if (p == null) {
                    p = walk(e.getValue(), path + "[" + e.getKey() + "]", seen, depth + 1);
                }
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        if (c.getName().startsWith("java.")) {
            return null;
        }
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
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
                String p = walk(v, path + "." + f.getName(), seen, depth + 1);
                if (p != null) {
                    return p;
                }
            }
        }
        return null;
    }
}
