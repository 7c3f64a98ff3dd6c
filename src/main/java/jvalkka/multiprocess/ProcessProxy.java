package jvalkka.multiprocess;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import jvalkka.sync.internal.SendNotes;

/**
 * The typed views of {@link MessageProcess#proxy}: each interface method call becomes
 * {@code MessageObject(method, param=value...)}, sent as a call through the frontend half,
 * which gives the future of the handler's reply; a synchronous call waits for it here
 * and rethrows the backend's exception. Stateless.
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
        for (Method m : api.getMethods()) {
            ValueTypes.allow(m.getGenericReturnType()); // the replies carry these
        }
        return (T) Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (px, method, args) -> {
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
            if (SendNotes.openOnThisThread()) {
                SendNotes.noteSend(NO_INTS, 0, true); // a message leaves: a SyncIndex open here waits
            }
            return call(f, method, toMessage(method, args));
        });
    }

    /** A proxy call: fire-and-forget for void methods, otherwise waits for (or returns a future of) the reply. */
    private static Object call(Frontend f, Method method, MessageObject m) throws Throwable {
        Class<?> rt = method.getReturnType();
        if (rt == void.class) {
            f.send(m);
            return null;
        }
        boolean async = CompletionStage.class.isAssignableFrom(rt);
        Type valueType = async ? futureArgument(method.getGenericReturnType()) : method.getGenericReturnType();
        CompletableFuture<Object> reply = f.call(m, Codec.typeOf(valueType), method.getName(), !async);
        if (async) {
            return reply;
        }
        try {
            return f.awaitReply(reply); // spins briefly for a quick reply before it parks
        } catch (ExecutionException e) {
            throw unwrapReply(f.label(), method, e.getCause());
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

    private static MessageObject toMessage(Method method, Object[] args) {
        Parameter[] ps = method.getParameters();
        Object[] kv = new Object[ps.length * 2];
        for (int i = 0; i < ps.length; i++) {
            kv[2 * i] = ps[i].getName();
            kv[2 * i + 1] = args[i];
        }
        return new MessageObject(method.getName(), kv);
    }
}
