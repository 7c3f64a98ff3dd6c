package jvalkka.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a separate JVM with this JVM's class path, the way the
 * scripts do, and captures its merged stdout and stderr. Used by the tests that
 * run tutorial steps and programs that must be signalled or killed from outside.
 *
 * <p>Every run is bounded: past its deadline the program and all its descendants
 * are killed and the run fails.
 */
public final class JavaProgram {
    private final List<String> command = new ArrayList<>();
    private Process process;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private Thread pump;
    private java.util.Map<String, String> environment = java.util.Map.of();

    private JavaProgram(String mainClass, List<String> jvmArgs, String... args) {
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(Arrays.asList(args));
    }

    /** Starts {@code mainClass} with {@code args}; stdin is empty. */
    public static JavaProgram start(Class<?> mainClass, String... args) throws IOException {
        return start(mainClass.getName(), List.of(), args);
    }

    public static JavaProgram start(String mainClass, List<String> jvmArgs, String... args) throws IOException {
        return start(new JavaProgram(mainClass, jvmArgs, args));
    }

    /** Starts {@code mainClass} with {@code env} added to (or, for a null value, removed from) this JVM's environment. */
    public static JavaProgram startWithEnvironment(Class<?> mainClass, java.util.Map<String, String> env, String... args)
            throws IOException {
        JavaProgram p = new JavaProgram(mainClass.getName(), List.of(), args);
        p.environment = env;
        return start(p);
    }

    /**
     * Starts the program as the leader of a process group of its own (through
     * {@code setsid}, which keeps the pid), so that a test can signal the whole
     * group the way a terminal's Ctrl+C does: {@code kill -INT -- -<pid>}.
     */
    public static JavaProgram startInOwnProcessGroup(String mainClass, List<String> jvmArgs, String... args)
            throws IOException {
        JavaProgram p = new JavaProgram(mainClass, jvmArgs, args);
        p.command.add(0, "setsid");
        return start(p);
    }

    private static JavaProgram start(JavaProgram p) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(p.command).redirectErrorStream(true);
        p.environment.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        p.process = pb.start();
        InputStream in = p.process.getInputStream();
        p.pump = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (p.output) {
                        p.output.write(buf, 0, n);
                        p.output.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the program ended
            }
        }, "JavaProgram-output");
        p.pump.setDaemon(true);
        p.pump.start();
        return p;
    }

    /**
     * Starts {@code mainClass} with the {@code java} launcher given (null: this JVM's), the class
     * path given (null: this JVM's) and {@code env} added to (or, for a null value, removed from)
     * this JVM's environment.
     */
    public static JavaProgram start(String java, String classPath, String mainClass, List<String> jvmArgs,
            java.util.Map<String, String> env, String... args) throws IOException {
        JavaProgram p = new JavaProgram(mainClass, jvmArgs, args);
        if (java != null) {
            p.command.set(0, java);
        }
        if (classPath != null) {
            p.command.set(p.command.indexOf("-cp") + 1, classPath);
        }
        p.environment = env;
        return start(p);
    }

    /** Runs to completion within {@code timeoutSeconds}; returns the result. */
    public static Result run(Class<?> mainClass, double timeoutSeconds, String... args) throws Exception {
        return start(mainClass, args).waitFor(timeoutSeconds);
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    /** The output so far. */
    public String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits until the output contains {@code text}; fails with the output so far after the deadline. */
    public void awaitOutput(String text, double timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        synchronized (output) {
            while (!output.toString(StandardCharsets.UTF_8).contains(text)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no '" + text + "' within " + timeoutSeconds + " s; output:\n" + output());
                }
                if (!process.isAlive() && !pump.isAlive()) {
                    throw new AssertionError("program exited (" + process.exitValue() + ") without printing '"
                            + text + "'; output:\n" + output());
                }
                output.wait(Math.max(1, Math.min(100, left / 1_000_000)));
            }
        }
    }

    /** Waits for the exit; kills the program and its descendants if it is still running after the deadline. */
    public Result waitFor(double timeoutSeconds) throws Exception {
        boolean done = process.waitFor((long) (timeoutSeconds * 1000), TimeUnit.MILLISECONDS);
        if (!done) {
            destroyTree();
            pump.join(5000);
            throw new AssertionError("program did not finish within " + timeoutSeconds + " s; output:\n" + output());
        }
        pump.join(5000);
        return new Result(process.exitValue(), output());
    }

    /** Kills the program and every descendant it left. */
    public void destroyTree() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A finished run. */
    public record Result(int exitCode, String output) {
        public List<String> lines() {
            return output.lines().toList();
        }

        /** Fails unless every expected line appears, in this order (other lines may come between). */
        public void assertLinesInOrder(String... expected) {
            List<String> lines = lines();
            int at = 0;
            for (String e : expected) {
                int found = -1;
                for (int i = at; i < lines.size(); i++) {
                    if (lines.get(i).contains(e)) {
                        found = i;
                        break;
                    }
                }
                if (found < 0) {
                    throw new AssertionError("expected a line containing '" + e + "' after line " + at
                            + "; output:\n" + output);
                }
                at = found + 1;
            }
        }
    }
}
