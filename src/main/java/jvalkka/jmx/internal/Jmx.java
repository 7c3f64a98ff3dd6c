package jvalkka.jmx.internal;

import java.lang.management.ManagementFactory;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers jvalkka's MBeans in the platform MBean server under unique names, and
 * unregisters them. Not part of the API. A failure to register is logged, never
 * thrown: watching a program must not stop it.
 *
 * <p>Registering does not create the platform MBean server: that costs a JVM
 * some 130 ms of CPU (and as much again compiling it), once, which a program
 * nobody watches should not pay. While no MBean server exists, the MBeans wait
 * here, and {@link LateRegistration}, named in
 * {@code javax.management.builder.initial} until the first server is made,
 * registers them in it as it is made: by {@code jconsole} or VisualVM attaching
 * (the JDK's management agent), a JMX agent, or a call of
 * {@code ManagementFactory.getPlatformMBeanServer()}. When that property names
 * another builder, or ours cannot be loaded by the system class loader or the
 * registering thread's context class loader (see {@link #awaitServer}), MBeans
 * are registered at once, creating the server, as before.
 *
 * <p>The remaining risk of the lazy way: while MBeans wait, a thread whose context
 * class loader does not see jvalkka and that did not register any (a container's
 * own thread) cannot make the platform server (the JDK fails to load the builder
 * through that loader). A program with such threads opts out with
 * {@code -Djavax.management.builder.initial=javax.management.MBeanServerBuilder}
 * (the JDK's own builder, which every loader finds): jvalkka's MBeans then go in
 * at once.
 */
public final class Jmx {
    /** The ObjectName domain of every jvalkka MBean. */
    public static final String DOMAIN = "jvalkka";
    /** Whether MBeans are registered at all ({@code -Djvalkka.jmx=false} turns it off). */
    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("jvalkka.jmx"));
    private static final Logger LOG = LoggerFactory.getLogger(Jmx.class);

    private Jmx() {
    }

    /**
     * Registers {@code impl} as an MXBean of interface {@code api} under
     * {@code jvalkka:type=TYPE[,KEY=VALUE...],name=NAME}, with {@code NAME-2}, {@code NAME-3}, ...
     * when the name is taken.
     *
     * @param <T> the MXBean interface
     * @param type the {@code type} key
     * @param name the {@code name} key (quoted when it holds characters an ObjectName does not allow)
     * @param api the MXBean interface
     * @param impl the object answering it
     * @param extra more key/value pairs, in pairs
     * @return the name registered, or {@code null} when registration is off or failed
     */
    public static <T> ObjectName register(String type, String name, Class<T> api, T impl, String... extra) {
        if (!ENABLED) {
            return null;
        }
        // never ask for the platform server while holding PENDING: its maker holds its lock while it calls
        // LateRegistration, which takes PENDING
        synchronized (PENDING) {
            if (server == null && MBeanServerFactory.findMBeanServer(null).isEmpty() && awaitServer()) {
                ObjectName on = pendingName(type, name, extra);
                if (on != null) {
                    PENDING.put(on, new Pending(type, name, api, impl));
                }
                return on;
            }
        }
        MBeanServer platform = ManagementFactory.getPlatformMBeanServer();
        synchronized (PENDING) {
            if (server == null) {
                server = platform; // made by another builder, or before ours was named: the waiting ones go in now
                registerPending(platform);
            }
        }
        return registerNow(platform, type, name, api, impl, extra);
    }

    /** An MBean waiting for the MBean server. */
    private record Pending(String type, String name, Class<?> api, Object impl) {
    }

    /** The MBeans waiting for the MBean server, by the names they will have; guards {@link #server}. */
    private static final Map<ObjectName, Pending> PENDING = new LinkedHashMap<>();
    private static final String BUILDER_PROPERTY = "javax.management.builder.initial";
    /** The MBean server our MBeans are in, once one exists. */
    private static MBeanServer server;

    /**
     * Whether MBeans may wait for the server: {@link LateRegistration} is named as the
     * builder (named now when the property is unset), and both the system class loader and
     * the calling thread's context class loader find it, as this very class. The JDK loads
     * the builder named in the property through the context class loader of the thread that
     * makes the server, and fails to make it (for the whole JVM, until a thread that can
     * load it tries) when that loader cannot: a thread of a web container or a plug-in host
     * whose loader does not see jvalkka would find its platform MBean server broken. A thread
     * with such a loader is most likely among those of the program that uses jvalkka, so its
     * MBeans are registered at once instead (creating the server).
     */
    private static boolean awaitServer() {
        String builder = System.getProperty(BUILDER_PROPERTY);
        if (builder != null && !builder.isEmpty()) {
            return builder.equals(LateRegistration.class.getName());
        }
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (!findsThisBuilder(ClassLoader.getSystemClassLoader()) || context != null && !findsThisBuilder(context)) {
            return false;
        }
        System.setProperty(BUILDER_PROPERTY, LateRegistration.class.getName());
        return true;
    }

    /** Whether {@code loader} loads {@link LateRegistration} as this class (not another copy, or none). */
    private static boolean findsThisBuilder(ClassLoader loader) {
        try {
            return Class.forName(LateRegistration.class.getName(), false, loader) == LateRegistration.class;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Called by {@link LateRegistration} as it makes an MBean server: the waiting MBeans go into it. */
    static void serverCreated(MBeanServer created) {
        synchronized (PENDING) {
            if (server != null) {
                return; // a second server: ours are in the first
            }
            server = created;
            if (LateRegistration.class.getName().equals(System.getProperty(BUILDER_PROPERTY))) {
                System.clearProperty(BUILDER_PROPERTY); // later servers are the JDK's plain ones
            }
            registerPending(created);
        }
    }

    private static void registerPending(MBeanServer into) {
        for (Map.Entry<ObjectName, Pending> e : PENDING.entrySet()) {
            Pending p = e.getValue();
            try {
                into.registerMBean(standardMBean(p), e.getKey());
            } catch (JMException | RuntimeException x) {
                LOG.warn("JMX: cannot register {} {}: {}", p.type(), p.name(), x.toString());
            }
        }
        PENDING.clear();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static StandardMBean standardMBean(Pending p) {
        return new StandardMBean(p.impl(), (Class) p.api(), true);
    }

    /** The first free name among the waiting ones, as {@link #registerNow} numbers names in a server. */
    private static ObjectName pendingName(String type, String name, String... extra) {
        try {
            for (int n = 1; n < 10_000; n++) {
                ObjectName on = objectName(type, n == 1 ? name : name + "-" + n, extra);
                if (!PENDING.containsKey(on)) {
                    return on;
                }
            }
            LOG.warn("JMX: no free name for {} {}", type, name);
        } catch (JMException | RuntimeException e) {
            LOG.warn("JMX: cannot register {} {}: {}", type, name, e.toString());
        }
        return null;
    }

    private static ObjectName objectName(String type, String name, String... extra) throws JMException {
        Hashtable<String, String> keys = new Hashtable<>();
        keys.put("type", value(type));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            keys.put(extra[i], value(extra[i + 1]));
        }
        keys.put("name", value(name));
        return new ObjectName(DOMAIN, keys);
    }

    private static <T> ObjectName registerNow(MBeanServer server, String type, String name, Class<T> api, T impl,
            String... extra) {
        try {
            StandardMBean bean = new StandardMBean(impl, api, true);
            for (int n = 1; n < 10_000; n++) {
                ObjectName on = objectName(type, n == 1 ? name : name + "-" + n, extra);
                try {
                    return server.registerMBean(bean, on).getObjectName();
                } catch (InstanceAlreadyExistsException taken) {
                    // another object of that name: try the next number
                }
            }
            LOG.warn("JMX: no free name for {} {}", type, name);
        } catch (JMException | RuntimeException e) {
            LOG.warn("JMX: cannot register {} {}: {}", type, name, e.toString());
        }
        return null;
    }

    /**
     * Unregisters {@code name} if it is registered; {@code null} does nothing.
     *
     * @param name what {@link #register} returned
     */
    public static void unregister(ObjectName name) {
        if (name == null) {
            return;
        }
        synchronized (PENDING) {
            if (PENDING.remove(name) != null || server == null && MBeanServerFactory.findMBeanServer(null).isEmpty()) {
                return; // it waited for a server and goes without one
            }
        }
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        } catch (InstanceNotFoundException gone) {
            // unregistered already
        } catch (JMException | RuntimeException e) {
            LOG.warn("JMX: cannot unregister {}: {}", name, e.toString());
        }
    }

    private static String value(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == ',' || c == '=' || c == ':' || c == '"' || c == '*' || c == '?' || c == '\n' || c == '\\') {
                return ObjectName.quote(v);
            }
        }
        return v.isEmpty() ? ObjectName.quote(v) : v;
    }
}
