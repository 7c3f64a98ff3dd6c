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
    /**
     * Checks the components and copies the labels.
     *
     * @param host    the host name given with {@code --host}
     * @param address the agent's cluster address, {@code pekko://SYSTEM@HOST:PORT}
     * @param cores   the cores it offers, at least 1
     * @param labels  the user's labels, copied (later changes to the map are not seen)
     * @param pid     the agent's process id on its host
     * @throws NullPointerException when {@code host}, {@code address} or {@code labels}, or a label's
     *     key or value, is null
     * @throws IllegalArgumentException when {@code cores} is below 1
     */
    public AgentInfo {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(address, "address");
        labels = Map.copyOf(labels);
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, not " + cores);
        }
    }

    /**
     * The value of label {@code key}, or null.
     *
     * @param key the label's name, as given in {@code --label key=value}
     * @return its value, or null when the agent has no such label
     */
    public String label(String key) {
        return labels.get(key);
    }
}
