package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import jvalkka.testing.JavaProgram;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket files of the process channels: never more open than 0600, and
 * those of a frontend that died during {@code start()} are swept. Each test runs
 * a program in a JVM of its own with a private {@code java.io.tmpdir}.
 */
@Timeout(120)
class ChannelTrustTest {
    @TempDir
    Path tmp;

    @AfterAll
    static void nothingLeft() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void theSocketFileIsNeverMoreOpenThan0600() throws Exception {
        JavaProgram program = JavaProgram.start(TrustProgram.class.getName(),
                List.of("-Djava.io.tmpdir=" + tmp), "socket-mode");
        JavaProgram.Result r = program.waitFor(120);
        assertEquals(0, r.exitCode(), r.output());
        List<String> sockets = r.lines().stream().filter(l -> l.startsWith("socket ")).toList();
        assertTrue(sockets.stream().anyMatch(l -> l.startsWith("socket " + program.pid() + "-")),
                "the channel's socket under its name: " + r.output());
        for (String s : sockets) { // the backend's connecting sockets may be there too, if it was quick
            assertTrue(s.endsWith(" rw-------"), "during the handshake: " + s);
        }
        assertTrue(r.output().contains("pong 1"), r.output());
    }

    @Test
    void aSocketLeftByAFrontendThatDiedIsSwept() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Path sock = tmp.resolve("jvalkka-" + uid).resolve("sock");
        Files.createDirectories(sock, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rwx------")));
        Path stale = sock.resolve(gone.pid() + "-1");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(stale)); // closed without removing its file, as after a kill -9
        }
        assertTrue(Files.exists(stale));
        JavaProgram.Result r = JavaProgram.start(TrustProgram.class.getName(),
                List.of("-Djava.io.tmpdir=" + tmp), "start").waitFor(120);
        assertEquals(0, r.exitCode(), r.output());
        assertFalse(Files.exists(stale), "the dead frontend's socket is still there");
        try (var left = Files.list(sock)) {
            assertEquals(List.of(), left.toList(), "a socket file was left behind");
        }
    }
}
