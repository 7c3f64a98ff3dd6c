package jvalkka.shm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this JVM owns outside itself, written down so that a crash does not leak it.
 *
 * <p>Segment names are the user's ({@code "my-shm-1"}), so they cannot carry an
 * owner tag; instead each JVM keeps a small record,
 * {@code /tmp/jvalkka-<uid>/run/<pid>.rec} (directory mode 0700), listing the
 * segments it created and has not unlinked (by name and inode) and the child
 * processes the multiprocess core registered (by pid, process start time and a
 * digest of the command line). The record (mode 0600) is rewritten atomically
 * (write, then rename) on every change and only then, and it exists only while
 * it lists something; a child added to a record that exists is appended as one
 * line instead (a JVM starting a hundred backends wrote a hundred growing copies:
 * a new file, a mode change and a rename each). A reader that catches an append
 * half-written sees a last line cut short, which a sweep cannot act on (its
 * fields are missing or do not match the process: see {@code sweepLine}).
 *
 * <p>At a normal exit a shutdown hook unlinks the listed segments that still
 * exist and deletes the record. After a crash (kill -9) the record stays;
 * {@link #sweepStale()} (run once lazily by the first JVM use, and by
 * {@link Cleanup}) finds records whose JVM is gone, unlinks their segments that
 * still exist (only if the name still refers to the same inode), SIGKILLs their
 * listed children that are still alive (only if the start time and the command
 * line match, so a reused pid is never killed) and deletes the record. Nothing
 * that is not recorded is ever touched.
 *
 * <p>{@code /tmp} is shared, so a record is trusted only if it is a regular file
 * of this user with mode 0600 in a directory of this user with mode 0700 (see
 * {@link PrivateDir}): a record another user planted is never obeyed, and the
 * directory is never created in or chmodded when another user owns it.
 *
 * <p>Thread-safe. The directory can be moved with the system property
 * {@value #DIR_PROPERTY} (the tests use a private one).
 */
public final class RunRecord {
    /**
     * System property naming this user's run directory (default {@code /tmp/jvalkka-<uid>}, under
     * {@code java.io.tmpdir}): the records live in its {@code run/}, the process channels' socket
     * files in its {@code sock/}.
     */
    public static final String DIR_PROPERTY = "jvalkka.run.dir";

    /** Where POSIX shared memory segments live ({@code SharedMemory.DIRECTORY}). */
    public static final Path SHM_DIRECTORY = Path.of("/dev/shm");
    /** The longest segment name ({@code SharedMemory.MAX_NAME_LENGTH}). */
    public static final int MAX_SEGMENT_NAME_LENGTH = 255;

    private static final Logger LOG = LoggerFactory.getLogger(RunRecord.class);
    private static final String MAGIC = "jvalkka-run-record 1";
    private static volatile RunRecord instance;

    private final Path dir;
    private final Path file;
    private final Path tmp;
    private final Map<String, Segment> segments = new LinkedHashMap<>();
    private final Map<Long, Child> children = new LinkedHashMap<>();
    private boolean written;
    private boolean broken;
    /** How many times the whole record was written (see {@link #fullWrites()}). */
    private int fullWrites;

    private record Segment(String name, long dev, long ino) {
    }

    private record Child(long pid, long start, String command, String description) {
    }

    private RunRecord(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(Proc.pid() + ".rec");
        this.tmp = dir.resolve(Proc.pid() + ".rec.tmp");
    }

    /**
     * A record of this JVM in {@code dir}, without the sweep and the exit clean-up of
     * {@link #get()}: for tests, which delete what it wrote.
     */
    static RunRecord in(Path dir) throws IOException {
        prepareDirectory(dir);
        return new RunRecord(dir);
    }

    /** How many times the whole record was written (write, then rename) since this object was made. */
    synchronized int fullWrites() {
        return fullWrites;
    }

    /**
     * This JVM's record. The first call prepares the directory, sweeps stale
     * records of dead JVMs once, and adds its clean-up to the {@link ExitSequence}.
     *
     * @return this JVM's record
     */
    public static RunRecord get() {
        RunRecord r = instance;
        if (r == null) {
            synchronized (RunRecord.class) {
                r = instance;
                if (r == null) {
                    r = new RunRecord(defaultDirectory());
                    try {
                        prepareDirectory(r.dir);
                        SweepResult swept = sweepStale(r.dir);
                        if (!swept.isEmpty()) {
                            LOG.info("removed what crashed runs left: {}", swept);
                        }
                    } catch (IOException | RuntimeException e) {
                        r.broken = true;
                        LOG.warn("cannot keep a run record in {} ({}); segments of a crashed run will not be"
                                + " found automatically", r.dir, e.toString());
                    }
                    // after the backends stopped (they may use the segments), before the trainer ends
                    ExitSequence.add(ExitSequence.Phase.REMOVE_SEGMENTS, r::exitCleanup);
                    instance = r;
                }
            }
        }
        return r;
    }

    /**
     * The record directory this JVM uses: {@code run/} in the {@link #runDirectory()}.
     *
     * @return the record directory
     */
    public static Path defaultDirectory() {
        return runDirectory().resolve("run");
    }

    /**
     * This user's run directory, the one place that computes it: the {@value #DIR_PROPERTY}
     * property, else {@code <java.io.tmpdir>/jvalkka-<uid>} (not created here).
     */
    public static Path runDirectory() {
        String p = System.getProperty(DIR_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        return PrivateDir.root();
    }

    /**
     * The private directory {@code <name>} in the {@link #runDirectory()}, created with mode 0700 if missing, and refused
     * (an {@link IOException} saying why) if it or its parent is a symbolic link
     * or belongs to another user. For the multiprocess core's socket files.
     *
     * @param name the name
     * @return the private directory {@code /tmp/jvalkka-<uid>/<name>} (under {@code java.io.tmpdir}), created with mode 0700 if missing, and refused (an {@link IOException} saying why) if it or its parent is a symbolic link or belongs to another user
     * @throws IOException when the operating system refuses
     */
    public static Path privateDirectory(String name) throws IOException {
        if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("not a plain directory name: " + name);
        }
        return PrivateDir.ensure(runDirectory().resolve(name));
    }

    /**
     * The private directory for the multiprocess core's socket files: {@link #privateDirectory}
     * {@code ("sock")}, except where the run directory is the default one in {@code /tmp} (neither
     * {@value #DIR_PROPERTY} nor {@code java.io.tmpdir} set elsewhere), {@code /tmp} is on a disk and
     * {@code /dev/shm} in memory: then {@code /dev/shm/jvalkka-<uid>/sock}, made and checked the same
     * way. A socket file lives for the moment of a handshake, but its bind, mode change, rename and
     * removal are a disk file system's metadata changes: on ext4 they cost the frontend some 0.3 ms of
     * every start, and the backend's two binds more, against a tenth of that in memory.
     *
     * @return the directory, created with mode 0700 if missing
     * @throws IOException when the operating system refuses, or it cannot be trusted (see
     *         {@link #privateDirectory})
     */
    public static Path socketDirectory() throws IOException {
        Path shm = Path.of("/dev/shm");
        String dir = System.getProperty(DIR_PROPERTY);
        if ((dir == null || dir.isBlank()) && Path.of(System.getProperty("java.io.tmpdir", "/tmp")).normalize()
                .equals(Path.of("/tmp")) && !inMemory(Path.of("/tmp")) && inMemory(shm)) {
            return PrivateDir.ensure(shm.resolve(PrivateDir.root().getFileName()).resolve("sock"));
        }
        return privateDirectory("sock");
    }

    /** Whether {@code dir} is a directory on a file system in memory (tmpfs). */
    private static boolean inMemory(Path dir) {
        try {
            return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && Files.getFileStore(dir).type().equals("tmpfs");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * This JVM's record file (it exists only while something is recorded).
     *
     * @return this JVM's record file (it exists only while something is recorded)
     */
    public Path file() {
        return file;
    }

    /** Whether a launched child's command words give the digest {@code /proc} gives: 0 not known yet, 1 yes, -1 no. */
    private int commandWordsRead;

    /** Records a segment this JVM created. */
    public synchronized void addSegment(String name, long dev, long ino) {
        segments.put(name, new Segment(name, dev, ino));
        rewrite();
    }

    /** Forgets a segment this JVM created, once unlinked (only the entry for that inode). */
    public synchronized void removeSegment(String name, long ino) {
        Segment s = segments.get(name);
        if (s != null && s.ino == ino) {
            segments.remove(name);
            rewrite();
        }
    }

    /**
     * Records a child process so that a sweep kills it if this JVM dies without
     * ending it. Its start time and command line are read now; the sweep kills
     * the pid only if the process there still has both. Does nothing if
     * {@code pid} is not running.
     *
     * @param pid the child's pid
     * @param description what the child is
     */
    public synchronized void addChild(long pid, String description) {
        long start = Proc.startTicks(pid);
        String command = Proc.commandDigest(pid);
        if (start < 0 || command == null || Proc.startTicks(pid) != start) {
            return;
        }
        add(new Child(pid, start, command, printable(description)));
    }

    /**
     * {@link #addChild(long, String)} for a child this JVM launched with {@code command}: its
     * command line's digest is made from those words, not read from {@code /proc} (with the
     * second look at its start time that reading needed, a tenth of a millisecond of every
     * backend's start). The first such child of this JVM is also read the other way; if the two
     * differ, every child is read from {@code /proc}, so a sweep always finds what it compares.
     *
     * @param pid the child's pid
     * @param description what the child is
     * @param command what it was launched with (its {@code argv})
     */
    public synchronized void addChild(long pid, String description, List<String> command) {
        if (commandWordsRead < 0) {
            addChild(pid, description);
            return;
        }
        String digest = Proc.commandDigest(command);
        if (commandWordsRead == 0) {
            String read = Proc.commandDigest(pid);
            if (read == null) {
                return; // gone already: nothing to record, nothing learnt
            }
            commandWordsRead = read.equals(digest) ? 1 : -1;
            if (commandWordsRead < 0) {
                addChild(pid, description);
                return;
            }
        }
        long start = Proc.startTicks(pid);
        if (start < 0 || digest == null) {
            return;
        }
        // a pid reused before the look at its start time is recorded with a stranger's start but our command
        // line's digest: a sweep compares both, and ends nothing of the stranger's
        add(new Child(pid, start, digest, printable(description)));
    }

    private void add(Child c) {
        if (children.put(c.pid, c) != null || !written || broken) {
            rewrite(); // a pid recorded before is replaced, not listed twice; the first entry writes the header
        } else {
            append(c);
        }
    }

    /** {@code description} with its control characters (a line break among them) as spaces; "" for null. */
    private static String printable(String description) {
        if (description == null) {
            return "";
        }
        char[] cs = description.toCharArray();
        for (int i = 0; i < cs.length; i++) {
            if (Character.isISOControl(cs[i])) {
                cs[i] = ' ';
            }
        }
        return new String(cs);
    }

    private static void appendLine(StringBuilder sb, Child c) {
        sb.append("child ").append(c.pid).append(' ').append(c.start).append(' ').append(c.command)
                .append(' ').append(c.description).append('\n');
    }

    /**
     * Appends the line of {@code c} to the record written before (in one write; the file keeps its
     * mode 0600). When that fails, the whole record is rewritten.
     */
    private void append(Child c) {
        StringBuilder sb = new StringBuilder(128);
        appendLine(sb, c);
        try (var ch = Files.newByteChannel(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                LinkOption.NOFOLLOW_LINKS))) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            rewrite(); // gone (a sweep of another JVM cannot take a live JVM's record, but the user can): write it anew
        }
    }

    /**
     * Forgets a child (it ended, or was ended by the core).
     *
     * @param pid the process id
     */
    public synchronized void removeChild(long pid) {
        if (children.remove(pid) != null) {
            rewrite();
        }
    }

    /**
     * The segment names currently recorded (a copy).
     *
     * @return the segment names currently recorded (a copy)
     */
    public synchronized List<String> segmentNames() {
        return new ArrayList<>(segments.keySet());
    }

    /**
     * The child pids currently recorded (a copy).
     *
     * @return the child pids currently recorded (a copy)
     */
    public synchronized List<Long> childPids() {
        return new ArrayList<>(children.keySet());
    }

    private void rewrite() {
        if (broken) {
            return;
        }
        try {
            if (segments.isEmpty() && children.isEmpty()) {
                if (written) {
                    Files.deleteIfExists(file);
                    written = false;
                }
                return;
            }
            StringBuilder sb = new StringBuilder(128);
            sb.append(MAGIC).append('\n');
            sb.append("pid ").append(Proc.pid()).append('\n');
            sb.append("start ").append(Proc.selfStartTicks()).append('\n');
            for (Segment s : segments.values()) {
                sb.append("segment ").append(s.dev).append(' ').append(s.ino).append(' ').append(s.name).append('\n');
            }
            for (Child c : children.values()) {
                appendLine(sb, c);
            }
            Files.deleteIfExists(tmp);
            try (var ch = Files.newByteChannel(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PrivateDir.FILE_MODE))) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            // the umask can only have taken bits away; the sweep trusts exactly 0600
            Files.setPosixFilePermissions(tmp, PrivateDir.FILE_MODE);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            written = true;
            fullWrites++;
        } catch (IOException e) {
            LOG.warn("cannot update run record {}: {}", file, e.toString());
        }
    }

    private synchronized void exitCleanup() {
        for (Segment s : segments.values()) {
            unlinkIfSame(SHM_DIRECTORY.resolve(s.name), s.dev, s.ino);
        }
        segments.clear();
        children.clear(); // the core ends its children; the record only matters after a crash
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // nothing more can be done while the JVM exits
        }
    }

    /** Unlinks {@code path} if it still is the inode we recorded; true if it did. */
    public static boolean unlinkIfSame(Path path, long dev, long ino) {
        try {
            long d = ((Number) Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
            long i = ((Number) Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
            if (d != dev || i != ino) {
                return false; // the name was unlinked and reused by someone else: not ours any more
            }
            Files.delete(path);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static void prepareDirectory(Path dir) throws IOException {
        PrivateDir.ensure(dir);
    }

    /**
     * Sweeps the default directory; see {@link #sweepStale(Path)}.
     *
     * @return what was removed
     */
    public static SweepResult sweepStale() {
        return sweepStale(defaultDirectory());
    }

    /**
     * Finds the records in {@code dir} whose JVM is gone (its pid is not running,
     * or runs a process with another start time) and removes what they list:
     * segments that still exist with the recorded inode are unlinked, children
     * still running with the recorded start time and command line are killed
     * with SIGKILL, and the record is deleted. Records of live JVMs and anything
     * unrecorded are left alone. Only a directory of this user with mode 0700 is
     * read, and in it only record files of this user with mode 0600 (others are
     * logged and left alone). Safe to run from several JVMs at once.
     *
     * @param dir the directory of run records
     * @return what was removed
     */
    public static SweepResult sweepStale(Path dir) {
        SweepResult result = new SweepResult();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return result;
        }
        if (!PrivateDir.isTrustedDirectory(dir)) {
            LOG.warn("not sweeping {}: it is not a directory of this user with mode 0700", dir);
            return result;
        }
        // two passes: a child killed in the first may have left a record of its own
        for (int pass = 0; pass < 2; pass++) {
            List<Long> killed = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.rec")) {
                for (Path rec : ds) {
                    sweepOne(rec, result, killed);
                }
            } catch (IOException e) {
                LOG.warn("cannot list {}: {}", dir, e.toString());
            }
            if (killed.isEmpty()) {
                break;
            }
            awaitGone(killed, 2000);
        }
        return result;
    }

    private static void sweepOne(Path rec, SweepResult result, List<Long> killed) {
        List<String> lines = staleRecordLines(rec);
        if (lines == null) {
            return;
        }
        for (String line : lines) {
            try {
                sweepLine(line, result, killed);
            } catch (NumberFormatException malformed) {
                // skip the line
            }
        }
        deleteRecord(rec, result);
    }

    /**
     * The lines of {@code rec} if it is a stale record of this user to sweep: named after a pid,
     * a trusted file (of this user, mode 0600) with the magic line, whose JVM (pid and start time) is
     * not alive and is not this one. Null otherwise (not ours to judge, gone, or malformed).
     */
    private static List<String> staleRecordLines(Path rec) {
        String fileName = rec.getFileName().toString();
        String pidText = fileName.substring(0, fileName.length() - ".rec".length());
        if (!pidText.matches("[0-9]{1,10}")) {
            return null;
        }
        long namedPid = Long.parseLong(pidText);
        if (namedPid == Proc.pid() || ProcessHandle.of(namedPid).isPresent() && !PrivateDir.isTrustedFile(rec)) {
            return null; // ours, or a live JVM's record (perhaps written by an older version): not ours to judge
        }
        if (!PrivateDir.isTrustedFile(rec)) {
            LOG.warn("ignoring run record {}: it is not a file of this user with mode 0600", rec);
            return null;
        }
        List<String> lines;
        try (var in = Files.newInputStream(rec, LinkOption.NOFOLLOW_LINKS)) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (NoSuchFileException gone) {
            return null; // its JVM exited, or another sweeper got there first
        } catch (IOException e) {
            return null;
        }
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            return null; // not ours to judge
        }
        long pid = -1;
        long start = -2;
        for (String line : lines) {
            if (line.startsWith("pid ")) {
                pid = Long.parseLong(line.substring(4).trim());
            } else if (line.startsWith("start ")) {
                start = Long.parseLong(line.substring(6).trim());
            }
        }
        if (pid != namedPid || pid == Proc.pid() || Proc.isSameProcessAlive(pid, start)) {
            return null; // a live JVM's record (or a malformed one)
        }
        return lines;
    }

    /**
     * One line of a stale record: a segment is unlinked if its name still names the recorded
     * file (device and inode); a child is killed if its pid, start time and command line are all
     * still the recorded child's. Other lines are left alone.
     *
     * @throws NumberFormatException for a malformed number (the line is skipped)
     */
    private static void sweepLine(String line, SweepResult result, List<Long> killed) {
        String[] f = line.split(" ", line.startsWith("child ") ? 5 : 4);
        if (f[0].equals("segment") && f.length == 4) {
            long dev = Long.parseLong(f[1]);
            long ino = Long.parseLong(f[2]);
            if (isValidSegmentName(f[3])
                    && unlinkIfSame(SHM_DIRECTORY.resolve(f[3]), dev, ino)) {
                result.segments.add(f[3]);
            }
        } else if (f[0].equals("child") && f.length >= 4) {
            long cpid = Long.parseLong(f[1]);
            long cstart = Long.parseLong(f[2]);
            // the pid, its start time and its command line must all still be the recorded child's
            if (cpid != Proc.pid() && Proc.isSameProcessAlive(cpid, cstart)
                    && f[3].equals(Proc.commandDigest(cpid))) {
                ProcessHandle.of(cpid).ifPresent(ProcessHandle::destroyForcibly);
                killed.add(cpid);
                result.children.add(cpid + (f.length == 5 && !f[4].isEmpty() ? " (" + f[4] + ")" : ""));
            }
        }
    }

    /** Deletes the swept record {@code rec} (and a temporary file of it left by its writer). */
    private static void deleteRecord(Path rec, SweepResult result) {
        try {
            if (Files.deleteIfExists(rec)) {
                result.records.add(rec);
            }
            Files.deleteIfExists(rec.resolveSibling(rec.getFileName() + ".tmp"));
        } catch (IOException e) {
            LOG.warn("cannot delete stale record {}: {}", rec, e.toString());
        }
    }

    private static void awaitGone(List<Long> pids, long millis) {
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(h -> {
                try {
                    h.onExit().get(millis, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    // still there (or not ours to wait for): the next sweep will see it
                }
            });
        }
    }

    /** What a sweep removed. */
    public static final class SweepResult {
        private final List<String> segments = new ArrayList<>();
        private final List<String> children = new ArrayList<>();
        private final List<Path> records = new ArrayList<>();

        /**
         * Names of the segments unlinked.
         *
         * @return names of the segments unlinked
         */
        public List<String> segments() {
            return segments;
        }

        /**
         * Children killed, as {@code "pid (description)"}.
         *
         * @return the children killed, as {@code "pid (description)"}
         */
        public List<String> children() {
            return children;
        }

        /**
         * Stale records deleted.
         *
         * @return the stale records deleted
         */
        public List<Path> records() {
            return records;
        }

        /** {@return whether nothing was found} */
        public boolean isEmpty() {
            return segments.isEmpty() && children.isEmpty() && records.isEmpty();
        }

        @Override
        public String toString() {
            return "segments " + segments + ", children killed " + children + ", records " + records;
        }
    }

    /** Whether {@code name} is acceptable as a segment name ({@code SharedMemory.isValidName}). */
    public static boolean isValidSegmentName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_SEGMENT_NAME_LENGTH || name.equals(".")
                || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ' ' || Character.isISOControl(c)) {
                return false;
            }
        }
        return true;
    }
}
