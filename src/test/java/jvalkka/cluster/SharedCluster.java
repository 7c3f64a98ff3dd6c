package jvalkka.cluster;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import jvalkka.testing.NetHosts;

/**
 * One {@link TestCluster} of three agents for every cluster test class of this test
 * JVM ({@code @ExtendWith(SharedCluster.class)}, then {@link #get()} in
 * {@code @BeforeAll}): the hosts and agents start once, with the first such class,
 * and stop when the test run ends (a resource of the root extension context, whose
 * close also checks that nothing is left); each class gets a driver of its own and
 * has its own leftovers checked when it ends ({@link TestCluster#endClass}), which
 * also replaces the agents it killed or cut off. Starting the hosts and three agent
 * JVMs for each class cost ~15 s a class on a quiet 2-core machine, ~35 s on a
 * loaded one. Where the shared agents do not all come back within 40 s (or one
 * ends), the class starts a new cluster, as every class did before. A class is
 * skipped where no test hosts can be made.
 */
public final class SharedCluster implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SharedCluster.class);
    private static volatile TestCluster current;
    /** How long the next class waits for the shared cluster's agents before it starts a new cluster. */
    private static final java.time.Duration REJOIN = java.time.Duration.ofSeconds(40);

    /** The running class's cluster, its driver open and seeing every agent. */
    public static TestCluster get() {
        TestCluster c = current;
        if (c == null) {
            throw new IllegalStateException("no shared cluster: annotate the class @ExtendWith(SharedCluster.class)");
        }
        return c;
    }

    /** Closes the shared cluster at the end of the run, checking that nothing is left. */
    private record Holder(TestCluster cluster) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() throws Throwable {
            try {
                cluster.close();
            } catch (Throwable t) {
                t.printStackTrace(); // the end of the run reports it less visibly than a class does
                throw t;
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        String why = NetHosts.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
        ExtensionContext.Store root = context.getRoot().getStore(NS);
        Holder h = root.get(Holder.class, Holder.class);
        if (h == null) {
            TestCluster c = TestCluster.start(3);
            Assumptions.assumeTrue(c != null, NetHosts.unavailableReason());
            h = new Holder(c);
            root.put(Holder.class, h);
            current = c;
        } else {
            current = h.cluster();
            try {
                if (h.cluster().broken()) {
                    throw new AssertionError("the agents lost in the last class did not come back");
                }
                h.cluster().openDriver(REJOIN);
            } catch (AssertionError e) {
                // a loaded machine can make the membership flap at a class change (a driver leaving, agents
                // restarting, a driver joining) until the split-brain resolver downs every member: start anew
                System.out.println("the shared cluster did not come back; starting a new one: "
                        + e.getMessage().lines().findFirst().orElse(""));
                current = null;
                root.remove(Holder.class);
                h.cluster().close(); // and checks that the old one left nothing
                TestCluster c = TestCluster.start(3);
                Assumptions.assumeTrue(c != null, NetHosts.unavailableReason());
                root.put(Holder.class, new Holder(c));
                current = c;
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        TestCluster c = current;
        current = null;
        if (c != null) {
            c.endClass();
        }
    }
}
