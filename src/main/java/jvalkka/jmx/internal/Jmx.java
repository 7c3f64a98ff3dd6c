package jvalkka.jmx.internal;

import java.lang.management.ManagementFactory;
import java.util.Hashtable;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers jvalkka's MBeans in the platform MBean server under unique names, and
 * unregisters them. Not part of the API. A failure to register is logged, never
 * thrown: watching a program must not stop it.
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
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            StandardMBean bean = new StandardMBean(impl, api, true);
            for (int n = 1; n < 10_000; n++) {
                Hashtable<String, String> keys = new Hashtable<>();
                keys.put("type", value(type));
                for (int i = 0; i + 1 < extra.length; i += 2) {
                    keys.put(extra[i], value(extra[i + 1]));
                }
                keys.put("name", value(n == 1 ? name : name + "-" + n));
                ObjectName on = new ObjectName(DOMAIN, keys);
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
