package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A class-data trainer ended mid-way (its frontend exited) leaves a scratch directory; the next trainer removes it. */
@Timeout(60)
class CdsTrainerSweepTest {
    private Path tmp;

    @BeforeEach
    void makeTmp() throws Exception {
        tmp = Files.createTempDirectory("jvalkka-sweep-test");
    }

    @AfterEach
    void removeTmp() throws Exception {
        try (Stream<Path> all = Files.walk(tmp)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A scratch directory as a trainer of {@code pid} leaves it: the socket bound and renamed. */
    private Path scratchOf(long pid) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(CdsTrainer.SCRATCH_PREFIX + pid + "-123"));
        Path sock = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(PeerCheck.bindName(sock)));
            Files.move(PeerCheck.bindName(sock), sock);
        }
        return dir;
    }

    @Test
    void theScratchOfATrainerThatIsGoneIsRemovedAndALiveOnesIsKept() throws Exception {
        Process done = new ProcessBuilder("true").start();
        assertTrue(done.waitFor(10, TimeUnit.SECONDS));
        Path dead = scratchOf(done.pid());
        Path live = scratchOf(ProcessHandle.current().pid());
        Path other = Files.createDirectory(tmp.resolve("jvalkka-cds-notapid-1"));
        CdsTrainer.sweepDeadTrainers(tmp);
        assertFalse(Files.exists(dead), "the scratch of a trainer that is gone is left");
        assertTrue(Files.exists(live.resolve("s")), "the scratch of a running trainer was touched");
        assertTrue(Files.exists(other), "a directory not named for a pid was removed");
    }

    @Test
    void aScratchHoldingSomethingElseIsLeftAlone() throws Exception {
        Process done = new ProcessBuilder("true").start();
        assertTrue(done.waitFor(10, TimeUnit.SECONDS));
        Path dead = scratchOf(done.pid());
        Files.writeString(dead.resolve("not-the-trainers"), "x");
        CdsTrainer.sweepDeadTrainers(tmp);
        assertTrue(Files.exists(dead.resolve("not-the-trainers")), "a file the trainer does not make was removed");
    }
}
