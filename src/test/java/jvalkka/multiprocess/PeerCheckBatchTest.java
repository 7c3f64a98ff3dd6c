package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The backend's two connections are checked together, and a bad one does not take a good one with it. */
@Timeout(60)
class PeerCheckBatchTest {
    @Test
    void twoConnectionsCheckedTogetherAreJudgedEachByItsOwnPeer() throws Exception {
        Path dir = Files.createTempDirectory(RunDir.sockets(), "batch");
        Path sock = dir.resolve("s");
        long me = ProcessHandle.current().pid();
        Process impostor = null;
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            PeerCheck.bindListener(server, sock);
            // ours, bound at the backend's name 1, from this pid
            SocketChannel mine = SocketChannel.open(StandardProtocolFamily.UNIX);
            mine.bind(UnixDomainSocketAddress.of(PeerCheck.clientName(sock, 1)));
            mine.connect(UnixDomainSocketAddress.of(sock));
            // another process of this user, bound at the backend's name 0
            String connect = "import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[2])\n"
                    + "s.connect(sys.argv[1])\nprint('connected',flush=True)\ntime.sleep(30)";
            impostor = new ProcessBuilder("/usr/bin/python3", "-c", connect, sock.toString(),
                    PeerCheck.clientName(sock, 0).toString()).redirectErrorStream(true).start();
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(impostor.getInputStream()))
                    .readLine();
            assertEquals("connected", line);
            try (SocketChannel a = server.accept(); SocketChannel b = server.accept(); mine) {
                List<String> why = PeerCheck.whyNotFrom(List.of(a, b), sock, me, new PeerCheck.UnixTable());
                SocketChannel fromImpostor = ((UnixDomainSocketAddress) a.getRemoteAddress()).getPath()
                        .equals(PeerCheck.clientName(sock, 0)) ? a : b;
                int bad = fromImpostor == a ? 0 : 1;
                assertTrue(why.get(bad) != null && why.get(bad).contains("not held by process " + me), why.toString());
                assertNull(why.get(1 - bad), "our own connection is not refused for the impostor's: " + why);
                List<String> both = PeerCheck.whyNotFrom(List.of(a, b), sock, impostor.pid(),
                        new PeerCheck.UnixTable());
                assertNull(both.get(bad), both.toString());
                assertTrue(both.get(1 - bad) != null, both.toString());
            }
        } finally {
            if (impostor != null) {
                impostor.destroyForcibly();
                impostor.waitFor(10, TimeUnit.SECONDS);
            }
            PeerCheck.deleteNames(sock);
            Files.deleteIfExists(dir);
        }
    }
}
