package jvalkka.multiprocess;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The node agent's way to start a backend JVM on its own host for a frontend on
 * another host ({@code jvalkka.cluster.NodeAgent}); not for applications, which
 * start processes with {@link MessageProcess#start()}.
 *
 * <p>The backend starts exactly as a local {@code start()} starts one: the
 * command line of {@link BackendCommand} with this JVM's {@code java}, the class
 * path this JVM loaded jvalkka from ({@link BackendClassPath}; the agent's class
 * path must therefore hold the application's classes), class-data sharing
 * ({@link ClassDataSharing}) and {@code -Djvalkka.process=LABEL}. Its standard
 * input is a pipe from this JVM that carries the boot line and then nothing: it
 * stays open while this JVM lives, so a backend ends with its agent (even a
 * {@code kill -9} of it). The backend is recorded in this user's run record
 * ({@link RunDir#addChild}), so {@code scripts/cleanup} ends it if the agent dies
 * without doing so, and removed from it when it exits.
 */
public final class NodeLaunch {
    private NodeLaunch() {
    }

    /**
     * Starts one backend JVM on this host and writes {@code bootLine} to its
     * standard input, which stays open afterwards.
     *
     * @param label the process's label, shown as {@code -Djvalkka.process=LABEL}
     * @param jvmArgs the backend's JVM options (as {@link BackendOptions#withJvmArgs})
     * @param bootLine written as is to the backend's standard input, followed by
     *     nothing (the frontend's boot line ends with a newline)
     * @return the backend's process: its standard output goes to this JVM's, its
     *     standard error is a pipe for the caller to read (read it, or the backend
     *     blocks once the pipe is full), its standard input must stay referenced
     *     (through the returned process) for as long as the backend should live
     * @throws IOException when the JVM cannot be run
     * @throws BackendStartException when the class path cannot be derived
     */
    public static Process start(String label, List<String> jvmArgs, String bootLine) throws IOException {
        return start(label, jvmArgs, bootLine, null);
    }

    /**
     * As {@link #start(String, List, String)}, on a node of a cluster with
     * {@code keysDir}: the backend's connection to its frontend runs over mutual
     * TLS with these keys. Only the directory's path reaches the backend (in the
     * environment variable {@code JVALKKA_KEYS_DIR}, not on its command line); it
     * reads the password from the directory's file, which must be this user's and
     * no one else's to read. A boot line that asks for TLS on a node without keys,
     * or for plain TCP on a node with keys, is refused: every member of a cluster
     * runs TLS, or all run plain TCP.
     *
     * @param label the process's label, shown as {@code -Djvalkka.process=LABEL}
     * @param jvmArgs the backend's JVM options (as {@link BackendOptions#withJvmArgs})
     * @param bootLine written as is to the backend's standard input (ends with
     *     {@code tls} when the frontend wants TLS)
     * @param keysDir the cluster's keys ({@code scripts/node-keys}), or null when the cluster runs plain TCP
     * @return the backend's process, as {@link #start(String, List, String)}'s
     * @throws IOException when the JVM cannot be run, or the boot line and
     *     {@code keysDir} disagree on TLS
     */
    public static Process start(String label, List<String> jvmArgs, String bootLine, Path keysDir)
            throws IOException {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(bootLine, "bootLine");
        String[] words = bootLine.strip().split(" ");
        boolean wantsTls = words.length == 4 && words[3].equals(RemoteConnection.TLS_WORD);
        if (wantsTls && keysDir == null) {
            throw new IOException("the frontend asks for TLS, but this node runs plain TCP (--insecure-plain-tcp): "
                    + "every member of a cluster needs the same TLS keys, or all run plain TCP");
        }
        if (!wantsTls && keysDir != null && words[0].startsWith(RemoteConnection.SCHEME)) {
            throw new IOException("the frontend asks for plain TCP, but this node's cluster uses TLS: "
                    + "every member of a cluster needs the same TLS keys, or all run plain TCP");
        }
        BackendOptions options = BackendOptions.defaults().withJvmArgs(jvmArgs);
        BackendClassPath where = BackendClassPath.of(options, BackendMain.class, "backend " + label);
        ClassDataSharing.Plan cds = options.runsThisJava() && where.classPathOnly()
                ? ClassDataSharing.plan(options.jvmArgs(), where.classPath())
                : ClassDataSharing.none(options.jvmArgs(), where.classPath());
        List<String> cmd = BackendCommand.of(BackendCommand.inputs(options, cds, where, label));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        if (keysDir != null) {
            pb.environment().put(RemoteConnection.KEYS_ENV, keysDir.toAbsolutePath().toString());
        } else {
            pb.environment().remove(RemoteConnection.KEYS_ENV);
        }
        Process p = pb.start();
        RunDir.addChild(p, label);
        p.onExit().thenRun(() -> RunDir.removeChild(p));
        OutputStream in = p.getOutputStream();
        try {
            in.write(bootLine.getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            // it died at once: its exit status and standard error tell why
        }
        return p;
    }
}
