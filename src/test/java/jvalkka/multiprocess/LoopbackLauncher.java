package jvalkka.multiprocess;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import jvalkka.internal.RemoteBackend;
import jvalkka.internal.RemoteLauncher;
import jvalkka.internal.RemoteLaunchers;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test-only {@link RemoteLauncher}: "another host" is this one. It starts the
 * backend JVM with the command a local start uses, writes the boot line to its
 * standard input (as a node agent does) and keeps that pipe open, and the
 * frontend reaches it over TCP on 127.0.0.1, never through a Unix socket.
 * Public (with {@link #install()}, {@link #started}, {@link Backend#lose} and {@link Backend#partition}) for the
 * tests of other packages that place a process (SGN's placed workers).
 *
 * <p>As a test fixture: {@code @RegisterExtension final LoopbackLauncher launcher = LoopbackLauncher.perTest();}
 * installs it before each test and closes it after; what a test registers with {@link #closeFirst} or
 * {@link #stopFirst} (its processes, their event groups) is closed by {@link #close()}, newest first,
 * before the backends still running are killed.
 */
public final class LoopbackLauncher implements RemoteLauncher, AutoCloseable, BeforeEachCallback,
        AfterEachCallback {
    static final String HOST = "test-node (127.0.0.1)";

    public final List<Backend> started = new CopyOnWriteArrayList<>();
    /** What {@link #close()} closes first, newest last in the list. */
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();
    final List<RemoteLauncher.Request> requests = new CopyOnWriteArrayList<>();
    /** Runs before each backend JVM starts, given the request (a test connects by hand here). */
    volatile Consumer<RemoteLauncher.Request> beforeStart = r -> { };
    /** What the "node" writes to the backend's standard input, given the boot line (a test may spoil it). */
    volatile java.util.function.UnaryOperator<String> bootLine = line -> line;

    /** The cluster's keys as the frontend sees them ({@link #keysDir()}); null: plain TCP. */
    volatile Path keys;
    /** The keys the "node" gives its backends (in {@code JVALKKA_KEYS_DIR}); null: none. */
    volatile Path nodeKeys;

    /** Makes and installs one for a plain cluster; {@link #close()} uninstalls it. */
    public static LoopbackLauncher install() {
        return install(null);
    }

    /** Makes and installs one for a cluster with {@code keys} (null: plain TCP), given to frontend and node alike. */
    public static LoopbackLauncher install(Path keys) {
        LoopbackLauncher l = new LoopbackLauncher();
        l.keys = keys;
        l.nodeKeys = keys;
        RemoteLaunchers.install(l);
        return l;
    }

    /**
     * One for a plain cluster that JUnit installs before each test and closes after it (register it
     * with {@code @RegisterExtension} on an instance field). A test may still set {@link #keys} and
     * {@link #nodeKeys} before it places a process, or {@link #close()} it early.
     */
    public static LoopbackLauncher perTest() {
        return new LoopbackLauncher();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        RemoteLaunchers.install(this);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
    }

    /**
     * Registers {@code c} for {@link #close()} to close before it kills the backends still running
     * (newest first).
     *
     * @return {@code c}
     */
    public <T extends AutoCloseable> T closeFirst(T c) {
        toClose.add(c);
        return c;
    }

    /**
     * Registers {@code p}'s {@link MessageProcess#stop()} for {@link #close()} (as {@link #closeFirst}).
     *
     * @return {@code p}
     */
    public <P extends MessageProcess> P stopFirst(P p) {
        toClose.add(p::stop);
        return p;
    }

    @Override
    public InetAddress frontendAddress() {
        return InetAddress.getLoopbackAddress();
    }

    @Override
    public Path keysDir() {
        return keys;
    }

    @Override
    public RemoteBackend launch(RemoteLauncher.Request request) {
        requests.add(request);
        beforeStart.accept(request);
        BackendOptions o = BackendOptions.defaults().withJvmArgs(request.jvmArgs());
        BackendClassPath where = BackendClassPath.of(o, LoopbackLauncher.class, "the loopback launcher");
        List<String> cmd = BackendCommand.of(BackendCommand.inputs(o,
                ClassDataSharing.none(o.jvmArgs(), where.classPath()), where, request.label()));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            Path k = nodeKeys;
            if (k != null) {
                pb.environment().put(RemoteConnection.KEYS_ENV, k.toString());
            } else {
                pb.environment().remove(RemoteConnection.KEYS_ENV);
            }
            Process p = pb.start();
            p.getOutputStream().write(bootLine.apply(request.bootLine()).getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            Backend b = new Backend(p);
            started.add(b);
            return b;
        } catch (IOException e) {
            throw new IllegalStateException("node test-node cannot start " + request.label() + ": " + e, e);
        }
    }

    /**
     * Closes what was registered ({@link #closeFirst}, {@link #stopFirst}), newest first, then
     * uninstalls and kills what is still running (a test's stop() should have ended it). Every
     * registered thing is closed even if one fails; the first failure is thrown at the end.
     * Closing again does nothing more.
     */
    @Override
    public void close() throws Exception {
        Exception failed = null;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.remove(i).close();
            } catch (Exception e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        RemoteLaunchers.uninstall(this);
        for (Backend b : started) {
            if (b.p.isAlive()) {
                b.p.destroyForcibly();
            }
            b.p.waitFor(10, TimeUnit.SECONDS);
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** The backend on "test-node": the real child JVM, seen as a remote backend. */
    public static final class Backend extends RemoteBackend {
        final Process p;
        volatile String lostBecause;
        /** How many times the frontend asked the "node" to end this backend. */
        final java.util.concurrent.atomic.AtomicInteger destroyRequests = new java.util.concurrent.atomic.AtomicInteger();

        /** Set by {@link #loseLater}: the JVM's end is not reported by itself. */
        private volatile boolean endReportedLater;
        private volatile java.time.Duration noticeWithin;

        Backend(Process p) {
            this.p = p;
            p.onExit().thenRun(() -> {
                if (!endReportedLater) {
                    exited();
                }
            });
        }

        /**
         * Simulates a node killed with its agent, as a cluster sees it: the JVM dies now (its
         * connection closes), the node is reported lost for {@code reason} only {@code after} that
         * (the failure detector's time), and the backend says its end may take {@code noticeWithin}.
         */
        public void loseLater(String reason, java.time.Duration after, java.time.Duration noticeWithin) {
            this.noticeWithin = noticeWithin;
            endReportedLater = true;
            p.destroyForcibly();
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(after.toMillis()); // the simulated detection time
                } catch (InterruptedException e) {
                    // report now
                }
                lostBecause = reason;
                exited();
            }, "loopback-detector");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public java.time.Duration exitNoticeWithin() {
            java.time.Duration d = noticeWithin;
            return d != null ? d : super.exitNoticeWithin();
        }

        /** Simulates the loss of the node: the reason is set, then the JVM killed. */
        public void lose(String reason) {
            lostBecause = reason;
            p.destroyForcibly();
        }

        /**
         * Simulates a partition: the JVM is stopped (SIGSTOP), so its connections
         * stay open and silent, and the "cluster" reports the node lost at once.
         */
        public void partition(String reason) throws Exception {
            new ProcessBuilder("kill", "-STOP", Long.toString(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
            lostBecause = reason;
            exited();
        }

        @Override
        public String host() {
            return HOST;
        }

        @Override
        public String exitReason() {
            return lostBecause;
        }




        @Override
        protected int status() {
            return p.isAlive() ? -1 : p.exitValue();
        }

        @Override
        public void destroy() {
            destroyRequests.incrementAndGet();
            p.destroy();
        }

        @Override
        public Process destroyForcibly() {
            p.destroyForcibly();
            return this;
        }

        @Override
        public long pid() {
            return p.pid();
        }
    }
}
