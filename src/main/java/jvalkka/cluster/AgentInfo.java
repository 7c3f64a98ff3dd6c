package jvalkka.cluster;

import java.util.Map;
import java.util.Objects;

/**
 * What a node agent advertises: the host it runs on, its cluster address, the
 * cores it offers, its user labels and its process id.
 *
 * @param host    the host name given with {@code --host} (default: this machine's name)
 * @param address the agent's cluster address, {@code pekko://SYSTEM@HOST:PORT}
 * @param cores   the cores it offers ({@code --cores}, default: the JVM's available processors)
 * @param labels  the user's labels ({@code --label key=value}), never null
 * @param pid     the agent's process id on its host
 */
public record AgentInfo(String host, String address, int cores, Map<String, String> labels, long pid)
        implements AgentMessage {
    public AgentInfo {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(address, "address");
        labels = Map.copyOf(labels);
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, not " + cores);
        }
    }

    /** The value of label {@code key}, or null. */
    public String label(String key) {
        return labels.get(key);
    }
}
