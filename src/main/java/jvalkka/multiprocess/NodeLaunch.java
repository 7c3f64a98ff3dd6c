package jvalkka.multiprocess;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(bootLine, "bootLine");
        BackendOptions options = BackendOptions.defaults().withJvmArgs(jvmArgs);
        BackendClassPath where = BackendClassPath.of(options, BackendMain.class, "backend " + label);
        ClassDataSharing.Plan cds = options.runsThisJava() && where.classPathOnly()
                ? ClassDataSharing.plan(options.jvmArgs(), where.classPath())
                : ClassDataSharing.none(options.jvmArgs(), where.classPath());
        List<String> cmd = BackendCommand.of(BackendCommand.inputs(options, cds, where, label));
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
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
