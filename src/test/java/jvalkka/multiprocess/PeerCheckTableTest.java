package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** How the peer check reads {@code /proc/net/unix}: the socket bound at a name, and only at that name. */
class PeerCheckTableTest {
    private static final String HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n";

    private static String line(long inode, String path) {
        return "0000000000000000: 00000002 00000000 00010000 0001 03 " + inode + (path == null ? "" : " " + path)
                + "\n";
    }

    @Test
    void everyNameOfAHundredBackendsIsFoundWithItsOwnInodeAndNoOther() throws IOException {
        StringBuilder t = new StringBuilder(HEADER);
        for (int i = 0; i < 100; i++) { // the backends' names and the frontend's accepted ends, which share a path
            String sock = "/tmp/jvalkka-0/sock/4242-" + i;
            t.append(line(1000 + i, "/tmp/jvalkka-0/sock/.4242-" + i + ".c0"));
            t.append(line(2000 + i, "/tmp/jvalkka-0/sock/.4242-" + i + ".c1"));
            t.append(line(3000 + i, sock)).append(line(4000 + i, sock)).append(line(5000 + i, null));
        }
        PeerCheck.UnixTable table = PeerCheck.UnixTable.of(t.toString());
        for (int i = 0; i < 100; i++) {
            Path sock = Path.of("/tmp/jvalkka-0/sock/4242-" + i);
            assertEquals(Integer.toString(1000 + i), table.inodeBoundAt(PeerCheck.clientName(sock, 0)));
            assertEquals(Integer.toString(2000 + i), table.inodeBoundAt(PeerCheck.clientName(sock, 1)));
        }
    }

    @Test
    void aNameThatEndsAnotherPathOrBeginsOneIsNotTakenForIt() throws IOException {
        String table = HEADER + line(11, "/a/x/.s.c0") + line(12, "/x/.s.c0.old") + line(13, "/x/.s.c0")
                + line(14, "/x/.s.c00");
        assertEquals("13", PeerCheck.UnixTable.of(table).inodeBoundAt(Path.of("/x/.s.c0")));
        IOException none = assertThrows(IOException.class,
                () -> PeerCheck.UnixTable.of(HEADER + line(11, "/a/x/.s.c0")).inodeBoundAt(Path.of("/x/.s.c0")));
        assertTrue(none.getMessage().contains("no socket is bound at"), none.getMessage());
    }

    @Test
    void twoSocketsBoundAtOneNameAreRefused() {
        // another process removed the backend's socket file and bound its own there: the names are the same
        String table = HEADER + line(21, "/x/.s.c0") + line(5, null) + line(22, "/x/.s.c0");
        IOException e = assertThrows(IOException.class,
                () -> PeerCheck.UnixTable.of(table).inodeBoundAt(Path.of("/x/.s.c0")));
        assertTrue(e.getMessage().contains("2 sockets are bound at"), e.getMessage());
    }

    @Test
    void aLineWithoutItsSevenFieldsBeforeThePathIsNotTaken() {
        String table = HEADER + "0000000000000000: 00000002 00000000 00010000 0001 31 /x/.s.c0\n";
        assertThrows(IOException.class, () -> PeerCheck.UnixTable.of(table).inodeBoundAt(Path.of("/x/.s.c0")));
    }
}
