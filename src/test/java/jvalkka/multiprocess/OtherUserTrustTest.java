package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import jvalkka.testing.Impostor;
import jvalkka.testing.JavaProgram;
import jvalkka.testing.OtherUser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What another local user can do on a shared {@code /tmp} to a user's process
 * channels: plant the run directory (or a link in its place), listen where a
 * backend connects, connect to a frontend. Runs as root with a second user made
 * for it (skipped otherwise), in a private stand-in for {@code /tmp}.
 */
@Timeout(180)
class OtherUserTrustTest {
    static OtherUser other;

    @BeforeAll
    static void createUser() throws Exception {
        other = OtherUser.createOrSkip();
    }

    @AfterAll
    static void removeUser() throws Exception {
        if (other != null) {
            other.close();
        }
        Leftovers.assertNone();
    }

    @AfterEach
    void emptySharedTmp() throws IOException {
        try (Stream<Path> all = Files.walk(other.sharedTmp())) { // links are not followed
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(other.sharedTmp())) {
                    Files.delete(p);
                }
            }
        }
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    static JavaProgram.Result startAProcessWithTmp(Path tmp) throws Exception {
        return JavaProgram.start(TrustProgram.class.getName(), List.of("-Djava.io.tmpdir=" + tmp), "start")
                .waitFor(120);
    }

    @Test
    void aRunDirectoryAnotherUserCreatedIsNeitherChmoddedNorUsed() throws Exception {
        Path planted = other.sharedTmp().resolve("jvalkka-0");
        other.runAs("mkdir", "-m", "0777", planted.toString());
        JavaProgram.Result r = startAProcessWithTmp(other.sharedTmp());
        assertEquals("rwxrwxrwx", mode(planted), "the other user's directory was chmodded: " + r.output());
        try (Stream<Path> in = Files.list(planted)) {
            assertEquals(List.of(), in.toList(), "something was created in the other user's directory");
        }
        assertEquals(3, r.exitCode(), r.output());
        assertTrue(r.output().contains("start failed") && r.output().contains("uid " + other.uid()), r.output());
    }

    @Test
    void aSymbolicLinkPlantedAsTheRunDirectoryIsNotFollowed() throws Exception {
        Path victim = other.rootDir("victim-" + System.nanoTime());
        other.runAs("ln", "-s", victim.toString(), other.sharedTmp().resolve("jvalkka-0").toString());
        JavaProgram.Result r = startAProcessWithTmp(other.sharedTmp());
        assertEquals("rwxr-xr-x", mode(victim), "the directory behind the link was chmodded: " + r.output());
        try (Stream<Path> in = Files.list(victim)) {
            assertEquals(List.of(), in.toList(), "something was created through the link");
        }
        assertEquals(3, r.exitCode(), r.output());
        assertTrue(r.output().contains("symbolic link"), r.output());
    }

    @Test
    void aBackendGivesItsTokenOnlyToAFrontendOfItsOwnUser() throws Exception {
        Path evil = other.sharedTmp().resolve("evil");
        other.runAs("mkdir", "-m", "0755", evil.toString());
        Path sock = evil.resolve("s");
        String testClasses = Path.of(Impostor.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        Process impostor = other.startAs(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-cp", testClasses, Impostor.class.getName(), sock.toString());
        LinkedBlockingQueue<String> lines = lines(impostor);
        awaitLine(lines, "listening");
        // the backend as a root backend would run it; its boot line names the impostor's socket
        String[] boot = {sock.toString(), "00".repeat(16), Long.toString(ProcessHandle.current().pid())};
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> BackendMain.serve("victim", boot,
                false));
        String got = awaitLine(lines, "received");
        assertEquals("received 0 bytes", got, "the backend gave its hello and token to another user's listener");
        assertEquals(2, status.get(30, TimeUnit.SECONDS), "the backend must refuse the channel");
        assertTrue(impostor.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void theFrontendRefusesAConnectionFromAnotherUserOrAnotherProcess() throws Exception {
        Path dir = other.rootDir("front-" + System.nanoTime());
        Path sock = dir.resolve("s");
        String connect = "import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\n"
                + "if len(sys.argv)>2: s.bind(sys.argv[2])\n"
                + "s.connect(sys.argv[1])\nprint('connected',flush=True)\ntime.sleep(30)";
        Process impostor = null;
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(PeerCheck.bindName(sock)));
            Files.setPosixFilePermissions(PeerCheck.bindName(sock), PosixFilePermissions.fromString("rwxrwxrwx"));
            long child = ProcessHandle.current().pid(); // the backend we would expect; neither client is it

            Process foreign = other.startAs("/usr/bin/python3", "-c", connect, PeerCheck.bindName(sock).toString());
            awaitLine(lines(foreign), "connected");
            try (SocketChannel c = server.accept()) {
                String why = PeerCheck.whyNotFrom(c, sock, child, new PeerCheck.UnixTable());
                assertTrue(why != null && why.contains(other.name()), "another user's connection: " + why);
            }

            // this user, even bound at the backend's name, but not the backend's pid
            impostor = new ProcessBuilder("/usr/bin/python3", "-c", connect, PeerCheck.bindName(sock).toString(),
                    PeerCheck.clientName(sock, 0).toString()).redirectErrorStream(true).start();
            awaitLine(lines(impostor), "connected");
            try (SocketChannel c = server.accept()) {
                String why = PeerCheck.whyNotFrom(c, sock, child, new PeerCheck.UnixTable());
                assertTrue(why != null && why.contains("not held by process " + child), "another pid: " + why);
                assertEquals(null, PeerCheck.whyNotFrom(c, sock, impostor.pid(), new PeerCheck.UnixTable()), "its own pid is recognised");
            }
        } finally {
            if (impostor != null) {
                impostor.destroyForcibly();
                impostor.waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(PeerCheck.bindName(sock));
            Files.deleteIfExists(PeerCheck.clientName(sock, 0));
        }
    }

    private static LinkedBlockingQueue<String> lines(Process p) {
        LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    q.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "other-user-output");
        t.setDaemon(true);
        t.start();
        return q;
    }

    /** The first line starting with {@code prefix} within 30 s (a JVM may print warnings first). */
    static String awaitLine(LinkedBlockingQueue<String> lines, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        StringBuilder seen = new StringBuilder();
        while (System.nanoTime() < deadline) {
            String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
            if (l != null) {
                seen.append(l).append('\n');
            }
        }
        throw new AssertionError("no line starting '" + prefix + "' within 30 s; seen:\n" + seen);
    }
}
