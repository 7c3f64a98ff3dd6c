package jvalkka.multiprocess;

import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

import jvalkka.log.LogConfig;

/**
 * The backend JVM's entry point (not for users): connects back to the frontend,
 * restores the process object, and runs its loop.
 *
 * <p>Its standard input is a pipe from the parent JVM that stays open as long as
 * the parent lives: the first line names the channel; end of input means the
 * parent died (even by kill -9), and the backend then halts at once, so a backend
 * never outlives its parent.
 *
 * <p>A warm backend ({@code -Djvalkka.warm=true}, started by {@link WarmPool})
 * first rehearses a start ({@link WarmUp}), then reads its boot line, which names
 * the pool's channel: it connects (the same checks as any backend's), writes
 * {@link WarmPool#READY_BYTE} on standard error and waits for a second line, the
 * name of the process that took it and of its class (loaded, not initialised,
 * while the boot frame is on its way); only then does the boot frame come. The end
 * of its input before that line halts it as it does any backend.
 */
final class BackendMain {
    private BackendMain() {
    }

    /**
     * The entry point of a backend JVM; {@code MessageProcess.start()} launches it. Not for direct use.
     *
     * @param args the arguments the frontend passes
     */
    public static void main(String[] args) {
        boolean warm = Boolean.getBoolean(WarmPool.WARM_PROPERTY); // a constant: WarmPool itself is not loaded
        if (warm) {
            warmUp();
        }
        String label = System.getProperty("jvalkka.process", "backend");
        String[] boot;
        try {
            boot = readLine(System.in).split(" ");
        } catch (IOException e) {
            Runtime.getRuntime().halt(2);
            return;
        }
        if (boot.length != 3 && !(boot.length == 4 && boot[3].equals(RemoteConnection.TLS_WORD))) {
            System.err.println("jvalkka backend " + label + ": this program is started by MessageProcess.start(), "
                    + "not by hand");
            System.exit(2);
        }
        if (warm) {
            end(serveWhenTaken(boot));
            return;
        }
        watchParent();
        end(serve(label, boot, true));
    }

    /**
     * Ends this backend JVM with {@code status}, after its loop. From JDK 21 on, {@code Runtime.exit}
     * looks up the {@code System.Logger} "java.lang.Runtime" to log the exit at DEBUG, and that first
     * lookup sets up the JDK's logging back end (a service scan of the class path, method handles):
     * some milliseconds of CPU in every backend's stop, for a log line nobody asked for. A clean end
     * (status 0) with no other non-daemon thread returns from {@code main} instead: the JVM then ends
     * as an exit would (the shutdown hooks run, the status is 0) without that lookup. Any other end
     * exits as before; so does one where the process left a non-daemon thread of its own, which an
     * exit ends (as it always did) and a return would wait for.
     */
    private static void end(int status) {
        if (status != 0 || otherNonDaemonThreads()) {
            System.exit(status);
        }
    }

    /** Whether a live non-daemon thread other than this one exists (or they cannot all be counted). */
    private static boolean otherNonDaemonThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n = root.enumerate(threads, true);
        if (n == threads.length) {
            return true; // more than could be listed: do not guess
        }
        for (int i = 0; i < n; i++) {
            Thread t = threads[i];
            if (t != Thread.currentThread() && !t.isDaemon() && t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    /**
     * A warm JVM, rehearsed: connects to the channel its boot line names (the
     * pool's, proven as a start's), tells the pool it is ready with
     * {@link WarmPool#READY_BYTE} on standard error, then waits for its take
     * line, the name of the process that took it; from there on it is that
     * process's backend, as if started for it. The end of its input before
     * that line halts it, as it does any backend. The take line also names the
     * process's class, which it loads meanwhile ({@link WarmUp#prefetch}: no
     * static initialiser runs). Its standard error is the
     * parent's from the ready byte on ({@link #adoptParentStderr}): the
     * parent that started it is the one whose start takes it.
     */
    private static int serveWhenTaken(String[] boot) {
        String label = System.getProperty("jvalkka.process", "backend");
        MessagePipe main = new MessagePipe(label + " main pipe (backend)");
        MessagePipe internal = new MessagePipe(label + " internal pipe (backend)");
        try {
            connectLocal(boot, main, internal);
        } catch (IOException | RuntimeException e) {
            System.err.println("jvalkka warm backend: cannot reach the pool's channel: " + e);
            return 2;
        }
        System.err.write(WarmPool.READY_BYTE);
        System.err.flush();
        long ppid = Long.parseLong(boot[2]);
        adoptParentStderr(ppid); // the parent is the one that will take it: done now, not in the start
        // the watch's thread is made now, not in the start (a thread's start waits for it to run: milliseconds
        // on a busy machine); it reads the input only once the take line is read
        java.util.concurrent.CountDownLatch takeLineRead = new java.util.concurrent.CountDownLatch(1);
        watchParent(takeLineRead);
        WarmUp.Prefetcher prefetcher = WarmUp.Prefetcher.start();
        String taken;
        try {
            taken = readLine(System.in);
        } catch (IOException e) {
            Runtime.getRuntime().halt(2);
            return 2;
        }
        takeLineRead.countDown();
        int space = taken.indexOf(' ');
        if (space >= 0) {
            String cls = taken.substring(space + 1);
            boolean plain = cls.endsWith(" plain");
            // while the frontend serialises the process and this thread waits for its boot frame and restores it
            prefetcher.prefetch(plain ? cls.substring(0, cls.length() - " plain".length()) : cls, plain);
            taken = taken.substring(0, space);
        }
        label = java.net.URLDecoder.decode(taken, StandardCharsets.UTF_8);
        System.setProperty("jvalkka.process", label);
        System.clearProperty(WarmPool.WARM_PROPERTY);
        return serveConnected(label, main, internal, ppid, false, false);
    }

    /**
     * Connects to the frontend that the boot line names, restores the process
     * object and runs its loop; returns the exit status. {@link CdsTrainer} runs
     * it too, so that the class-data archive holds what this path loads.
     */
    static int serve(String label, String[] boot, boolean adoptStderr) {
        boolean remote = boot[0].startsWith(RemoteConnection.SCHEME);
        byte[] token = HexFormat.of().parseHex(boot[1]);
        long ppid = Long.parseLong(boot[2]);
        MessagePipe main = new MessagePipe(label + " main pipe (backend)");
        MessagePipe internal = new MessagePipe(label + " internal pipe (backend)");
        try {
            if (remote) {
                javax.net.ssl.SSLContext tls = boot.length > 3 && boot[3].equals(RemoteConnection.TLS_WORD)
                        ? nodeTls() : null;
                connectTcp(RemoteConnection.address(boot[0]), token, main, internal, tls);
                // no shared memory with the frontend: its EventGroups and ReplicatedArrays cross as copies
                RemoteCrossing.connect(internal);
            } else {
                connectLocal(boot, main, internal);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("jvalkka backend " + label + ": cannot reach the frontend: " + e);
            return 2;
        }
        return serveConnected(label, main, internal, ppid, remote, adoptStderr);
    }

    /** Connects {@code main} and {@code internal} to the frontend on this host that the boot line names. */
    private static void connectLocal(String[] boot, MessagePipe main, MessagePipe internal) throws IOException {
        byte[] token = HexFormat.of().parseHex(boot[1]);
        Path socket = Path.of(boot[0]);
        main.connect(connect(socket, token, 0));
        internal.connect(connect(socket, token, 1));
    }

    /**
     * Serves on connected pipes: waits for the boot frame, restores the process
     * object, says it is ready and runs its loop; returns the exit status.
     */
    private static int serveConnected(String label, MessagePipe main, MessagePipe internal, long ppid,
            boolean remote, boolean adoptStderr) {
        MessageProcess process;
        try {
            WireCodec.Frame f = main.recvFrame(120_000);
            if (f == null || f.kind() != WireProtocol.BOOT) {
                throw new IOException("no boot frame from the frontend");
            }
            try {
                process = restore(f.payload());
            } catch (Throwable t) {
                StringWriter w = new StringWriter();
                t.printStackTrace(new PrintWriter(w));
                main.sendRaw(WireProtocol.FAIL, w.toString().getBytes(StandardCharsets.UTF_8));
                return 3;
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("jvalkka backend " + label + ": cannot reach the frontend: " + e);
            return 2;
        }
        if (adoptStderr && !remote) { // the pid of a remote frontend is on another host
            adoptParentStderr(ppid);
        }
        if (process.ignoresSigint()) {
            Signals.ignore("INT"); // before READY: a Ctrl+C right after start() returns must find it ignored
        }
        main.sendRaw(WireProtocol.READY, new byte[0]);
        int status = process.runBackend(main, internal);
        System.out.flush();
        System.err.flush();
        return status;
    }

    private static java.nio.charset.Charset stderrCharset() {
        String name = System.getProperty("stderr.encoding", System.getProperty("sun.stderr.encoding"));
        try {
            return name != null ? java.nio.charset.Charset.forName(name) : java.nio.charset.Charset.defaultCharset();
        } catch (RuntimeException e) {
            return java.nio.charset.Charset.defaultCharset();
        }
    }

    private static MessageProcess restore(byte[] payload) throws IOException, ReflectiveOperationException {
        try (java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(payload))) {
            LogConfig.apply(LogConfig.Snapshot.decode(in.readUTF()));
            byte[] processBytes = new byte[in.readInt()];
            in.readFully(processBytes);
            return ProcessTransfer.decode(processBytes, Thread.currentThread().getContextClassLoader());
        }
    }

    /**
     * Connects to the frontend and sends it the one-time token. Before the token
     * goes out (and so before a byte of boot payload can come in), the peer must be
     * proven to run as this user ({@code SO_PEERCRED}); the socket lives in this
     * user's 0700 directory. The listener's pid is not checked here: the JDK gives
     * no peer pid, the check through {@code /proc} (scanning the parent's
     * descriptors) cost each backend 5 to 23 ms of CPU at start, and it would only
     * tell apart processes of this same user, which can attach to a backend in
     * other ways anyway (see the README's Security section). The frontend does
     * check that each connection comes from its child's pid before it trusts the
     * token.
     */
    private static SocketChannel connect(Path socket, byte[] token, int which) throws IOException {
        SocketChannel ch = BootRandom.openUnix(); // the first without the security providers' start-up
        try {
            Path name = PeerCheck.clientName(socket, which);
            ch.bind(UnixDomainSocketAddress.of(name)); // names us to the frontend, which checks our pid
            // never listened on, so nobody can connect to it; still no more open than the channel's socket
            Files.setPosixFilePermissions(name, PosixFilePermissions.fromString("rw-------"));
            ch.connect(UnixDomainSocketAddress.of(socket));
            PeerCheck.requireSameUser(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw new IOException("refusing the process channel at " + socket + ": " + e.getMessage(), e);
        }
        ByteBuffer hello = ByteBuffer.allocate(17).put(token).put((byte) which).flip();
        while (hello.hasRemaining()) {
            ch.write(hello);
        }
        return ch;
    }

    /** How long a remote backend tries to reach its frontend (the frontend's start timeout ends it sooner). */
    private static final int CONNECT_MILLIS = 60_000;

    /**
     * The TLS context of the keys the node gave this backend (the directory in
     * {@value RemoteConnection#KEYS_ENV}; the password from its file, with
     * {@link jvalkka.internal.NodeKeys#password}'s owner and mode checks).
     */
    private static javax.net.ssl.SSLContext nodeTls() throws IOException {
        String dir = System.getenv(RemoteConnection.KEYS_ENV);
        if (dir == null || dir.isEmpty()) {
            throw new IOException("the frontend asks for TLS, but the node gave this backend no keys ("
                    + RemoteConnection.KEYS_ENV + " is not set: does the node run plain TCP?)");
        }
        return jvalkka.internal.NodeKeys.context(Path.of(dir));
    }

    /**
     * Connects to a frontend on another host (a {@code tcp:} boot line, see
     * {@link RemoteConnection}): main first, then internal, each over mutual TLS
     * when {@code tls} is not null (the handshake before any byte of ours), each
     * proven by its hello frame with the one-time token. With TLS the frontend is
     * known to be a member of the cluster; without it nothing about the frontend
     * can be checked here: the boot line came through the node that started us,
     * and only the frontend that made it knows the token.
     */
    private static void connectTcp(java.net.InetSocketAddress at, byte[] token, MessagePipe main,
            MessagePipe internal, javax.net.ssl.SSLContext tls) throws IOException {
        MessagePipe[] pipes = {main, internal};
        for (int which = 0; which < 2; which++) {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                ch.socket().connect(at, CONNECT_MILLIS);
                if (tls == null) {
                    pipes[which].connect(ch);
                } else {
                    pipes[which].connect(ch, jvalkka.internal.NodeKeys.clientEngine(tls), CONNECT_MILLIS);
                }
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw new IOException("cannot connect to the frontend at " + at + ": " + e.getMessage(), e);
            }
            byte[] hello = java.util.Arrays.copyOf(token, token.length + 1);
            hello[token.length] = (byte) which;
            pipes[which].sendRaw(WireProtocol.HELLO, hello);
        }
    }

    /**
     * What a warm JVM does before it waits for its boot line: rehearses a
     * backend's start with a process class of jvalkka's own ({@link WarmUp};
     * never a class of the application, whose statics must be fresh for the
     * process that takes this JVM). A failed rehearsal ends this JVM, saying why
     * on standard error (the pool reports it).
     */
    private static void warmUp() {
        try {
            WarmUp.rehearse();
        } catch (Throwable t) {
            System.err.println("jvalkka warm backend: the rehearsal of a start failed: " + t);
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.append((char) c);
        }
        if (c < 0 && b.length() == 0) {
            throw new IOException("no boot line");
        }
        return b.toString();
    }

    /**
     * Halts this JVM as soon as the parent's end of our standard input closes.
     * A class rather than a lambda, like the rest of the start path: linking a
     * lambda costs a fresh JVM more than loading a class from the CDS archive.
     */
    private static final class ParentWatch implements Runnable {
        /** Counted down once another thread has read what it reads on the input (a warm JVM's take line). */
        private final java.util.concurrent.CountDownLatch before;

        ParentWatch(java.util.concurrent.CountDownLatch before) {
            this.before = before;
        }

        /** How long a backend whose parent died may take to run postRun__ before it is halted. */
        private static final long PARENT_GRACE_MILLIS = Long.getLong("jvalkka.parentGraceMillis", 1000);

        @Override
        public void run() {
            if (before != null) {
                try {
                    before.await();
                } catch (InterruptedException e) {
                    // watch now
                }
            }
            byte[] buf = new byte[64];
            try {
                while (System.in.read(buf) >= 0) {
                    // the parent writes nothing more; we only wait for the end
                }
            } catch (IOException ignored) {
                // same as the end of input
            }
            // the loop sees the end of its pipe too: give it a moment to run postRun__ and exit
            // by itself; a backend busy elsewhere still goes with its parent within the grace
            try {
                Thread.sleep(PARENT_GRACE_MILLIS);
            } catch (InterruptedException ignored) {
                // halt now
            }
            Runtime.getRuntime().halt(1);
        }
    }

    private static void watchParent() {
        watchParent(null);
    }

    /** Starts the watch; with {@code before}, it reads the input only once that is counted down. */
    private static void watchParent(java.util.concurrent.CountDownLatch before) {
        Thread t = new Thread(null, new ParentWatch(before), "jvalkka-parent-watch", 32 * 1024);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Writes our standard error straight to the parent's, where that is a
     * terminal, a pipe or a device, so backend log lines keep their order with
     * the frontend's (a copy through the parent could reorder them). The start-up
     * pipe is released, which ends the parent's copying thread. Elsewhere (a
     * regular file, a socket) the copy through the parent stays.
     */
    private static void adoptParentStderr(long ppid) {
        Path fd2 = Path.of("/proc/" + ppid + "/fd/2");
        try {
            String target = Files.readSymbolicLink(fd2).toString();
            boolean direct = target.startsWith("pipe:") || target.startsWith("/dev/");
            if (!direct && Files.isRegularFile(fd2)) {
                // a file opened for appending can take writes from both sides
                for (String line : Files.readAllLines(Path.of("/proc/" + ppid + "/fdinfo/2"))) {
                    if (line.startsWith("flags:")) {
                        direct = (Integer.parseInt(line.substring(6).trim(), 8) & 02000) != 0;
                    }
                }
            }
            if (!direct) {
                return;
            }
            FileOutputStream out = new FileOutputStream(fd2.toFile(), true);
            PrintStream err = new PrintStream(out, true, stderrCharset());
            System.err.flush();
            System.setErr(err);
            // the JDK points descriptor 2 at /dev/null on close, which releases the start-up pipe
            new FileOutputStream(FileDescriptor.err).close();
        } catch (IOException | RuntimeException e) {
            // keep writing through the parent
        }
    }
}
