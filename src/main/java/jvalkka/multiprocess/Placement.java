package jvalkka.multiprocess;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where on a cluster a backend runs ({@link BackendOptions#withPlacement}): on a
 * named node, on any node that carries some labels, or on any node. A node agent
 * ({@code scripts/node --name NAME --label key=value}) advertises its name and
 * labels; the driver ({@code jvalkka.cluster.ClusterDriver}) picks, among the
 * nodes that match, the one with the fewest backends it placed per core.
 *
 * <p>Immutable; {@link #equals} compares the node name and labels.
 */
public final class Placement {
    private static final Placement ANY = new Placement(null, Map.of());

    private final String node;
    private final Map<String, String> labels;

    private Placement(String node, Map<String, String> labels) {
        this.node = node;
        this.labels = labels;
    }

    /**
     * Any node of the cluster.
     *
     * @return the placement that every node matches
     */
    public static Placement any() {
        return ANY;
    }

    /**
     * The node whose agent was started with this name ({@code scripts/node --name}).
     *
     * @param name the node's name
     * @return a placement on that node only
     */
    public static Placement node(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a node name must not be empty");
        }
        return new Placement(name, Map.of());
    }

    /**
     * Any node whose agent advertises {@code key=value} ({@code scripts/node --label key=value}).
     *
     * @param key the label's key
     * @param value the label's value
     * @return a placement on the nodes with that label
     */
    public static Placement label(String key, String value) {
        return ANY.andLabel(key, value);
    }

    /**
     * This placement, further restricted to nodes that also carry {@code key=value}.
     *
     * @param key the label's key
     * @param value the label's value
     * @return the narrower placement
     */
    public Placement andLabel(String key, String value) {
        if (key == null || key.isBlank() || value == null) {
            throw new IllegalArgumentException("a label needs a key and a value, got " + key + "=" + value);
        }
        TreeMap<String, String> all = new TreeMap<>(labels);
        all.put(key, value);
        return new Placement(node, Map.copyOf(all));
    }

    /**
     * The node's name, or null when any node with the labels will do.
     *
     * @return the node's name, or null
     */
    public String nodeName() {
        return node;
    }

    /**
     * The labels a node must carry (empty: none).
     *
     * @return the labels, unmodifiable
     */
    public Map<String, String> labels() {
        return labels;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Placement p && Objects.equals(node, p.node) && labels.equals(p.labels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(node, labels);
    }

    @Override
    public String toString() {
        if (node == null && labels.isEmpty()) {
            return "Placement.any()";
        }
        StringBuilder b = new StringBuilder(node != null ? "Placement.node(" + node + ")" : "Placement.any()");
        new TreeMap<>(labels).forEach((k, v) -> b.append(".andLabel(").append(k).append(", ").append(v).append(')'));
        return b.toString();
    }
}
