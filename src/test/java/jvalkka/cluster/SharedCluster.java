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
 * JVMs for each class cost ~15 s a class on a loaded 2-core machine. A class is
 * skipped where no test hosts can be made.
 */
public final class SharedCluster implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SharedCluster.class);
    private static volatile TestCluster current;

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
            h.cluster().openDriver();
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
