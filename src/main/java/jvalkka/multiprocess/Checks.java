package jvalkka.multiprocess;

/**
 * What {@code start()} checks about a process object before it launches a backend, so that a
 * mistake the backend could only report later (or not at all) fails at once with its fix.
 * Stateless.
 */
final class Checks {
    private Checks() {
    }

    /**
     * Fails when the handlers of {@code p}'s class cannot be dispatched: two handlers for one
     * command, or parameter names not compiled in (see {@link Dispatcher#requireParameterNames}).
     *
     * @throws BackendStartException saying what is wrong and how to fix it
     */
    static void beforeStart(MessageProcess p) {
        try {
            Dispatcher.requireParameterNames(p.getClass());
        } catch (IllegalStateException e) {
            throw new BackendStartException(p + " cannot start: " + e.getMessage(), e);
        }
    }

    /**
     * Fails when a method of a proxy interface has parameters whose names were not compiled in:
     * a call sends its arguments by parameter name.
     *
     * @throws IllegalArgumentException naming the interface, the methods and the compiler settings
     */
    static void proxyParameterNames(Class<?> api) {
        java.util.List<String> nameless = new java.util.ArrayList<>();
        for (java.lang.reflect.Method m : api.getMethods()) {
            if (m.getDeclaringClass() == Object.class || m.isDefault()
                    || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            for (java.lang.reflect.Parameter p : m.getParameters()) {
                if (!p.isNamePresent()) {
                    nameless.add(m.getName());
                    break;
                }
            }
        }
        if (!nameless.isEmpty()) {
            java.util.Collections.sort(nameless);
            throw new IllegalArgumentException(Dispatcher.missingNames(api, nameless)
                    .replace("bound to them by name", "sent under them by a proxy"));
        }
    }
}
