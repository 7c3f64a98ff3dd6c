package jvalkka.multiprocess;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Proxy;

import jvalkka.sync.internal.SendNotes;

/**
 * The typed views of {@link MessageProcess#proxy}: each interface method call becomes
 * {@code MessageObject(method, param=value...)}, sent as a call through the frontend half,
 * which waits for the handler's reply. Stateless.
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
            return f.call(method, toMessage(method, args));
        });
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
