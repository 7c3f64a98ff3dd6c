package jvalkka.pool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;

/**
 * One worker of a {@link ProcessQueue}: a backend that applies the function to
 * each item of a {@code run} batch and answers with one {@code done} message.
 *
 * <p>Results go back on the internal channel ({@code return_out__}), not the
 * main one: the frontend drains that channel on its own thread, so a worker
 * never waits for the frontend while the frontend waits to send it the next
 * batch (with both on one channel, large items and results could deadlock the
 * two when both socket buffers fill).
 *
 * <p>An exception from the function fails that item only; the worker goes on.
 */
final class PoolWorker extends MessageProcess {
    private static final long serialVersionUID = 1L;

    static final String RUN = "run";
    static final String DONE = "done";
    static final String SYNC = "sync";
    static final String SYNCED = "synced";

    /** The function to run, or null when {@link #functionClass} names it. */
    private final SerializableFunction<Object, Object> function;
    /** A Function class with a no-argument constructor, instantiated in each worker. */
    private final String functionClass;

    private transient Function<Object, Object> fn;
    private transient Throwable initFailure;

    @SuppressWarnings("unchecked")
    PoolWorker(String name, SerializableFunction<?, ?> function, Class<?> functionClass) {
        super(name);
        this.function = (SerializableFunction<Object, Object>) function;
        this.functionClass = functionClass == null ? null : functionClass.getName();
        allowFunctionTypes(function, functionClass);
    }

    /**
     * Lets the messages carry the function's item and result types (a message names
     * the class of each value, and only allowed classes are decoded; see
     * {@link MessageObject#allowValueTypes}): from a lambda's or method reference's
     * signature, or from a function class's {@code apply}. Other classes (a subclass
     * of those) need {@code MessageObject.allowValueTypes} in both JVMs.
     */
    static void allowFunctionTypes(Object function, Class<?> functionClass) {
        try {
            if (function != null) {
                java.lang.reflect.Method wr = function.getClass().getDeclaredMethod("writeReplace");
                wr.setAccessible(true);
                if (wr.invoke(function) instanceof java.lang.invoke.SerializedLambda l) {
                    ClassLoader loader = function.getClass().getClassLoader();
                    java.lang.invoke.MethodType t = java.lang.invoke.MethodType.fromMethodDescriptorString(
                            l.getInstantiatedMethodType(), loader);
                    MessageObject.allowValueTypes(t.parameterArray());
                    MessageObject.allowValueTypes(t.returnType());
                    return;
                }
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError notALambda) {
            // a class that implements the function: its apply below
        }
        Class<?> c = functionClass != null ? functionClass : function == null ? null : function.getClass();
        if (c == null) {
            return;
        }
        for (java.lang.reflect.Method m : c.getMethods()) {
            if (m.getName().equals("apply") && m.getParameterCount() == 1 && !m.isBridge()) {
                MessageObject.allowValueTypes(m.getParameterTypes()[0], m.getReturnType());
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void preRun__() {
        if (function != null) {
            fn = function;
            allowFunctionTypes(function, null);
            return;
        }
        try {
            Constructor<?> c = Class.forName(functionClass).getDeclaredConstructor();
            allowFunctionTypes(null, c.getDeclaringClass());
            c.setAccessible(true);
            fn = (Function<Object, Object>) c.newInstance();
        } catch (InvocationTargetException e) {
            initFailure = e.getCause();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            initFailure = e;
        }
        if (initFailure != null) {
            // stay up and fail each item with the reason: dying would only get us replaced, again and again
            logger.error("cannot create the function {}: {}", functionClass, initFailure.toString(), initFailure);
        }
    }

    /**
     * Backend: runs the function over a batch; {@code ids} are the items'
     * positions, {@code seq} numbers the batch (echoed, so the frontend can tell
     * a batch this worker never decoded). A batch of {@linkplain Batches#simple simple}
     * items comes in {@link Batches}' compact form, and its answer goes back in it when
     * every value is simple too and no item failed.
     */
    void c__run(MessageObject m) {
        Batches.Decoded batch = Batches.read(m, "items");
        long seq = batch.seq();
        long[] ids = batch.ids();
        List<?> items = batch.values();
        List<Object> values = new ArrayList<>(ids.length);
        List<Map<String, Object>> errors = null;
        long t0 = System.nanoTime();
        for (int i = 0; i < ids.length; i++) {
            try {
                if (initFailure != null) {
                    throw new IllegalStateException("the worker could not create " + functionClass + ": "
                            + initFailure, initFailure);
                }
                values.add(fn.apply(items.get(i)));
            } catch (Throwable t) { // an Error in the function is the item's failure too
                values.add(null);
                if (errors == null) {
                    errors = new ArrayList<>();
                }
                errors.add(failure(i, ItemFailedException.Kind.THREW, t));
            }
        }
        long ns = System.nanoTime() - t0;
        if (errors == null && Batches.simple(values)) {
            return_out__(new MessageObject(DONE, Batches.PACKED, Batches.encode(seq, ids, ns, values)));
            return;
        }
        try {
            return_out__(new MessageObject(DONE, "seq", seq, "ids", ids, "values", values, "errors", errors,
                    "ns", ns));
        } catch (IllegalArgumentException e) {
            // some value cannot be encoded: send them one by one, to fail that item only
            for (int i = 0; i < ids.length; i++) {
                sendOne(seq, ids[i], values.get(i), errors, i);
            }
        }
    }

    /**
     * Backend: answers on the results channel after every batch sent before
     * this message. A batch this worker could not decode was dropped by the
     * core with an error report; this tells the frontend which ones never came.
     */
    void c__sync(long upTo) {
        return_out__(new MessageObject(SYNCED, "upTo", upTo));
    }

    private void sendOne(long seq, long id, Object value, List<Map<String, Object>> errors, int i) {
        List<Map<String, Object>> mine = null;
        if (errors != null) {
            for (Map<String, Object> e : errors) {
                if (((Number) e.get("pos")).intValue() == i) {
                    Map<String, Object> copy = new LinkedHashMap<>(e);
                    copy.put("pos", 0);
                    mine = new ArrayList<>(List.of(copy));
                }
            }
        }
        List<Object> one = new ArrayList<>(1);
        one.add(value);
        try {
            return_out__(new MessageObject(DONE, "seq", seq, "ids", new long[] {id}, "values", one, "errors", mine,
                    "ns", 0L));
        } catch (IllegalArgumentException e) {
            List<Object> none = new ArrayList<>(1);
            none.add(null);
            List<Map<String, Object>> why = new ArrayList<>(List.of(failure(0, ItemFailedException.Kind.NOT_SENDABLE,
                    new IllegalArgumentException("the result (" + (value == null ? "null" : value.getClass().getName())
                            + ") cannot be sent back from the worker: " + e.getMessage(), e))));
            return_out__(new MessageObject(DONE, "seq", seq, "ids", new long[] {id}, "values", none, "errors", why,
                    "ns", 0L));
        }
    }

    /** An item's failure as plain values: they always encode, whatever the exception holds. */
    static Map<String, Object> failure(int pos, ItemFailedException.Kind kind, Throwable t) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("pos", pos);
        e.put("kind", kind.name());
        e.put("type", t.getClass().getName());
        e.put("message", String.valueOf(t.getMessage()));
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        e.put("trace", w.toString());
        e.put("exception", serialize(t));
        return e;
    }

    /** The exception itself, for the frontend to rethrow as the cause; null when it does not serialize. */
    private static byte[] serialize(Throwable t) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(t);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return bytes.toByteArray();
    }
}
