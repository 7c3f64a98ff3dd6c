package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jvalkka.shm.internal.ExitSequence;

/**
 * Application class-data sharing for backend JVMs: the lever that brings a
 * backend's start from about 270 ms to about 100 ms and keeps its memory small.
 *
 * <p>A CDS archive can only hold classes that come from jars, and a JVM uses it
 * only when its class path starts with the class path the archive was made with.
 * So each directory on a backend's class path (a build tree's {@code classes})
 * is replaced, in its place, by a jar snapshot of it, keyed by its content, made
 * when the first backend with that class path starts in this JVM: the order never
 * changes, so a class or resource in a directory and in a later jar comes from
 * the directory in the backend as in the frontend. (Moving the directories after
 * the jars, and archiving the jars alone, would start backends as fast but load
 * the jar's copy; leaving such a class path unarchived would cost each backend
 * start some 170 ms.) Files added to such a directory later in this JVM's life
 * reach backends only with {@code -Djvalkka.cds=false}. The archive is made once per JDK,
 * JVM options and set of jars, in the background by {@link CdsTrainer} (which
 * runs a backend's real start path) the first time a backend starts without one,
 * and kept in
 * {@code $XDG_CACHE_HOME/jvalkka/cds} (default {@code ~/.cache/jvalkka/cds}).
 * A backend started before the archive is ready simply starts without it.
 *
 * <p>Turn it off with {@code -Djvalkka.cds=false}. Thread-safe.
 */
final class ClassDataSharing {
    private static final Logger LOG = LoggerFactory.getLogger(ClassDataSharing.class);
    private static final boolean ENABLED = !"false".equals(System.getProperty("jvalkka.cds"));
    private static final ConcurrentHashMap<String, Plan> PLANS = new ConcurrentHashMap<>();
    private static final int KEEP_FILES = 24; // a class path has a snapshot per directory
    /**
     * Map the archive where it was made to be mapped. JDK 17 updates and later map it
     * at a random address by default, and then rewrite its pointers: every backend
     * copies some 16 MB of archive pages instead of sharing them, which costs each
     * start about 10 ms of CPU and a hundred starting backends their page-fault time.
     * The price is that the archive's address is not randomised in backends.
     * The option exists from JDK 14 to at least 25; {@code -Djvalkka.cds.relocate=true}
     * keeps the JDK's default, as does an {@code ArchiveRelocationMode} in the JVM options.
     */
    private static final boolean ARCHIVE_AT_BASE = !Boolean.getBoolean("jvalkka.cds.relocate")
            && Runtime.version().feature() >= 14 && Runtime.version().feature() <= 25;

    private ClassDataSharing() {
    }

    /** The class path and extra JVM options of a backend launched with {@code jvmArgs}. */
    record Plan(String classPath, List<String> jvmArgs, Path archive, List<String> archiveClassPath,
            List<String> backendJvmArgs) {
        Plan withArchiveIfReady() {
            return withArchiveIfReadyImpl(this);
        }

        /** Whether every jar is still there (the cache's pruning may remove an old snapshot). */
        boolean jarsExist() {
            for (String j : archiveClassPath) {
                if (!Files.isRegularFile(Path.of(j))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The plan for backends with {@code jvmArgs} and the class path {@code classPath}
     * (see {@link BackendClassPath}).
     */
    static Plan plan(List<String> jvmArgs, List<String> classPath) {
        if (!ENABLED) {
            return none(jvmArgs, classPath);
        }
        String key = String.join("\u0000", jvmArgs) + "\u0001" + String.join("\u0000", classPath);
        Plan p = PLANS.computeIfAbsent(key, k -> build(String.join(File.pathSeparator, classPath), jvmArgs));
        if (!p.jarsExist()) {
            PLANS.remove(key, p);
            p = PLANS.computeIfAbsent(key, k -> build(String.join(File.pathSeparator, classPath), jvmArgs));
        }
        return p.withArchiveIfReady();
    }

    /** A plan without an archive: the class path as it is. */
    static Plan none(List<String> jvmArgs, List<String> classPath) {
        return new Plan(String.join(File.pathSeparator, classPath), List.of(), null, List.of(), jvmArgs);
    }

    private static Plan build(String parentCp, List<String> jvmArgs) {
        try {
            Path cache = cacheDir();
            // every entry keeps its place: a class or resource in a directory and in a later jar must come
            // from the directory in the backend too, as it does in the frontend
            List<String> jars = new ArrayList<>();
            for (String e : parentCp.split(File.pathSeparator)) {
                Path p = e.isEmpty() ? null : Path.of(e);
                if (p == null) {
                    continue;
                } else if (e.endsWith("*") && (e.length() == 1 || e.endsWith(File.separator + "*"))) {
                    jars.addAll(wildcard(e)); // the java launcher's dir/* form, as it expands it
                } else if (Files.isRegularFile(p)) {
                    jars.add(e);
                } else if (Files.isDirectory(p)) {
                    jars.add(snapshotJar(p, cache).toString());
                } // else there is nothing to load from it, here or there
            }
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            update(d, System.getProperty("java.home"));
            update(d, System.getProperty("java.vm.version"));
            for (String a : jvmArgs) {
                update(d, a);
            }
            for (String j : jars) {
                BasicFileAttributes at = Files.readAttributes(Path.of(j), BasicFileAttributes.class);
                update(d, j + "|" + at.size() + "|" + at.lastModifiedTime().toMillis());
            }
            String key = HexFormat.of().formatHex(d.digest()).substring(0, 24);
            Path archive = cache.resolve("backend-" + key + ".jsa");
            return new Plan(String.join(File.pathSeparator, jars), List.of(), archive, List.copyOf(jars),
                    List.copyOf(jvmArgs));
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            LOG.debug("class-data sharing is off for backends: {}", e.toString());
            return new Plan(parentCp, List.of(), null, List.of(), jvmArgs);
        }
    }

    /** The jars a class path entry {@code dir/*} stands for: those in {@code dir}, sorted by name. */
    private static List<String> wildcard(String entry) throws IOException {
        Path dir = Path.of(entry.length() == 1 ? "." : entry.substring(0, entry.length() - 2));
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.toString().endsWith(".jar") || f.toString().endsWith(".JAR"))
                    .filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        }
    }

    private static void update(MessageDigest d, String s) {
        d.update(s.getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
    }

    private static final ConcurrentHashMap<Path, Boolean> TRAINING = new ConcurrentHashMap<>();

    /** Supplies the archive options once the archive exists; starts making it otherwise. */
    private static Plan withArchiveIfReadyImpl(Plan p) {
        if (p.archive == null) {
            return p;
        }
        if (Files.isRegularFile(p.archive)) {
            boolean atBase = ARCHIVE_AT_BASE
                    && p.backendJvmArgs.stream().noneMatch(a -> a.startsWith("-XX:ArchiveRelocationMode="));
            return new Plan(p.classPath, atBase ? List.of("-XX:SharedArchiveFile=" + p.archive, "-Xshare:auto",
                    "-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-XX:+UnlockDiagnosticVMOptions",
                    "-XX:ArchiveRelocationMode=0") : List.of("-XX:SharedArchiveFile=" + p.archive, "-Xshare:auto",
                    "-Xlog:cds=off", "-Xlog:cds+dynamic=off"), p.archive, p.archiveClassPath, p.backendJvmArgs);
        }
        if (TRAINING.putIfAbsent(p.archive, Boolean.TRUE) == null) {
            Thread t = new Thread(() -> trainOnce(p), "jvalkka-cds-trainer");
            t.setDaemon(true);
            t.start();
        }
        return p;
    }

    /**
     * Makes the archive for backends with {@code jvmArgs} now, waiting for it.
     * @return whether backends will start with an archive
     */
    static boolean prepare(List<String> jvmArgs, List<String> classPath) {
        Plan p = plan(jvmArgs, classPath);
        if (p.archive == null) {
            return false;
        }
        TRAINING.put(p.archive, Boolean.TRUE);
        trainOnce(p); // after the background trainer plan() may just have started, if it did
        return Files.isRegularFile(p.archive);
    }

    /**
     * Trains unless the archive exists, one trainer at a time: two trainers in this
     * JVM would share the temporary archive's name.
     */
    private static void trainOnce(Plan p) {
        synchronized (ClassDataSharing.class) {
            if (!Files.isRegularFile(p.archive)) {
                train(p);
            }
        }
    }

    private static void train(Plan p) {
        Path tmp = p.archive.resolveSibling(p.archive.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(p.backendJvmArgs);
            cmd.addAll(BackendCommand.backendProperties(p.backendJvmArgs, true));
            cmd.addAll(BackendCommand.jdkOptions(p.backendJvmArgs, true));
            cmd.add("-XX:ArchiveClassesAtExit=" + tmp);
            cmd.add("-Xlog:cds=off");
            cmd.add("-Xlog:cds+dynamic=off");
            cmd.add("-cp");
            cmd.add(String.join(File.pathSeparator, p.archiveClassPath));
            cmd.add(CdsTrainer.class.getName());
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            // a trainer must not outlive this JVM: if we exit first, end it and drop its partial archive
            Runnable reaper = () -> {
                proc.destroyForcibly();
                try {
                    proc.waitFor(5, TimeUnit.SECONDS);
                    Files.deleteIfExists(tmp);
                } catch (IOException | InterruptedException ignored) {
                    // best effort at exit; a stray temporary file is pruned later
                }
            };
            ExitSequence.add(ExitSequence.Phase.ARCHIVE_TRAINER, reaper); // last: after backends and segments
            boolean done;
            try {
                done = proc.waitFor(120, TimeUnit.SECONDS);
            } finally {
                ExitSequence.remove(ExitSequence.Phase.ARCHIVE_TRAINER, reaper); // the trainer is done: nothing to end at exit
            }
            if (!done) {
                proc.destroyForcibly();
                LOG.debug("the CDS trainer took too long: backends start without an archive");
                return;
            }
            if (proc.exitValue() == 0 && Files.size(tmp) > 0) {
                Files.move(tmp, p.archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                prune(p.archive.getParent());
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            LOG.debug("the CDS trainer failed: {}", e.toString());
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray temporary archive in our cache directory is harmless and pruned later
            }
        }
    }

    /** A jar of jvalkka's classes directory, named by a digest of its content. */
    private static Path snapshotJar(Path dir, Path cache) throws IOException, NoSuchAlgorithmException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        for (Path f : files) {
            BasicFileAttributes at = Files.readAttributes(f, BasicFileAttributes.class);
            update(d, dir.relativize(f) + "|" + at.size() + "|" + at.lastModifiedTime().toMillis());
        }
        Path jar = cache.resolve("classes-" + HexFormat.of().formatHex(d.digest()).substring(0, 24) + ".jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        Path tmp = cache.resolve(jar.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(os)) {
            for (Path f : files) {
                JarEntry e = new JarEntry(dir.relativize(f).toString().replace(File.separatorChar, '/'));
                e.setTime(Files.getLastModifiedTime(f).toMillis());
                out.putNextEntry(e);
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return jar;
    }

    /**
     * The cache directory. Its snapshot jars stand on backends' class paths for
     * directories, so it must be this user's alone: the directory and its parent must be
     * this user's (not links) and writable by nobody else; otherwise class-data
     * sharing is off (and says why).
     */
    private static Path cacheDir() throws IOException {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        Path dir = Files.createDirectories(base.resolve("jvalkka").resolve("cds"));
        java.nio.file.attribute.UserPrincipal me = Files.getOwner(Path.of("/proc/self"));
        for (Path p : List.of(dir.getParent(), dir)) {
            java.nio.file.attribute.PosixFileAttributes a = Files.readAttributes(p,
                    java.nio.file.attribute.PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink() || !a.isDirectory() || !a.owner().equals(me)) {
                LOG.warn("class-data sharing is off: {} is not a directory of this user (owner {}{})", p,
                        a.owner().getName(), a.isSymbolicLink() ? ", a symbolic link" : "");
                throw new IOException(p + " is not this user's cache directory");
            }
            var perms = EnumSet.copyOf(a.permissions());
            if (perms.remove(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                    | perms.remove(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
                Files.setPosixFilePermissions(p, perms); // ours: nobody else may put classes there
            }
        }
        return dir;
    }

    /** Keeps the newest few archives and snapshots: every build of the code makes new ones. */
    private static void prune(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            long hourAgo = System.currentTimeMillis() - 3_600_000L;
            List<Path> all = s.filter(f -> f.toString().endsWith(".jsa") || f.toString().endsWith(".jar")
                            || f.toString().endsWith(".tmp") && f.toFile().lastModified() < hourAgo)
                    .sorted(Comparator.comparingLong((Path f) -> f.toFile().lastModified()).reversed()).toList();
            for (Path old : all.subList(Math.min(all.size(), KEEP_FILES), all.size())) {
                Files.deleteIfExists(old);
            }
        } catch (IOException ignored) {
            // pruning is best effort
        }
    }
}
