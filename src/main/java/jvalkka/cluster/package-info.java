/**
 * jvalkka across hosts: node agents that form an Apache Pekko cluster, and the
 * driver that sees them and places backends on them: while a
 * {@link jvalkka.cluster.ClusterDriver} runs, a {@code MessageProcess} whose
 * options carry a {@link jvalkka.multiprocess.Placement} starts its backend on a
 * node agent's host ({@link jvalkka.multiprocess.NodeLaunch} there), and the
 * frontend reaches it over TCP.
 *
 * <h2>Packaging: Pekko is an optional dependency</h2>
 *
 * <p>This package is part of the one jvalkka artifact, and Pekko
 * ({@code org.apache.pekko:pekko-cluster-typed_2.13}) is declared
 * {@code <optional>true</optional>} in its pom. Why:
 * <ul>
 * <li>A user who stays on one host gets no Pekko and no Scala on the class
 *     path: Maven and Gradle do not carry an optional dependency into the user's
 *     build. Nothing outside {@code jvalkka.cluster} refers to a Pekko class
 *     (a test checks the class files), so the rest of jvalkka runs without it.</li>
 * <li>A user of the cluster adds the Pekko dependency next to jvalkka's (the
 *     version is in jvalkka's pom as {@code pekko.version}); {@code scripts/node}
 *     runs with the class path the project's build uses, which has it.</li>
 * <li>Backend JVMs never load a Pekko or Scala class: a backend's start path
 *     ({@code BackendMain}) refers to none, so even with Pekko's jars on the
 *     class path a plain {@code MessageProcess} backend's start time and memory
 *     stay as they are (a test runs one with class-load logging).</li>
 * <li>The project keeps one module and its layout ({@code pom.xml, src,
 *     tutorial, scripts, README.md}); {@code scripts/demo} and {@code mvn verify}
 *     need nothing new. A separate artifact would give the same isolation at
 *     the cost of a multi-module build; the optional dependency is the simplest
 *     way that meets the constraints.</li>
 * </ul>
 *
 * <h2>Trust</h2>
 *
 * <p>Members authenticate each other with mutual TLS (Pekko Artery's
 * {@code tls-tcp} transport; keystores from {@code scripts/node-keys}); plain
 * TCP only when asked for ({@code --insecure-plain-tcp}). The data path
 * between a frontend and a backend it placed on a node runs over mutual TLS with
 * the same keys: the driver's {@code keysDir()} makes the frontend the TLS
 * server (client certificate required) of its backend's two connections, and
 * the agent gives each backend it starts the keys directory in the environment
 * variable {@code JVALKKA_KEYS_DIR} (a path, no secret: the password is read
 * from the directory's file, which must be this user's, mode 0600); the one-time
 * token of the boot line is checked inside the TLS session. A member with
 * plain TCP and one with TLS do not talk: an agent refuses a boot line that
 * disagrees with it on TLS. Pekko's Java
 * serialization is off: the agents' own messages travel through
 * {@link jvalkka.cluster.AgentSerializer}. An agent binds the address it is
 * given, never a wildcard address by default.
 */
package jvalkka.cluster;
