package jvalkka.multiprocess;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Who is at the other end of a process channel, proven by the kernel before a
 * byte of the handshake is trusted: the peer's user through
 * {@link ExtendedSocketOptions#SO_PEERCRED} (the JDK), and its pid through
 * {@code /proc} (no native call, so it costs neither side's start-up a native
 * library).
 *
 * <p>Every socket of a channel has a name in the private socket directory: the
 * frontend's server socket is bound at {@link #bindName} (then renamed, once its
 * mode is 0600), and each of the backend's two connecting sockets is bound at
 * {@link #clientName} before it connects. {@code /proc/net/unix} gives the inode
 * of the socket bound at a name, and {@code /proc/<pid>/fd} says whether a
 * process holds it. So the frontend checks that an accepted connection's peer,
 * named by its address, is its child's; the backend's two connections are
 * checked together (one reading of the table, one listing of the child's
 * descriptors). The JDK gives no peer pid ({@code SO_PEERCRED}'s pid is dropped),
 * and a native {@code getsockopt} would need both a native binding, whose first
 * load costs a frontend more CPU than a hundred of these checks, and the
 * channel's descriptor, which the JDK does not expose. The backend checks only the user: the
 * same check of its parent would scan the parent's descriptors (hundreds, with
 * many backends), 5 to 23 ms of each backend's start, to tell apart only
 * processes of this same user (see {@code BackendMain.connect}).
 */
final class PeerCheck {
    private static volatile UserPrincipal me;

    private PeerCheck() {
    }

    /** Throws unless the peer of {@code ch} runs as this JVM's user. */
    static void requireSameUser(SocketChannel ch) throws IOException {
        UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        UserPrincipal me = PeerCheck.me;
        if (me == null) {
            me = Files.getOwner(Path.of("/proc/self"));
            PeerCheck.me = me;
        }
        if (!peer.user().equals(me)) {
            throw new IOException("the peer runs as user " + peer.user().getName() + ", not as " + me.getName());
        }
    }

    /**
     * The name a channel's server socket is bound at before it is renamed to
     * {@code socketPath} (once its mode is 0600): {@code .<name>} beside it.
     */
    static Path bindName(Path socketPath) {
        return socketPath.resolveSibling("." + socketPath.getFileName());
    }

    /** The name the backend binds its connecting socket {@code which} (0 main, 1 internal) at. */
    static Path clientName(Path socketPath, int which) {
        return socketPath.resolveSibling("." + socketPath.getFileName() + ".c" + which);
    }

    /**
     * Binds {@code server} at {@code socketPath}, never more open than 0600: a
     * socket file is made with the umask's mode (0755 typically), so it is bound
     * at {@link #bindName}, set to 0600, and only then appears, by an atomic
     * rename, at the name the backend connects to. Names left there by a JVM that
     * had our pid before are removed first.
     */
    static void bindListener(ServerSocketChannel server, Path socketPath) throws IOException {
        deleteNames(socketPath);
        Path bound = bindName(socketPath);
        server.bind(UnixDomainSocketAddress.of(bound));
        Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
        Files.move(bound, socketPath, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes every name a channel at {@code socketPath} may have: its own, its bind name, the backend's two. */
    static void deleteNames(Path socketPath) throws IOException {
        for (Path p : List.of(socketPath, bindName(socketPath), clientName(socketPath, 0), clientName(socketPath, 1))) {
            Files.deleteIfExists(p);
        }
    }

    /**
     * Throws unless, for each name, exactly one socket is bound at it and the
     * process {@code pid} holds it: one listing of the process's descriptors
     * serves every name.
     */
    private static void requireHeldBy(List<Path> names, long pid, UnixTable table) throws IOException {
        java.util.Set<String> want = new java.util.HashSet<>();
        for (Path name : names) {
            want.add("socket:[" + table.inodeBoundAt(name) + "]");
        }
        // descriptors are numbered upwards, and the sockets are among the newest of the holder's: look from the top
        String[] fdNames = new java.io.File("/proc/" + pid + "/fd").list();
        if (fdNames == null) {
            throw new IOException("process " + pid + " is gone (or not ours to inspect)");
        }
        int[] fds = new int[fdNames.length];
        for (int i = 0; i < fdNames.length; i++) {
            fds[i] = Integer.parseInt(fdNames[i]);
        }
        java.util.Arrays.sort(fds);
        String prefix = "/proc/" + pid + "/fd/";
        for (int i = fds.length - 1; i >= 0 && !want.isEmpty(); i--) {
            try {
                want.remove(Files.readSymbolicLink(Path.of(prefix + fds[i])).toString());
            } catch (IOException closedMeanwhile) {
                // next descriptor
            }
        }
        if (!want.isEmpty()) {
            throw new IOException("the socket bound at " + (names.size() == 1 ? names.get(0) : names)
                    + " is not held by process " + pid);
        }
    }

    /**
     * {@code /proc/net/unix}, read once and read again only when a name is not in
     * it yet: the frontend checks several connections against one reading. The
     * table is searched as bytes in a buffer that is kept for the next reading
     * (with many backends it is tens of kilobytes; a String of it per check was
     * most of a frontend's garbage while backends start).
     */
    static final class UnixTable {
        private static final java.util.concurrent.atomic.AtomicReference<byte[]> SPARE =
                new java.util.concurrent.atomic.AtomicReference<>();
        private byte[] text;
        private int length = -1;
        /** A table given by a test ({@link #of}): never read. */
        private boolean fixed;

        /** The inode of the one socket bound at {@code name}; an exception if none or several are. */
        String inodeBoundAt(Path name) throws IOException {
            // the table is bytes: a path's UTF-8 matches it byte for byte
            byte[] key = (" " + name + "\n").getBytes(StandardCharsets.UTF_8);
            int[] skip = skipTable(key);
            for (int attempt = 0; attempt < 2; attempt++) {
                if (length < 0 || attempt > 0) {
                    read();
                }
                String inode = null;
                int found = 0;
                for (int at = indexOf(key, skip, 0); at >= 0; at = indexOf(key, skip, at + 1)) {
                    String f = inodeField(at);
                    if (f != null) {
                        inode = f;
                        found++;
                    }
                }
                if (found == 1) {
                    return inode;
                }
                if (found > 1) {
                    throw new IOException(found + " sockets are bound at " + name);
                }
            }
            throw new IOException("no socket is bound at " + name);
        }

        /**
         * The inode of the line whose path starts at {@code at} (the space before it), or null unless seven
         * fields come before the path: {@code Num RefCount Protocol Flags Type St Inode Path}. Parsed by hand:
         * a {@code split} per check cost the frontend a regex engine's interpreting and compiling.
         */
        private String inodeField(int at) {
            int lineStart = at;
            while (lineStart > 0 && text[lineStart - 1] != '\n') {
                lineStart--;
            }
            int fields = 0;
            int lastStart = -1;
            int lastEnd = -1;
            for (int i = lineStart; i < at; ) {
                while (i < at && text[i] == ' ') {
                    i++;
                }
                if (i == at) {
                    break;
                }
                lastStart = i;
                while (i < at && text[i] != ' ') {
                    i++;
                }
                lastEnd = i;
                fields++;
            }
            return fields == 7 ? new String(text, lastStart, lastEnd - lastStart, StandardCharsets.ISO_8859_1) : null;
        }

        /**
         * Horspool's shift for each byte value: how far the key may move on when the table's byte under its
         * last one is that value. A key is a path of some 50 bytes, so a search looks at one byte in tens
         * instead of every byte (the table is tens of kilobytes while a hundred backends run).
         */
        private static int[] skipTable(byte[] key) {
            int[] skip = new int[256];
            java.util.Arrays.fill(skip, key.length);
            for (int k = 0; k < key.length - 1; k++) {
                skip[key[k] & 0xff] = key.length - 1 - k;
            }
            return skip;
        }

        private void read() throws IOException {
            if (fixed) {
                return;
            }
            byte[] buf = text != null ? text : SPARE.getAndSet(null);
            if (buf == null) {
                buf = new byte[32 * 1024];
            }
            int n = 0;
            try (java.io.FileInputStream in = new java.io.FileInputStream("/proc/net/unix")) {
                int r;
                while ((r = in.read(buf, n, buf.length - n)) >= 0) {
                    n += r;
                    if (n == buf.length) {
                        buf = java.util.Arrays.copyOf(buf, buf.length * 2);
                    }
                }
            }
            text = buf;
            length = n;
        }

        /** Where {@code key} is in the table at {@code from} or after, else -1 (Horspool's search). */
        private int indexOf(byte[] key, int[] skip, int from) {
            int last = key.length - 1;
            byte tail = key[last];
            for (int i = from; i + last < length; i += skip[text[i + last] & 0xff]) {
                if (text[i + last] == tail && java.util.Arrays.equals(text, i, i + last, key, 0, last)) {
                    return i;
                }
            }
            return -1;
        }

        /** A table of {@code text} instead of {@code /proc/net/unix}'s, which is then never read: for the tests. */
        static UnixTable of(String text) {
            UnixTable t = new UnixTable();
            t.text = text.getBytes(StandardCharsets.UTF_8);
            t.length = t.text.length;
            t.fixed = true;
            return t;
        }

        /** Gives the buffer back for the next table; this one is not used after. */
        void release() {
            if (text != null && text.length <= 1024 * 1024) {
                SPARE.set(text);
            }
            text = null;
            length = -1;
        }
    }

    /**
     * Why the accepted connection {@code c} on the channel at {@code socketPath}
     * is not from the process {@code pid} of this user, or null when it is.
     */
    static String whyNotFrom(SocketChannel c, Path socketPath, long pid, UnixTable table) {
        return whyNotFrom(List.of(c), socketPath, pid, table).get(0);
    }

    /**
     * For each accepted connection on the channel at {@code socketPath}, why it
     * is not from the process {@code pid} of this user, or null when it is. The
     * connections are checked together: one reading of {@code /proc/net/unix} and
     * one listing of the process's descriptors serve them all (the backend's two
     * connections cost the frontend one check, not two); when they fail together,
     * each is checked alone, so a good one is not refused for a bad one.
     */
    static List<String> whyNotFrom(List<SocketChannel> cs, Path socketPath, long pid, UnixTable table) {
        String[] why = new String[cs.size()];
        List<Path> names = new java.util.ArrayList<>();
        List<Integer> candidates = new java.util.ArrayList<>();
        for (int i = 0; i < cs.size(); i++) {
            try {
                requireSameUser(cs.get(i));
                if (!(cs.get(i).getRemoteAddress() instanceof java.net.UnixDomainSocketAddress a)
                        || !(a.getPath().equals(clientName(socketPath, 0))
                                || a.getPath().equals(clientName(socketPath, 1)))) {
                    why[i] = "its peer is not bound at one of the backend's names";
                    continue;
                }
                names.add(a.getPath());
                candidates.add(i);
            } catch (IOException | RuntimeException e) {
                why[i] = e.getMessage();
            }
        }
        try {
            if (!names.isEmpty()) {
                requireHeldBy(names, pid, table);
            }
        } catch (IOException | RuntimeException together) {
            for (int k = 0; k < names.size(); k++) {
                try {
                    requireHeldBy(List.of(names.get(k)), pid, table);
                } catch (IOException | RuntimeException e) {
                    why[candidates.get(k)] = e.getMessage();
                }
            }
        }
        return java.util.Arrays.asList(why);
    }
}
