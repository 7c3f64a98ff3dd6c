package jvalkka.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A second local user for the tests of what another user can do on a shared
 * {@code /tmp}: created with {@code useradd} when the tests run as root (they are
 * skipped, saying why, otherwise), acting through {@code runuser}, and removed by
 * {@link #close()} together with every process started as it and a private
 * "shared" temporary directory (mode 1777, like {@code /tmp}) for the test.
 */
public final class OtherUser implements AutoCloseable {
    private final String name;
    private final int uid;
    private final Path base;
    private final Path sharedTmp;
    private final List<Process> started = new ArrayList<>();

    private OtherUser(String name, int uid, Path base) throws IOException {
        this.name = name;
        this.uid = uid;
        this.base = base;
        this.sharedTmp = base.resolve("tmp");
        Files.createDirectory(sharedTmp);
        Files.setAttribute(sharedTmp, "unix:mode", 01777);
    }

    /** Creates the user; skips the calling test (class) unless this JVM runs as root with useradd and runuser. */
    public static OtherUser createOrSkip() throws Exception {
        int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        assumeTrue(me == 0, "skipped: these tests act as a second local user, which only root can create"
                + " (this JVM runs as uid " + me + ")");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/useradd")) && Files.isExecutable(Path.of("/usr/sbin/runuser")),
                "skipped: useradd and runuser are needed to act as a second local user");
        String name = "jvtest" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        run(List.of("/usr/sbin/useradd", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name));
        try {
            String id = run(List.of("id", "-u", name)).strip();
            Path base = Files.createTempDirectory("jvtrust");
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new OtherUser(name, Integer.parseInt(id), base);
        } catch (Exception e) {
            run(List.of("/usr/sbin/userdel", name));
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public int uid() {
        return uid;
    }

    /** A directory for this test that everyone may write to, sticky, owned by root: a private stand-in for /tmp. */
    public Path sharedTmp() {
        return sharedTmp;
    }

    /** A directory of root's beside the shared one (mode 0755), for what another user must not touch. */
    public Path rootDir(String child) throws IOException {
        Path d = base.resolve(child);
        Files.createDirectory(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        return d;
    }

    /** Runs {@code command} as this user; returns its output, failing unless it exits with 0 within 30 s. */
    public String runAs(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/sbin/runuser", "-u", name, "--"));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    /** Starts {@code command} as this user (stdout and stderr merged); {@link #close()} kills it if still running. */
    public Process startAs(String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/sbin/runuser", "-u", name, "--"));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish within 30 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(cmd + " failed with status " + p.exitValue() + ": " + out);
        }
        return out;
    }

    /** Kills what was started as the user (by pid), removes the user and the test's directories. */
    @Override
    public void close() throws Exception {
        synchronized (started) {
            for (Process p : started) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        try {
            run(List.of("/usr/sbin/userdel", name));
        } finally {
            try (Stream<Path> all = Files.walk(base)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
