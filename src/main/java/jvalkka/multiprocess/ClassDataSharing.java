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
 * <p><b>The JDK's ahead-of-time cache.</b> Where the backend's {@code java} is
 * JDK 24 or later ({@link JavaRuntime}), the archive is an AOT cache
 * ({@code -XX:AOTCache}, JEP 483; on JDK 25 it also holds method profiles, JEP
 * 515) instead of a dynamic CDS archive: classes come loaded <em>and linked</em>
 * (measured on JDK 25: a backend's boot CPU about a third below a start without it;
 * JDK 25's JIT threads still make it cost more than JDK 17 with its CDS archive).
 * It is made the same way (the
 * same trainer, in the background, in the same directory, under the same keys:
 * the JDK, the JVM options, the jars) in two steps, {@code -XX:AOTMode=record}
 * then {@code -XX:AOTMode=create}, each a child process of this JVM that ends
 * with it. A cache the JVM cannot use (damaged, or made for other options) is
 * ignored by the JVM ({@code -XX:AOTMode=auto}, the default), silently: the
 * backend starts without it. JDK 17 to 23 get the CDS archive.
 *
 * <p>Backends run by another {@code java} than this JVM's get an archive made by
 * that {@code java}, when its version can be told (JDK 17 or later); otherwise,
 * and when the user's JVM options choose their own sharing ({@code -Xshare:},
 * {@code -XX:SharedArchiveFile}, {@code -XX:AOTCache}, ...), none.
 *
 * <p>Turn it off with {@code -Djvalkka.cds=false}. Thread-safe.
 */
final class ClassDataSharing {
    private static final Logger LOG = LoggerFactory.getLogger(ClassDataSharing.class);
    private static final boolean ENABLED = !"false".equals(System.getProperty("jvalkka.cds"));
    private static final ConcurrentHashMap<String, Plan> PLANS = new ConcurrentHashMap<>();
    private static final int KEEP_FILES = 24; // a class path has a snapshot per directory
    /**
     * Pruning never removes a file younger than this: a snapshot jar may stand on
     * the class path of a backend that a long-lived JVM (a node agent) is starting
     * right now, while other builds fill the cache (plans in use refresh their jars'
     * time, see {@link Plan#jarsExist}).
     */
    private static final long PRUNE_AGE_MILLIS = 3_600_000L;
    /**
     * Map the archive where it was made to be mapped. JDK 17 updates and later map it
     * at a random address by default, and then rewrite its pointers: every backend
     * copies some 16 MB of archive pages instead of sharing them, which costs each
     * start about 10 ms of CPU and a hundred starting backends their page-fault time.
     * The price is that the archive's address is not randomised in backends.
     * The option exists from JDK 14 to at least 25; {@code -Djvalkka.cds.relocate=true}
     * keeps the JDK's default, as does an {@code ArchiveRelocationMode} in the JVM options.
     */
    private static final boolean ARCHIVE_AT_BASE = !Boolean.getBoolean("jvalkka.cds.relocate");
    /** The first JDK with the ahead-of-time cache (JEP 483). */
    static final int AOT_FEATURE = 24;
    /** Options by which the user chooses a JVM's sharing: then backends get none of ours. */
    private static final List<String> OWN_SHARING = List.of("-Xshare:", "-XX:SharedArchiveFile=",
            "-XX:ArchiveClassesAtExit=", "-XX:+AutoCreateSharedArchive", "-XX:AOTCache=", "-XX:AOTMode=",
            "-XX:AOTConfiguration=", "-XX:AOTCacheOutput=");

    private ClassDataSharing() {
    }

    /**
     * The class path and extra JVM options of a backend launched with {@code jvmArgs}
     * by {@code java}, a JDK of feature version {@code feature}; {@code archive} is an
     * AOT cache when {@code feature} is {@link #AOT_FEATURE} or later, else a CDS archive.
     */
    record Plan(String classPath, List<String> jvmArgs, Path archive, List<String> archiveClassPath,
            List<String> backendJvmArgs, String java, int feature) {
        /** Whether the archive is the JDK's ahead-of-time cache rather than a CDS archive. */
        boolean aot() {
            return archive != null && feature >= AOT_FEATURE;
        }

        Plan withArchiveIfReady() {
            return withArchiveIfReadyImpl(this);
        }

        /**
         * Whether every snapshot jar is still there (the cache's pruning, in this JVM
         * or another, may remove an old one). The user's own jars are not looked at:
         * one that went away is skipped by the backend's JVM, and then, its class path
         * no longer matching, the archive too, as it would be without this check.
         */
        boolean jarsExist() {
            String cache = cachePrefix;
            long now = System.currentTimeMillis();
            for (String j : archiveClassPath) {
                if (cache != null && j.startsWith(cache)) {
                    File f = new File(j);
                    long modified = f.lastModified(); // 0: gone
                    if (modified == 0L) {
                        return false;
                    }
                    if (now - modified > PRUNE_AGE_MILLIS / 2) {
                        f.setLastModified(now); // in use: the pruning of a JVM that outlives an hour keeps it
                    }
                }
            }
            return true;
        }
    }

    /**
     * The plan for a backend with {@code options} launched from {@code where}: an
     * archive for a class-path launch, none for a module-path one.
     */
    static Plan plan(BackendOptions options, BackendClassPath where) {
        return where.classPathOnly() ? plan(options.javaCommand(), options.jvmArgs(), where.classPath())
                : none(options.jvmArgs(), where.classPath());
    }

    /**
     * The plan for backends of this JVM's {@code java} with {@code jvmArgs} and the
     * class path {@code classPath} (see {@link BackendClassPath}).
     */
    static Plan plan(List<String> jvmArgs, List<String> classPath) {
        return plan(JavaRuntime.thisJavaCommand(), jvmArgs, classPath);
    }

    /** The plan for backends run by {@code java} with {@code jvmArgs} and the class path {@code classPath}. */
    static Plan plan(String java, List<String> jvmArgs, List<String> classPath) {
        Last last = lastPlan;
        if (last != null && last.java.equals(java) && last.jvmArgs == jvmArgs && last.classPath == classPath) {
            // the same options and class path as the last start (immutable lists): no key to build
            return last.plan.jarsExist() ? last.plan.withArchiveIfReady() : planFor(java, jvmArgs, classPath);
        }
        return planFor(java, jvmArgs, classPath);
    }

    /** The plan of the last {@link #plan} call, for its next one with the same lists (they are immutable). */
    private record Last(String java, List<String> jvmArgs, List<String> classPath, Plan plan) {
    }

    private static volatile Last lastPlan;

    private static Plan planFor(String java, List<String> jvmArgs, List<String> classPath) {
        if (!ENABLED || choosesOwnSharing(jvmArgs)) {
            return none(jvmArgs, classPath);
        }
        JavaRuntime jdk = JavaRuntime.of(java);
        if (jdk.feature() < 17 || jdk.identity() == null) {
            return none(jvmArgs, classPath); // a JDK we cannot tell: run it as given
        }
        String key = java + "\u0002" + String.join("\u0000", jvmArgs) + "\u0001" + String.join("\u0000", classPath);
        Plan p = PLANS.computeIfAbsent(key, k -> build(String.join(File.pathSeparator, classPath), jvmArgs, java, jdk));
        if (!p.jarsExist()) {
            PLANS.remove(key, p);
            p = PLANS.computeIfAbsent(key, k -> build(String.join(File.pathSeparator, classPath), jvmArgs, java, jdk));
        }
        if (isImmutable(jvmArgs) && isImmutable(classPath)) {
            lastPlan = new Last(java, jvmArgs, classPath, p);
        }
        return p.withArchiveIfReady();
    }

    private static final Class<?> IMMUTABLE_LIST = List.of(1, 2, 3).getClass();
    private static final Class<?> IMMUTABLE_LIST12 = List.of(1).getClass();

    /** Whether {@code l} is one of the JDK's unmodifiable lists ({@code List.of}, {@code List.copyOf}). */
    private static boolean isImmutable(List<String> l) {
        return l.getClass() == IMMUTABLE_LIST || l.getClass() == IMMUTABLE_LIST12;
    }

    private static boolean choosesOwnSharing(List<String> jvmArgs) {
        for (String a : jvmArgs) {
            for (String own : OWN_SHARING) {
                if (a.startsWith(own)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A plan without an archive: the class path as it is. */
    static Plan none(List<String> jvmArgs, List<String> classPath) {
        return new Plan(String.join(File.pathSeparator, classPath), List.of(), null, List.of(), jvmArgs, null, 0);
    }

    private static Plan build(String parentCp, List<String> jvmArgs, String java, JavaRuntime jdk) {
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
            update(d, jdk.identity());
            for (String a : jvmArgs) {
                update(d, a);
            }
            for (String j : jars) {
                BasicFileAttributes at = Files.readAttributes(Path.of(j), BasicFileAttributes.class);
                update(d, j + "|" + at.size() + "|" + at.lastModifiedTime().toMillis());
            }
            String key = HexFormat.of().formatHex(d.digest()).substring(0, 24);
            Path archive = cache.resolve("backend-" + key + (jdk.feature() >= AOT_FEATURE ? ".aot" : ".jsa"));
            return new Plan(String.join(File.pathSeparator, jars), List.of(), archive, List.copyOf(jars),
                    List.copyOf(jvmArgs), java, jdk.feature());
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            LOG.debug("class-data sharing is off for backends: {}", e.toString());
            return new Plan(parentCp, List.of(), null, List.of(), jvmArgs, null, 0);
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
            return READY.computeIfAbsent(p, ClassDataSharing::ready);
        }
        if (TRAINING.putIfAbsent(p.archive, Boolean.TRUE) == null) {
            LOG.debug("backends start without {} until it is made", p.archive);
            Thread t = new Thread(() -> trainOnce(p), "jvalkka-cds-trainer");
            t.setDaemon(true);
            t.start();
        }
        return p;
    }

    /** The plans with their archive's options, made once per plan (a plan is a key: a record of immutable parts). */
    private static final ConcurrentHashMap<Plan, Plan> READY = new ConcurrentHashMap<>();

    /** {@code p} with the options that make a backend use its archive. */
    private static Plan ready(Plan p) {
        List<String> args = new ArrayList<>();
        if (p.aot()) {
            args.add("-XX:AOTCache=" + p.archive); // -XX:AOTMode=auto: a cache it cannot use is passed over
        } else {
            args.add("-XX:SharedArchiveFile=" + p.archive);
            args.add("-Xshare:auto");
        }
        args.addAll(quietSharing(p.feature));
        if (ARCHIVE_AT_BASE && p.feature >= 14 && p.feature <= 25
                && p.backendJvmArgs.stream().noneMatch(a -> a.startsWith("-XX:ArchiveRelocationMode="))) {
            args.add("-XX:+UnlockDiagnosticVMOptions");
            args.add("-XX:ArchiveRelocationMode=0");
        }
        return new Plan(p.classPath, List.copyOf(args), p.archive, p.archiveClassPath, p.backendJvmArgs, p.java,
                p.feature);
    }

    /**
     * The options that keep a backend's JVM quiet about its archive (a cache it
     * cannot use would be reported on every start). The {@code aot} log tag exists
     * from JDK 25; an unknown tag would stop the JVM.
     */
    private static List<String> quietSharing(int feature) {
        return feature >= 25 ? List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-Xlog:aot=off")
                : List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    }

    /**
     * Makes the archive for backends run by {@code java} with {@code jvmArgs} now, waiting for it.
     * @return whether backends will start with an archive
     */
    static boolean prepare(String java, List<String> jvmArgs, List<String> classPath) {
        Plan p = plan(java, jvmArgs, classPath);
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
        Path conf = p.archive.resolveSibling(p.archive.getFileName() + "conf." + ProcessHandle.current().pid() + ".tmp");
        try {
            // the trainer runs as a backend would: its JDK, its options (the AOT cache checks they match)
            List<String> base = new ArrayList<>();
            base.add(p.java);
            base.addAll(p.backendJvmArgs);
            JavaRuntime jdk = JavaRuntime.of(p.java);
            base.addAll(BackendCommand.backendProperties(p.backendJvmArgs, BackendCommand.knownJdk(jdk)));
            base.addAll(BackendCommand.jdkOptions(p.backendJvmArgs, BackendCommand.knownJdk(jdk), p.feature));
            base.addAll(quietSharing(p.feature));
            base.add("-cp");
            base.add(String.join(File.pathSeparator, p.archiveClassPath));
            boolean made;
            if (p.aot()) {
                // two steps, each a child of this JVM (JDK 25's one-step -XX:AOTCacheOutput runs the second in a
                // grandchild that the exit sequence could not name): record what a backend loads, then make the cache
                List<String> record = new ArrayList<>(base);
                record.add(record.size() - 2, "-XX:AOTMode=record");
                record.add(record.size() - 2, "-XX:AOTConfiguration=" + conf);
                record.add(CdsTrainer.class.getName());
                List<String> create = new ArrayList<>(base);
                create.add(create.size() - 2, "-XX:AOTMode=create");
                create.add(create.size() - 2, "-XX:AOTConfiguration=" + conf);
                create.add(create.size() - 2, "-XX:AOTCache=" + tmp);
                made = run(record, "record", conf, tmp) && Files.size(conf) > 0 && run(create, "create", conf, tmp);
            } else {
                List<String> cmd = new ArrayList<>(base);
                cmd.add(cmd.size() - 2, "-XX:ArchiveClassesAtExit=" + tmp);
                cmd.add(CdsTrainer.class.getName());
                made = run(cmd, "CDS", conf, tmp);
            }
            if (made && Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
                Files.move(tmp, p.archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                prune(p.archive.getParent());
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            LOG.debug("the {} trainer failed: {}; backends start without an archive", p.aot() ? "AOT" : "CDS",
                    e.toString());
        } finally {
            try {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(conf);
            } catch (IOException ignored) {
                // a stray temporary archive in our cache directory is harmless and pruned later
            }
        }
    }

    /**
     * Runs one training step as a child of this JVM that ends with it (and its
     * temporary files {@code tmps} with it); returns whether it succeeded in time.
     */
    private static boolean run(List<String> cmd, String step, Path... tmps) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // a trainer must not outlive this JVM: if we exit first, end it and drop its partial archive
        Runnable reaper = () -> {
            proc.destroyForcibly();
            try {
                proc.waitFor(5, TimeUnit.SECONDS);
                for (Path t : tmps) {
                    Files.deleteIfExists(t);
                }
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
            proc.waitFor(5, TimeUnit.SECONDS);
            LOG.debug("the {} training step took too long: backends start without an archive", step);
            return false;
        }
        if (proc.exitValue() != 0) {
            LOG.debug("the {} training step failed with exit status {}: backends start without an archive", step,
                    proc.exitValue());
            return false;
        }
        return true;
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
    /** The cache directory's path and a separator, once known: the snapshot jars' prefix. */
    private static volatile String cachePrefix;

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
        cachePrefix = dir + File.separator;
        return dir;
    }

    /** Keeps the newest few archives and snapshots: every build of the code makes new ones. */
    static void prune(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            long hourAgo = System.currentTimeMillis() - PRUNE_AGE_MILLIS;
            List<Path> all = s.filter(f -> f.toString().endsWith(".jsa") || f.toString().endsWith(".aot")
                            || f.toString().endsWith(".jar") || f.toString().endsWith(".tmp"))
                    .sorted(Comparator.comparingLong((Path f) -> f.toFile().lastModified()).reversed()).toList();
            for (Path old : all.subList(Math.min(all.size(), KEEP_FILES), all.size())) {
                if (old.toFile().lastModified() < hourAgo) { // a young one may be on a starting backend's path
                    Files.deleteIfExists(old);
                }
            }
        } catch (IOException ignored) {
            // pruning is best effort
        }
    }
}
