package jvalkka.multiprocess;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JavaType;

import jvalkka.sync.internal.SendNotes;

/**
 * The typed views of {@link MessageProcess#proxy}: each interface method call becomes
 * {@code MessageObject(method, param=value...)}, sent as a call through the frontend half,
 * which gives the future of the handler's reply; a synchronous call waits for it here
 * and rethrows the backend's exception. Each method's call is planned once, when the
 * proxy is made (see {@link Plan}). Stateless.
 */
final class ProcessProxy {
    private static final int[] NO_INTS = new int[0];

    private ProcessProxy() {
    }

    /**
     * A proxy of {@code api} for {@code owner}'s backend.
     *
     * @param owner the process (the proxy's {@code toString} names it)
     * @param api the interface the backend's handlers implement
     * @param f the frontend half that carries the calls
     * @return the proxy
     * @throws IllegalArgumentException when {@code api} is not an interface, or its
     *         parameter names were not compiled in
     */
    @SuppressWarnings("unchecked")
    static <T> T of(MessageProcess owner, Class<T> api, Frontend f) {
        if (!api.isInterface()) {
            throw new IllegalArgumentException("proxy needs an interface, not " + api.getName());
        }
        Checks.proxyParameterNames(api);
        Map<Method, Plan> plans = new HashMap<>();
        for (Method m : api.getMethods()) {
            ValueTypes.allow(m.getGenericReturnType()); // the replies carry these
            if (!m.isDefault() && !Modifier.isStatic(m.getModifiers())) {
                plans.put(m, new Plan(m));
            }
        }
        Map<Method, Plan> byMethod = Map.copyOf(plans);
        return (T) Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (px, method, args) -> {
            Plan plan = byMethod.get(method); // built once per method: nothing is looked up per call
            if (plan == null) {
                return notACall(px, method, args, api, owner);
            }
            if (SendNotes.openOnThisThread()) {
                SendNotes.noteSend(NO_INTS, 0, true); // a message leaves: a SyncIndex open here waits
            }
            return plan.call(f, args);
        });
    }

    /** What a proxy method that is not a call does: Object's methods, and the interface's default methods. */
    private static Object notACall(Object px, Method method, Object[] args, Class<?> api, MessageProcess owner)
            throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "toString" -> "<proxy " + api.getSimpleName() + " of " + owner + ">";
                case "hashCode" -> System.identityHashCode(px);
                case "equals" -> px == args[0];
                default -> throw new UnsupportedOperationException(method.toString());
            };
        }
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(px, method, args);
        }
        throw new UnsupportedOperationException(method.toString());
    }

    /** How many call plans were built in this JVM (for the tests: one per method of a proxy, none per call). */
    static long plansBuilt() {
        return PLANS_BUILT.get();
    }

    private static final AtomicLong PLANS_BUILT = new AtomicLong();

    /**
     * One interface method as a call, worked out when the proxy is made: the
     * parameter names, whether the call is fire-and-forget ({@code void}),
     * asynchronous (a {@link CompletionStage}) or synchronous, and the type its
     * reply converts to. A call then only pairs names with arguments.
     */
    private static final class Plan {
        private final Method method;
        private final String command;
        private final String[] names;
        private final boolean oneWay;
        private final boolean async;
        private final JavaType valueType;

        Plan(Method method) {
            this.method = method;
            this.command = method.getName();
            Parameter[] ps = method.getParameters();
            this.names = new String[ps.length];
            for (int i = 0; i < ps.length; i++) {
                names[i] = ps[i].getName();
            }
            Class<?> rt = method.getReturnType();
            this.oneWay = rt == void.class;
            this.async = CompletionStage.class.isAssignableFrom(rt);
            this.valueType = oneWay ? null
                    : Codec.typeOf(async ? futureArgument(method.getGenericReturnType()) : method.getGenericReturnType());
            PLANS_BUILT.incrementAndGet();
        }

        /** A proxy call: fire-and-forget for void methods, otherwise waits for (or returns a future of) the reply. */
        Object call(Frontend f, Object[] args) throws Throwable {
            MessageObject m = toMessage(args);
            if (oneWay) {
                f.send(m);
                return null;
            }
            BackendReplies.Call reply = f.call(m, valueType, command, !async);
            if (async) {
                return reply;
            }
            try {
                return f.awaitReply(reply); // spins briefly for a quick reply before it parks
            } catch (ExecutionException e) {
                throw unwrapReply(f.label(), method, e.getCause());
            }
        }

        private MessageObject toMessage(Object[] args) {
            int n = names.length;
            if (n == 0) {
                return new MessageObject(command);
            }
            Object[] kv = new Object[n * 2];
            for (int i = 0; i < n; i++) {
                kv[2 * i] = names[i];
                kv[2 * i + 1] = args[i];
            }
            return new MessageObject(command, kv);
        }
    }

    /** The exception a synchronous proxy call throws for the backend's {@code t}. */
    private static Throwable unwrapReply(String label, Method method, Throwable t) {
        for (Class<?> declared : method.getExceptionTypes()) {
            if (declared.isInstance(t)) {
                return t;
            }
        }
        if (t instanceof RuntimeException || t instanceof Error) {
            t.addSuppressed(new CalledFrom(label + " proxy call " + method.getName()));
            return t;
        }
        return new BackendException(t.getClass().getName(), t.getMessage(), t);
    }

    /** Marks where the frontend made the call that failed in the backend. */
    static final class CalledFrom extends Exception {
        private static final long serialVersionUID = 1L;

        CalledFrom(String what) {
            super("called from the frontend: " + what);
        }
    }

    private static Type futureArgument(Type t) {
        return t instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
    }
}
