package jvalkka.multiprocess;

import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.jsontype.PolymorphicTypeValidator;

/**
 * The classes a message may name while it is decoded: the deserialization
 * boundary of the process channels. A message carries the class of each value
 * that is not a string, number, boolean or null, and decoding builds an object
 * of that class; unchecked, a message could build any class on the class path
 * that has a public constructor and setters. So a class name in a message is
 * accepted only if it is
 * <ul>
 * <li>a documented value type: the boxed primitives, {@code String},
 * {@code BigInteger}, {@code BigDecimal}, {@code UUID}, the collections and maps
 * of {@code java.util} and {@code java.util.concurrent}, and arrays of allowed
 * types;</li>
 * <li>a type that a handler of a started or running process declares as a
 * parameter (with its type arguments, and the declared types of its fields,
 * recursively), a proxy interface's return type, a process queue function's
 * item and result types;</li>
 * <li>or allowed by {@link MessageObject#allowValueTypes} (the same closure).</li>
 * </ul>
 * Anything else is refused by its name, before its class is loaded, so not
 * even a static initializer runs. The list is per JVM and only grows.
 */
final class ValueTypes {
    private static final Set<String> ALLOWED = ConcurrentHashMap.newKeySet();
    private static final Set<Class<?>> WALKED = ConcurrentHashMap.newKeySet();

    static {
        for (Class<?> c : new Class<?>[] {Integer.class, Long.class, Double.class, Float.class, Short.class,
            Byte.class, Character.class, Boolean.class, String.class, Number.class, Object.class,
            java.math.BigInteger.class, java.math.BigDecimal.class, java.util.UUID.class}) {
            ALLOWED.add(c.getName());
        }
    }

    private ValueTypes() {
    }

    /** Allows {@code t}, its type arguments and its fields' declared types, recursively. */
    static void allow(Type t) {
        if (t instanceof Class<?> c) {
            allowClass(c);
        } else if (t instanceof ParameterizedType p) {
            allow(p.getRawType());
            for (Type a : p.getActualTypeArguments()) {
                allow(a);
            }
        } else if (t instanceof GenericArrayType g) {
            allow(g.getGenericComponentType());
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                allow(b);
            }
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                allow(b);
            }
        }
    }

    private static void allowClass(Class<?> c) {
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (c.isPrimitive() || !WALKED.add(c)) {
            return;
        }
        ALLOWED.add(c.getName());
        String n = c.getName();
        if (n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.") || n.startsWith("sun.")) {
            return; // a JDK class named by a handler is allowed itself; its private fields are not message values
        }
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !Modifier.isTransient(f.getModifiers())) {
                    allow(f.getGenericType());
                }
            }
        }
    }

    /** Whether a message may name the class {@code name} (a class name, arrays as {@code [I}, {@code [Lx;}). */
    static boolean isAllowedName(String name) {
        if (ALLOWED.contains(name)) {
            return true;
        }
        int dims = 0;
        while (dims < name.length() && name.charAt(dims) == '[') {
            dims++;
        }
        if (dims > 0) {
            String element = name.substring(dims);
            if (element.length() == 1) {
                return "ZBCSIJFD".contains(element);
            }
            return element.startsWith("L") && element.endsWith(";")
                    && isAllowedName(element.substring(1, element.length() - 1));
        }
        return false;
    }

    /** A JDK collection or map class name: decided once the (JDK, boot) class is loaded. */
    private static boolean isJdkCollectionPackage(String name) {
        String pkg = name.substring(0, Math.max(0, name.lastIndexOf('.')));
        return pkg.equals("java.util") || pkg.equals("java.util.concurrent");
    }

    /** The {@link PolymorphicTypeValidator} of the message codec. */
    static final class Validator extends PolymorphicTypeValidator.Base {
        private static final long serialVersionUID = 1L;

        @Override
        public Validity validateSubClassName(MapperConfig<?> config, JavaType baseType, String subClassName) {
            if (isAllowedName(subClassName)) {
                return Validity.ALLOWED;
            }
            // java.util's classes are loaded by the boot loader and are harmless to load; take them if they
            // are collections or maps (validateSubType), refuse everything else without loading it
            return isJdkCollectionPackage(subClassName) ? Validity.INDETERMINATE : Validity.DENIED;
        }

        @Override
        public Validity validateSubType(MapperConfig<?> config, JavaType baseType, JavaType subType) {
            Class<?> c = subType.getRawClass();
            boolean ok = c.getClassLoader() == null && isJdkCollectionPackage(c.getName())
                    && (Collection.class.isAssignableFrom(c) || Map.class.isAssignableFrom(c));
            return ok ? Validity.ALLOWED : Validity.DENIED;
        }
    }

    /** The message for a refused class name. */
    static String refusal(String className) {
        return "a message named the class " + className + ", which is not a value type a message may carry"
                + " (not decoded: only the documented value types, the handlers' parameter types and the types"
                + " given to MessageObject.allowValueTypes are built from a message)";
    }
}
