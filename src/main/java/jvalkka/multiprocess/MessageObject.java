package jvalkka.multiprocess;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A command and named parameters: what travels between a {@link MessageProcess}'s
 * frontend and backend. {@code new MessageObject("ping", "parameter", x)} arriving
 * in the backend calls {@code c__ping(parameter)}.
 *
 * <p>Parameter values may be {@code null}, boxed primitives, strings, primitive
 * arrays, lists, maps, enums, records and POJOs that Jackson can serialize; each
 * arrives with its own type. A message names the class of each value, and the
 * receiving JVM builds only classes it allows: the boxed primitives,
 * {@code String}, {@code BigInteger}, {@code BigDecimal}, {@code UUID}, the
 * collections and maps of {@code java.util}, arrays of these, the parameter types
 * of the process's {@code c__} handlers (with their fields' types), the return
 * types of a proxy interface, and what {@link #allowValueTypes} adds. A message
 * naming any other class is refused, not decoded, and reported as an error.
 * Immutable and thread-safe (the values themselves are shared, not copied, until
 * the message is encoded).
 */
public final class MessageObject {
    private final String command;
    private final Map<String, Object> parameters;
    /** The proxy call this message is (a CALL frame) or answers (a REPLY frame); 0 for a plain message. */
    private final long callId;

    /**
     * @param command the command: the backend runs {@code c__<command>}
     * @param keyValues parameter names and values, alternating: {@code "a", 1, "b", 2}
     */
    public MessageObject(String command, Object... keyValues) {
        this.command = requireCommand(command);
        this.callId = 0;
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("MessageObject(\"" + command
                    + "\", ...): parameters come in name/value pairs, got an odd count " + keyValues.length);
        }
        if (keyValues.length == 0) {
            this.parameters = Map.of();
            return;
        }
        LinkedHashMap<String, Object> p = new LinkedHashMap<>(keyValues.length);
        for (int i = 0; i < keyValues.length; i += 2) {
            if (!(keyValues[i] instanceof String key)) {
                throw new IllegalArgumentException("MessageObject(\"" + command + "\", ...): parameter name at position "
                        + i + " must be a String, got " + keyValues[i]);
            }
            if (p.containsKey(key)) {
                throw new IllegalArgumentException("MessageObject(\"" + command + "\", ...): parameter '" + key
                        + "' given twice");
            }
            p.put(key, keyValues[i + 1]);
        }
        this.parameters = Collections.unmodifiableMap(p);
    }

    /**
     * A message with the given parameters (copied; insertion order kept).
     *
     * @param command the command (valkka's {@code msg()})
     * @param parameters the parameters, in the map's order
     */
    public MessageObject(String command, Map<String, ?> parameters) {
        this.command = requireCommand(command);
        this.callId = 0;
        this.parameters = parameters.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * Allows messages decoded in this JVM to carry values of these classes (and of
     * their fields' declared types, recursively), beyond the handlers' parameter
     * types, which are allowed already: a result class that a backend sends up, a
     * subclass of a declared parameter type. Call it in both JVMs, for example in a
     * {@code static} initializer of your process class (it runs in the backend too,
     * when the class loads there).
     *
     * @param types the classes to allow
     */
    public static void allowValueTypes(Class<?>... types) {
        for (Class<?> t : types) {
            ValueTypes.allow(t);
        }
    }

    /**
     * Whether values of the class named {@code className} may be decoded in this JVM: a
     * documented value type, a handler's parameter type (of a started or running process, with
     * its fields' declared types), or one given to {@link #allowValueTypes}. Decided by the name
     * alone: the class is not loaded. The process-mode queues of {@code jvalkka.sgn} check the
     * class names they decode with it too.
     *
     * @param className a class name as {@link Class#getName()} gives it (arrays as {@code [I}, {@code [Lx;})
     * @return whether it is allowed
     */
    public static boolean allowsValueType(String className) {
        return ValueTypes.isAllowedName(className);
    }

    /** Wraps a fresh map the caller will not touch again (the decoder). */
    static MessageObject trusted(String command, LinkedHashMap<String, Object> parameters) {
        return new MessageObject(command, Collections.unmodifiableMap(parameters), true);
    }

    private MessageObject(String command, Map<String, Object> parameters, boolean trusted) {
        this(command, parameters, 0L);
    }

    private MessageObject(String command, Map<String, Object> parameters, long callId) {
        this.command = command;
        this.parameters = parameters;
        this.callId = callId;
    }

    /** This message as the call (or the reply) {@code id}: see {@link WireProtocol#replyId}. */
    MessageObject withCallId(long id) {
        return new MessageObject(command, parameters, id);
    }

    /** See {@link WireProtocol#replyId}. */
    long callId() {
        return callId;
    }

    private static String requireCommand(String command) {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("a MessageObject needs a non-empty command");
        }
        return command;
    }

    /**
     * The command (valkka's {@code msg()}).
     *
     * @return the command (valkka's {@code msg()})
     */
    public String command() {
        return command;
    }

    /**
     * The value of a parameter, or {@code null} when absent (valkka's {@code msg["key"]}).
     *
     * @param key the key
     * @return the value of a parameter, or {@code null} when absent (valkka's {@code msg["key"]})
     */
    public Object get(String key) {
        return parameters.get(key);
    }

    /**
     * The value of a parameter as {@code type}: the value itself when it already is
     * one, otherwise converted with Jackson (a {@code List} to an {@code int[]}, a
     * {@code Long} to an {@code Integer}, a map to a record...).
     *
     * @throws IllegalArgumentException when the value cannot be converted
     * @param <T> the type of the items
     * @param key the key
     * @param type the type
     * @return the value of a parameter as {@code type}: the value itself when it already is one, otherwise converted with Jackson (a {@code List} to an {@code int[]}, a {@code Long} to an {@code Integer}, a map to a record...)
     */
    public <T> T get(String key, Class<T> type) {
        Object v = parameters.get(key);
        try {
            return Codec.convert(v, type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("parameter '" + key + "' of " + this + " is not a "
                    + type.getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the parameter is present (possibly with a {@code null} value).
     *
     * @param key the key
     * @return whether the parameter is present (possibly with a {@code null} value)
     */
    public boolean has(String key) {
        return parameters.containsKey(key);
    }

    /**
     * The parameters, read-only, in the order given.
     *
     * @return the parameters, read-only, in the order given
     */
    public Map<String, Object> parameters() {
        return parameters;
    }

    /** {@code <MessageObject: ping: {parameter=gotcha!}>}, like valkka's. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("<MessageObject: ").append(command).append(": ");
        return appendParameters(b).append('>').toString();
    }

    /** Appends the parameters as {@code toString} shows them: {@code {a=1, b=[1, 2]}}. */
    StringBuilder appendParameters(StringBuilder b) {
        b.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : parameters.entrySet()) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            b.append(e.getKey()).append('=').append(show(e.getValue()));
        }
        return b.append('}');
    }

    static String show(Object v) {
        if (v instanceof Object[] a) {
            return Arrays.deepToString(a);
        } else if (v instanceof int[] a) {
            return Arrays.toString(a);
        } else if (v instanceof long[] a) {
            return Arrays.toString(a);
        } else if (v instanceof double[] a) {
            return Arrays.toString(a);
        } else if (v instanceof float[] a) {
            return Arrays.toString(a);
        } else if (v instanceof byte[] a) {
            return a.length <= 16 ? Arrays.toString(a) : "byte[" + a.length + "]";
        } else if (v instanceof short[] a) {
            return Arrays.toString(a);
        } else if (v instanceof char[] a) {
            return Arrays.toString(a);
        } else if (v instanceof boolean[] a) {
            return Arrays.toString(a);
        }
        return String.valueOf(v);
    }

    /** Equal command and equal parameters (arrays compared by content). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MessageObject m) || !command.equals(m.command)
                || !parameters.keySet().equals(m.parameters.keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> e : parameters.entrySet()) {
            if (!Objects.deepEquals(e.getValue(), m.parameters.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return command.hashCode() * 31 + parameters.keySet().hashCode();
    }
}
