package jvalkka.internal;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts backends on other hosts: the seam between the core (a frontend whose
 * options carry a {@code Placement}) and the cluster ({@code jvalkka.cluster},
 * which installs one through {@link RemoteLaunchers} while its driver runs). The
 * core never refers to the cluster's classes, so it runs without Pekko.
 *
 * <p>The frontend listens on {@link #frontendAddress()} (a TCP port of its
 * choosing), asks {@link #launch} for a backend, and the node writes the given
 * boot line to the new backend's standard input; from there the backend connects
 * back and proves itself with the line's one-time token, as a local one does.
 * Not part of the API.
 */
public interface RemoteLauncher {
    /**
     * The address this JVM's frontends listen on for the backends they start on
     * other hosts: the cluster's own bind address, never a wildcard.
     *
     * @return the address to bind the frontend's listening socket to
     */
    InetAddress frontendAddress();

    /**
     * The directory of the cluster's keys ({@code scripts/node-keys}) for mutual TLS
     * on the data path, or null when the cluster runs plain TCP by the user's choice.
     *
     * @return the keys directory, or null for plain TCP
     */
    Path keysDir();

    /**
     * Starts a backend on a node that matches, and returns at once.
     *
     * @param request what to start and where
     * @return the started backend, a {@link Process} whose exit the node or the
     *         cluster's failure detector reports
     * @throws IllegalStateException (with a message naming the placement) when no
     *         node matches, or the chosen node refused
     */
    RemoteBackend launch(Request request);

    /**
     * One backend to start.
     *
     * @param node the node's name, or null for any node with the labels
     * @param labels labels the node must carry
     * @param label the process's label (its {@code -Djvalkka.process} name)
     * @param jvmArgs the backend's JVM options
     * @param bootLine the line the backend reads on its standard input (ends with a newline)
     */
    record Request(String node, Map<String, String> labels, String label, List<String> jvmArgs, String bootLine) {
        /** Copies the collections. */
        public Request {
            labels = Map.copyOf(labels);
            jvmArgs = List.copyOf(jvmArgs);
        }
    }
}
