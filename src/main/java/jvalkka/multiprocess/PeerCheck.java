package jvalkka.multiprocess;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import jnr.ffi.LibraryLoader;
import jnr.ffi.byref.IntByReference;

/**
 * Who is at the other end of a process channel, proven by the kernel before a
 * byte of the handshake is trusted: the peer's user through
 * {@link ExtendedSocketOptions#SO_PEERCRED} (the JDK), and its pid.
 *
 * <p>The backend checks that the socket it connected to is listened on by its
 * parent (the pid from its boot line, a pipe from the parent): the listening
 * socket bound at the channel's bind name ({@code /proc/net/unix}) must be one
 * of the parent's descriptors ({@code /proc/<ppid>/fd}). No native call, so no
 * start-up cost for a backend. The frontend checks that an accepted connection
 * comes from its child's pid with {@code getsockopt(SO_PEERCRED)} through
 * jnr-ffi; where that is not available it relies on the user check alone.
 */
final class PeerCheck {
    private PeerCheck() {
    }

    /** Throws unless the peer of {@code ch} runs as this JVM's user. */
    static void requireSameUser(SocketChannel ch) throws IOException {
        UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        UserPrincipal me = Files.getOwner(Path.of("/proc/self"));
        if (!peer.user().equals(me)) {
            throw new IOException("the peer runs as user " + peer.user().getName() + ", not as "
                    + me.getName());
        }
    }

    /**
     * The name a channel's server socket is bound at before it is renamed to
     * {@code socketPath} (once its mode is 0600): {@code .<name>} beside it.
     */
    static Path bindName(Path socketPath) {
        return socketPath.resolveSibling("." + socketPath.getFileName());
    }

    /**
     * Throws unless the socket listening at {@code socketPath} (bound at
     * {@link #bindName}) is held by the process {@code pid}. Call it after
     * connecting: the connection's peer is that listener.
     */
    static void requireListenerPid(Path socketPath, long pid) throws IOException {
        String bound = bindName(socketPath).toString();
        String inode = null;
        for (String line : Files.readAllLines(Path.of("/proc/net/unix"), StandardCharsets.UTF_8)) {
            // Num RefCount Protocol Flags Type St Inode Path
            String[] f = line.trim().split("\\s+", 8);
            if (f.length == 8 && f[7].equals(bound) && (Long.parseLong(f[3], 16) & 0x10000) != 0) {
                inode = "socket:[" + f[6] + "]";
            }
        }
        if (inode == null) {
            throw new IOException("no socket listens at " + socketPath);
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(inode)) {
                        return;
                    }
                } catch (IOException closedMeanwhile) {
                    // next descriptor
                }
            }
        }
        throw new IOException("the socket at " + socketPath + " is not the frontend's (pid " + pid + ")");
    }

    /** libc's socket calls, loaded on first need in the frontend. */
    public interface LibC {
        int getsockopt(int fd, int level, int name, byte[] value, IntByReference length);

        int getsockname(int fd, byte[] address, IntByReference length);
    }

    private static final class Native {
        static final LibC LIBC = load();

        private static LibC load() {
            if (!System.getProperty("os.name", "").startsWith("Linux")) {
                return null;
            }
            try {
                return LibraryLoader.create(LibC.class).load("c");
            } catch (Throwable t) {
                return null;
            }
        }
    }

    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SO_ACCEPTCONN = 30;

    /**
     * The pids of the peers of this JVM's accepted connections on the server
     * socket bound at {@code bound}, or null when they cannot be learnt here
     * (no libc through jnr-ffi). Call it right after accepting one connection and
     * before accepting the next: the connections accepted earlier were checked
     * then, so a stranger among the pids is the new one.
     */
    static long[] acceptedPeerPids(Path bound) throws IOException {
        LibC c = Native.LIBC;
        if (c == null) {
            return null;
        }
        byte[] want = bound.toString().getBytes(StandardCharsets.UTF_8);
        long[] pids = new long[4];
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fdPath : fds) {
                String link;
                int fd;
                try {
                    link = Files.readSymbolicLink(fdPath).toString();
                    fd = Integer.parseInt(fdPath.getFileName().toString());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (!link.startsWith("socket:") || !boundAt(c, fd, want)) {
                    continue;
                }
                byte[] v = new byte[12];
                IntByReference len = new IntByReference(4);
                if (c.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, v, len) != 0 || v[0] != 0) {
                    continue; // the listening socket itself
                }
                len = new IntByReference(12);
                if (c.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, v, len) != 0) {
                    continue;
                }
                if (n == pids.length) {
                    pids = java.util.Arrays.copyOf(pids, n * 2);
                }
                pids[n++] = (v[0] & 0xff) | (v[1] & 0xff) << 8 | (v[2] & 0xff) << 16 | (v[3] & 0xff) << 24;
            }
        }
        return java.util.Arrays.copyOf(pids, n);
    }

    private static boolean boundAt(LibC c, int fd, byte[] want) {
        byte[] addr = new byte[110]; // struct sockaddr_un: a 2-byte family, then up to 108 bytes of path
        IntByReference len = new IntByReference(addr.length);
        if (c.getsockname(fd, addr, len) != 0 || (addr[0] | addr[1] << 8) != 1 /* AF_UNIX */) {
            return false;
        }
        int end = Math.min(len.getValue(), addr.length);
        int pathLen = 0;
        while (2 + pathLen < end && addr[2 + pathLen] != 0) {
            pathLen++;
        }
        return pathLen == want.length && java.util.Arrays.equals(addr, 2, 2 + pathLen, want, 0, want.length);
    }
}
