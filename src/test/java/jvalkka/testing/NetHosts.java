package jvalkka.testing;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Test "hosts" on this machine: N hosts and a driver (this JVM), each with its own
 * address, for cluster tests.
 *
 * <p>{@link Mode#NETNS} (root, with {@code ip netns}): each host is a network
 * namespace joined to a bridge namespace by a veth pair, addresses in
 * 192.0.2.0/24, or in 198.51.100.0/24 or 203.0.113.0/24 where this machine's own
 * network is 192.0.2.0/24 (see {@code netns-hosts.sh}, which builds and removes them); a
 * process started on a host runs there in a mount namespace of its own with a
 * private {@code /dev/shm} and {@code /tmp}, so nothing can work through shared
 * memory or a Unix socket by accident. {@link #linkDown} cuts a host off (a
 * partition), {@link #netem} adds delay or loss where the kernel has netem.
 *
 * <p>{@link Mode#LOOPBACK} (elsewhere): each host is an address 127.A.B.i (A, B
 * random per run), and each process gets a run directory of its own as
 * {@code java.io.tmpdir}; /dev/shm is shared and partitions cannot be made
 * ({@link #canPartition()} says so).
 *
 * <p>{@link #close()} kills every process started here and removes namespaces,
 * links and directories; if this JVM dies instead, the shell script sees its
 * standard input end and removes the run itself, and the next run's sweep
 * removes what a killed script left. Names carry this JVM's pid and a random
 * tag, so parallel runs and leftovers are told apart.
 */
public final class NetHosts implements AutoCloseable {
    /** How the hosts were made. */
    public enum Mode { NETNS, LOOPBACK }

    private static final String SCRIPT = "netns-hosts.sh";

    private final Mode mode;
    private final String tag;
    private final String driver;
    private final List<String> addresses = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> bridgeLinks = new ArrayList<>();
    private String bridge;
    private final Process script;
    private final Path runDir;
    private final List<HostProcess> started = new ArrayList<>();
    private boolean closed;

    private NetHosts(Mode mode, int n) throws IOException {
        this.mode = mode;
        this.tag = HexFormat.of().formatHex(SecureRandom.getSeed(3)).substring(0, 5);
        this.runDir = Files.createTempDirectory("jvn-" + ProcessHandle.current().pid() + "-" + tag);
        sweep();
        if (mode == Mode.NETNS) {
            script = new ProcessBuilder("bash", scriptPath().toString(), "up",
                    Long.toString(ProcessHandle.current().pid()), tag, Integer.toString(n))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8));
            String d = null;
            String line;
            try {
                while ((line = r.readLine()) != null && !line.equals("ready")) {
                    String[] f = line.split(" ");
                    switch (f[0]) {
                        case "driver" -> d = f[1];
                        case "host" -> {
                            namespaces.add(f[2]);
                            addresses.add(f[3]);
                            bridgeLinks.add(f[4]);
                        }
                        case "bridge" -> bridge = f[1];
                        default -> throw new IOException("netns-hosts.sh: " + line);
                    }
                }
                if (line == null || d == null || addresses.size() != n) {
                    throw new IOException("netns-hosts.sh ended before the hosts were ready");
                }
            } catch (IOException | RuntimeException e) {
                closeScript();
                deleteRunDir();
                throw e;
            }
            driver = d;
        } else {
            script = null;
            byte[] ab = SecureRandom.getSeed(2);
            String prefix = "127." + (1 + (ab[0] & 0x7f)) + "." + (ab[1] & 0xff) + ".";
            driver = prefix + "1";
            for (int i = 1; i <= n; i++) {
                addresses.add(prefix + (1 + i));
            }
        }
    }

    /**
     * Makes {@code n} hosts: network namespaces where this JVM may make them,
     * else loopback addresses. Returns null, with the reason on standard error,
     * where neither works (the caller skips).
     */
    public static NetHosts create(int n) throws IOException {
        if (netnsAvailable()) {
            return new NetHosts(Mode.NETNS, n);
        }
        if (loopbackAvailable()) {
            return new NetHosts(Mode.LOOPBACK, n);
        }
        return null;
    }

    /** Why {@link #create} would return null, or null if it would not. */
    public static String unavailableReason() {
        if (netnsAvailable() || loopbackAvailable()) {
            return null;
        }
        return "neither network namespaces (needs root and iproute2) nor 127.0.0.x addresses other than 127.0.0.1 work here";
    }

    public Mode mode() {
        return mode;
    }

    /** A line for the test log: which mode ran, with which addresses. */
    public String describe() {
        return "hosts: " + mode + (mode == Mode.NETNS ? " (network namespaces, private /dev/shm and /tmp)"
                : " (127.x addresses, separate run directories, shared /dev/shm, no partitions)")
                + ", driver " + driver + ", hosts " + addresses;
    }

    /** The address of the driver, this JVM, reachable from every host. */
    public String driverAddress() {
        return driver;
    }

    /** The address of host {@code i}, 1-based. */
    public String address(int i) {
        return addresses.get(i - 1);
    }

    public int size() {
        return addresses.size();
    }

    /** The network namespace of host {@code i} (NETNS mode). */
    public String namespace(int i) {
        requireNetns();
        return namespaces.get(i - 1);
    }

    /** Whether {@link #linkDown} works here. */
    public boolean canPartition() {
        return mode == Mode.NETNS;
    }

    /** Cuts host {@code i} off from the others and the driver. */
    public void linkDown(int i) throws IOException {
        requireNetns();
        run("ip", "-n", bridge, "link", "set", bridgeLinks.get(i - 1), "down");
    }

    /** Joins host {@code i} again after {@link #linkDown}. */
    public void linkUp(int i) throws IOException {
        requireNetns();
        run("ip", "-n", bridge, "link", "set", bridgeLinks.get(i - 1), "up");
    }

    /** Whether the kernel has netem (not every container's kernel does). */
    public boolean netemAvailable() throws IOException {
        if (mode != Mode.NETNS) {
            return false;
        }
        try {
            run("ip", "netns", "exec", namespaces.get(0), "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "0ms");
            run("ip", "netns", "exec", namespaces.get(0), "tc", "qdisc", "del", "dev", "lo", "root");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code tc qdisc replace dev eth0 root netem ARGS} on host {@code i}, e.g. {@code "delay", "20ms"}. */
    public void netem(int i, String... args) throws IOException {
        requireNetns();
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespaces.get(i - 1),
                "tc", "qdisc", "replace", "dev", "eth0", "root", "netem"));
        cmd.addAll(List.of(args));
        run(cmd.toArray(String[]::new));
    }

    /**
     * Starts {@code mainClass} with this JVM's class path on host {@code i}:
     * in its namespaces (NETNS), or with a run directory of its own as
     * {@code java.io.tmpdir} (LOOPBACK).
     */
    public HostProcess startJava(int i, String mainClass, List<String> jvmArgs, String... args) throws IOException {
        List<String> java = new ArrayList<>();
        java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path tmp = Files.createDirectories(runDir.resolve("h" + i + "-tmp"));
        if (mode == Mode.LOOPBACK) {
            java.add("-Djava.io.tmpdir=" + tmp);
        }
        java.addAll(jvmArgs);
        java.add("-cp");
        java.add(System.getProperty("java.class.path"));
        java.add(mainClass);
        java.addAll(List.of(args));
        return start(i, java);
    }

    /** Starts {@code command} on host {@code i} (see {@link #startJava}). */
    public synchronized HostProcess start(int i, List<String> command) throws IOException {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        List<String> cmd = new ArrayList<>();
        if (mode == Mode.NETNS) {
            // each exec keeps the pid: the Process is the program itself
            // a private /dev/shm and /tmp; what the host needs from the real /tmp (this JVM's
            // class path and working directory, when a checkout lives there) is bound back in,
            // reached through a mount of the real /tmp parked in the private /dev/shm meanwhile
            cmd.addAll(List.of("ip", "netns", "exec", namespaces.get(i - 1),
                    "unshare", "--mount", "--propagation", "private", "sh", "-c",
                    "mount -t tmpfs -o mode=1777 tmpfs /dev/shm"
                            + " && mkdir /dev/shm/.real-tmp && mount --bind /tmp /dev/shm/.real-tmp"
                            + " && mount -t tmpfs -o mode=1777 tmpfs /tmp"
                            + " && for p in $JVN_KEEP_TMP; do"
                            + "   if [ -d \"/dev/shm/.real-tmp/${p#/tmp/}\" ]; then mkdir -p \"$p\"; else touch \"$p\"; fi"
                            + "   && mount --bind \"/dev/shm/.real-tmp/${p#/tmp/}\" \"$p\" || exit 1; done"
                            + " && umount -l /dev/shm/.real-tmp && rmdir /dev/shm/.real-tmp && exec \"$@\"",
                    "sh"));
        }
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("JVN_KEEP_TMP", String.join(" ", keptFromTmp()));
        HostProcess p = new HostProcess(i, pb.start());
        started.add(p);
        return p;
    }

    /** The top-level entries of /tmp that this JVM's class path and working directory live in. */
    private static java.util.Set<String> keptFromTmp() {
        java.util.Set<String> keep = new java.util.TreeSet<>();
        List<String> paths = new ArrayList<>(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
        paths.add(System.getProperty("user.dir"));
        for (String p : paths) {
            Path abs = Path.of(p).toAbsolutePath().normalize();
            if (abs.getNameCount() >= 2 && abs.startsWith("/tmp") && !abs.toString().contains(" ")) {
                keep.add("/tmp/" + abs.getName(1));
            }
        }
        return keep;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        for (HostProcess p : started) {
            p.kill();
        }
        closeScript();
        deleteRunDir();
    }

    private void closeScript() {
        if (script == null) {
            return;
        }
        try {
            script.getOutputStream().close(); // the script removes the run when its stdin ends
            if (!script.waitFor(30, TimeUnit.SECONDS)) {
                script.destroyForcibly();
            }
        } catch (IOException e) {
            script.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            script.destroyForcibly();
        }
    }

    private void deleteRunDir() throws IOException {
        if (Files.exists(runDir)) {
            try (var s = Files.walk(runDir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void requireNetns() {
        if (mode != Mode.NETNS) {
            throw new UnsupportedOperationException("only with network namespaces; this run is " + mode);
        }
    }

    /**
     * The namespaces and driver links of this JVM's runs that still exist (a
     * leftover check for after a test class), or an empty list.
     */
    public static List<String> leftoversOfThisJvm() throws IOException {
        return leftoversOf(ProcessHandle.current().pid());
    }

    /** The namespaces and driver links of the runs that JVM {@code pid} made that still exist. */
    public static List<String> leftoversOf(long pid) throws IOException {
        if (!netnsAvailable()) {
            return List.of();
        }
        String out = run("bash", scriptPath().toString(), "list", Long.toString(pid));
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    /** For a test: makes one host, starts a sleeping process there, says "ready", and waits to be killed. */
    public static void main(String[] args) throws Exception {
        NetHosts h = create(1);
        HostProcess p = h.start(1, List.of("sleep", "600"));
        System.out.println("ready " + p.pid() + " " + h.namespace(1));
        System.out.flush();
        Thread.sleep(600_000);
    }

    /** Removes the runs of JVMs that are gone: their namespaces and links, and their run directories. */
    public static void sweep() throws IOException {
        if (netnsAvailable()) {
            run("bash", scriptPath().toString(), "sweep");
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        try (var dirs = Files.newDirectoryStream(tmp, "jvn-*")) {
            for (Path d : dirs) {
                String[] f = d.getFileName().toString().split("-");
                if (f.length < 3 || !f[1].matches("[0-9]+") || ProcessHandle.of(Long.parseLong(f[1])).isPresent()
                        || !Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        || !me.equals(Files.getAttribute(d, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
                    continue; // a live run, or not ours
                }
                try (var s = Files.walk(d)) {
                    for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    private static Boolean netns;

    private static synchronized boolean netnsAvailable() {
        if (netns == null) {
            netns = false;
            if ("0".equals(uid()) && !Boolean.getBoolean("jvalkka.test.loopbackHosts")) {
                try {
                    run("ip", "netns", "list");
                    run("unshare", "--version");
                    netns = true;
                } catch (IOException e) {
                    netns = false;
                }
            }
        }
        return netns;
    }

    private static boolean loopbackAvailable() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String uid() {
        try {
            return Files.getAttribute(Path.of("/proc/self"), "unix:uid").toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    private static Path scriptPath() throws IOException {
        var url = NetHosts.class.getResource(SCRIPT);
        if (url == null || !"file".equals(url.getProtocol())) {
            throw new IOException(SCRIPT + " is not a file on the test class path: " + url);
        }
        try {
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /** Runs a command to its end (30 s at most) and returns its output; fails on a non-zero status. */
    static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": did not end within 30 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }

    /** A process on a host, with its merged output kept for {@link #awaitLine}. */
    public static final class HostProcess {
        private final int host;
        private final Process process;
        private final ByteArrayOutputStream output = new ByteArrayOutputStream();
        private final Thread pump;

        HostProcess(int host, Process process) {
            this.host = host;
            this.process = process;
            InputStream in = process.getInputStream();
            pump = new Thread(() -> {
                byte[] buf = new byte[8192];
                try {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        synchronized (output) {
                            output.write(buf, 0, n);
                            output.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
                synchronized (output) {
                    output.notifyAll();
                }
            }, "nethosts-pump-" + process.pid());
            pump.setDaemon(true);
            pump.start();
        }

        public int host() {
            return host;
        }

        public long pid() {
            return process.pid();
        }

        public Process process() {
            return process;
        }

        public String output() {
            synchronized (output) {
                return output.toString(StandardCharsets.UTF_8);
            }
        }

        /** Waits until a line of the output matches, or the process ended, or {@code timeout} passed; returns the line or null. */
        public String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (output) {
                while (true) {
                    for (String l : output.toString(StandardCharsets.UTF_8).split("\n")) {
                        if (match.test(l)) {
                            return l;
                        }
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || (!process.isAlive() && !pump.isAlive())) {
                        return null;
                    }
                    TimeUnit.NANOSECONDS.timedWait(output, Math.min(left, 100_000_000L));
                }
            }
        }

        /** kill -9 and wait (10 s at most) for it and the output pump to end. */
        public void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
                pump.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
