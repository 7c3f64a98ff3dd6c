package jvalkka.sgn.subprocess;

import jvalkka.internal.Serializability;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.sgn.Element;

/**
 * What the three {@code Parallelize*Element} classes share (composition, since each extends its
 * own SGN element class): the queues, the {@code terminated} event, the options, and the worker
 * once started. {@link ParallelizeElement}'s default methods are their API over it. Also the reflection that carries an element's fields to a worker JVM.
 */
final class ParallelState {
    static final int DEFAULT_QUEUE_MAXSIZE = 100;
    static final int DEFAULT_RING_BYTES = 8 << 20;

    final SwitchQueue inQueue;
    final SwitchQueue outQueue;
    final WorkerEvent terminated = new WorkerEvent();
    int queueMaxsize = DEFAULT_QUEUE_MAXSIZE;
    int ringBytes = DEFAULT_RING_BYTES;
    BackendOptions options;
    /** Set by the pipeline's thread at start; read by others (workerPid). */
    volatile Worker worker;

    ParallelState(String elementName) {
        inQueue = new SwitchQueue("inQueue of " + elementName);
        outQueue = new SwitchQueue("outQueue of " + elementName);
    }

    /** The state of {@code e} when it is a {@code Parallelize*Element}, else null. */
    static ParallelState of(Element e) {
        return e instanceof ParallelizeElement p ? of(p) : null;
    }

    static ParallelState of(ParallelizeElement e) {
        if (e instanceof ParallelizeSourceElement s) {
            return s.parallel;
        } else if (e instanceof ParallelizeTransformElement t) {
            return t.parallel;
        } else if (e instanceof ParallelizeSinkElement k) {
            return k.parallel;
        }
        return null;
    }

    static Boolean threadingOverride(Element e) {
        if (e instanceof ParallelizeSourceElement s) {
            return s.useThreadingOverride();
        } else if (e instanceof ParallelizeTransformElement t) {
            return t.useThreadingOverride();
        } else if (e instanceof ParallelizeSinkElement k) {
            return k.useThreadingOverride();
        }
        return null;
    }

    static void invoke(Element e, WorkerContext ctx) throws Exception {
        ((ParallelizeElement) e).workerProcess(ctx);
    }

    /**
     * What every {@code Parallelize*Element.internal()} checks (SGN's
     * {@code check_worker_terminated}): a worker that ended before its element reached EOS is a
     * failure, noticed even by a main side that does not touch its queues.
     *
     * @throws WorkerStoppedException caused by the worker's exception (null after an ordinary end)
     */
    void checkTerminated(ParallelizeElement e, boolean atEos) {
        if (terminated.isSet() && !atEos) {
            throw new WorkerStoppedException(e.workerException());
        }
    }

    /** The first library class above the user's classes: fields from there up stay behind. */
    private static Class<?> baseOf(Element e) {
        if (e instanceof ParallelizeSourceElement) {
            return ParallelizeSourceElement.class;
        } else if (e instanceof ParallelizeTransformElement) {
            return ParallelizeTransformElement.class;
        }
        return ParallelizeSinkElement.class;
    }

    void bind(Worker w) {
        worker = w;
        inQueue.bind(w.mainIn());
        outQueue.bind(w.mainOut());
    }

    // ------------------------------------------------------------ fields to a worker JVM

    /**
     * The element's own fields (those declared below the library class), by
     * {@code "declaringClass#field"}: they are the worker's parameters. Transient and static
     * fields stay behind. Fails naming the field when a value cannot be serialized.
     */
    static LinkedHashMap<String, Object> captureFields(Element e) {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        Class<?> base = baseOf(e);
        for (Class<?> c = e.getClass(); c != base; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isStatic(m) || Modifier.isTransient(m) || f.isSynthetic()) {
                    continue;
                }
                Object v;
                try {
                    f.setAccessible(true);
                    v = f.get(e);
                } catch (ReflectiveOperationException | RuntimeException x) {
                    throw new IllegalArgumentException("cannot read field " + c.getName() + "." + f.getName()
                            + " of element '" + e.name() + "' to pass it to its worker: " + x, x);
                }
                if (v != null) {
                    checkSerializable(e, c, f, v);
                }
                out.put(c.getName() + "#" + f.getName(), v);
            }
        }
        return out;
    }

    private static void checkSerializable(Element e, Class<?> c, Field f, Object v) {
        String why = Serializability.whyNot(v, c.getName() + "." + f.getName(),
                "Mark the field transient to keep it in the main process only (create the value in the worker)");
        if (why != null) {
            throw new IllegalArgumentException("element '" + e.name() + "': a field is a worker parameter, so its"
                    + " value must cross to the worker JVM: " + why);
        }
    }

    /**
     * In the worker JVM: an instance of {@code className} made without running a constructor (as
     * deserialization does: the pads and queues of the main side do not exist here), with the
     * captured fields and the element name set.
     */
    static Element restore(String className, String elementName, Map<String, Object> fields) throws Exception {
        Class<?> cls = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
        if (!Element.class.isAssignableFrom(cls)) {
            throw new IllegalArgumentException(className + " is not an element");
        }
        // as the serialization constructor does (no constructor of the element's classes runs), without
        // the accessor class that one makes in each JVM, which a worker's start waited for
        Element e = (Element) org.agrona.UnsafeAccess.UNSAFE.allocateInstance(cls);
        Field name = Element.class.getDeclaredField("name");
        name.setAccessible(true);
        name.set(e, elementName);
        for (Map.Entry<String, Object> f : fields.entrySet()) {
            String key = f.getKey();
            int hash = key.indexOf('#');
            Class<?> owner = Class.forName(key.substring(0, hash), false, cls.getClassLoader());
            Field field = owner.getDeclaredField(key.substring(hash + 1));
            field.setAccessible(true);
            field.set(e, f.getValue());
        }
        return e;
    }

    static List<String> names(List<ShmRef> refs) {
        List<String> out = new ArrayList<>();
        for (ShmRef r : refs) {
            out.add(r.name());
        }
        return out;
    }

    // ------------------------------------------------------------ main-side operations

    Worker requireWorker(String elementName) {
        Worker w = worker;
        if (w == null) {
            throw new IllegalStateException("element '" + elementName + "' has no worker: run the pipeline with"
                    + " pipeline.run() or inside try (Parallelize p = new Parallelize(pipeline)) { p.run(); }");
        }
        return w;
    }

    /** SGN's {@code sub_process_shutdown}: see the elements' Javadoc. */
    List<Object> shutdown(String elementName, double timeoutSeconds) {
        if (!(timeoutSeconds >= 0)) { // NaN too
            throw new IllegalArgumentException("subProcessShutdown(" + timeoutSeconds + "): the timeout is in seconds;"
                    + " 0 waits as long as it takes (as in SGN), and so does subProcessShutdown()");
        }
        Worker w = requireWorker(elementName);
        if (outQueue.isClosed()) {
            throw new IllegalStateException("subProcessShutdown of '" + elementName + "' was called already: its worker"
                    + " has ended; guard the call with if (!terminated.isSet())");
        }
        w.requestShutdown();
        boolean forever = timeoutSeconds == 0;
        long deadline = System.nanoTime() + (long) Math.min(timeoutSeconds * 1e9, Long.MAX_VALUE / 2);
        WorkerQueue out = w.mainOut();
        List<Object> rest = new ArrayList<>();
        while (true) {
            try {
                rest.add(out.get(0.01));
                continue;
            } catch (Empty e) {
                // nothing right now
            }
            if (w.control.terminated) {
                while (true) {
                    try {
                        rest.add(out.getNowait());
                    } catch (Empty e) {
                        break;
                    }
                }
                break;
            }
            if (!forever && System.nanoTime() - deadline > 0) {
                throw new RuntimeException("subProcessShutdown: the worker of '" + elementName
                        + "' did not finish its input within " + timeoutSeconds + " s");
            }
        }
        Throwable f = w.control.failure;
        if (f != null) {
            throw new WorkerStoppedException(f); // the queues stay as they are: they report the failure too
        }
        closeQueues(elementName, rest);
        w.requestStop();
        return rest;
    }

    /** As SGN sets its queues to None after sub_process_shutdown: later use fails, saying why and what to change. */
    private void closeQueues(String elementName, List<Object> rest) {
        boolean eos = false;
        for (Object o : rest) {
            eos |= o instanceof jvalkka.sgn.Frame f && f.isEOS();
        }
        inQueue.close("inQueue of '" + elementName + "' is closed: subProcessShutdown ended its worker, so nothing"
                + " would take this item. Put every item before calling subProcessShutdown (in a port from SGN: move"
                + " in_queue.put above sub_process_shutdown), and put nothing once the element is at EOS");
        outQueue.close("outQueue of '" + elementName + "' is closed: subProcessShutdown ended its worker and returned"
                + " the " + rest.size() + " item(s) still in this queue" + (eos ? ", the end-of-stream frame among them" : "")
                + "; nothing more will arrive here. Use the list subProcessShutdown returns (a transform hands those"
                + " frames out from newFrame), or call subProcessShutdown only after the end-of-stream frame has come"
                + " out of this queue");
    }
}
