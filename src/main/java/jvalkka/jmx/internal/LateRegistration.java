package jvalkka.jmx.internal;

import javax.management.MBeanServer;
import javax.management.MBeanServerBuilder;
import javax.management.MBeanServerDelegate;

/**
 * The MBean server builder that {@link Jmx} names in
 * {@code javax.management.builder.initial} while its MBeans wait for the
 * platform MBean server: it builds the JDK's own server, as the default builder
 * does, and when it is the platform MBean server, registers the waiting MBeans in
 * it before anyone else sees it. Not
 * part of the API; public only because the JDK instantiates it by name.
 */
public final class LateRegistration extends MBeanServerBuilder {
    /** Made by the JDK's {@code MBeanServerFactory}. */
    public LateRegistration() {
    }

    @Override
    public MBeanServer newMBeanServer(String defaultDomain, MBeanServer outer, MBeanServerDelegate delegate) {
        MBeanServer server = super.newMBeanServer(defaultDomain, outer, delegate);
        boolean platform = StackWalker.getInstance().walk(
                frames -> frames.anyMatch(f -> f.getClassName().equals("java.lang.management.ManagementFactory")));
        if (platform) { // another server (MBeanServerFactory.createMBeanServer) gets none of ours
            Jmx.serverCreated(outer != null ? outer : server);
        }
        return server;
    }
}
