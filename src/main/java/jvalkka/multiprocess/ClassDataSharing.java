package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>This class plans a backend's sharing; the jobs are done by
 * {@link CdsCacheDir} (the cache directory, its trust checks and pruning),
 * {@link CdsKeys} (snapshot jars and the archive's key), {@link SharingOptions}
 * (the JVM options) and {@link CdsTraining} (making the archive).
 */
final class ClassDataSharing {
    private static final Logger LOG = LoggerFactory.getLogger(ClassDataSharing.class);
    private static final boolean ENABLED = !"false".equals(System.getProperty("jvalkka.cds"));
    private static final ConcurrentHashMap<String, Plan> PLANS = new ConcurrentHashMap<>();
    /** The plans with their archive's options, made once per plan (a plan is a key: a record of immutable parts). */
    private static final ConcurrentHashMap<Plan, Plan> READY = new ConcurrentHashMap<>();
    /** The first JDK with the ahead-of-time cache (JEP 483). */
    static final int AOT_FEATURE = 24;

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

        /** Supplies the archive options once the archive exists; starts making it otherwise. */
        Plan withArchiveIfReady() {
            if (archive == null) {
                return this;
            }
            if (Files.isRegularFile(archive)) {
                return READY.computeIfAbsent(this, p -> new Plan(p.classPath, SharingOptions.toUse(p), p.archive,
                        p.archiveClassPath, p.backendJvmArgs, p.java, p.feature));
            }
            CdsTraining.startInBackground(this);
            return this;
        }

        /**
         * Whether every snapshot jar is still there (the cache's pruning, in this JVM
         * or another, may remove an old one). The user's own jars are not looked at:
         * one that went away is skipped by the backend's JVM, and then, its class path
         * no longer matching, the archive too, as it would be without this check.
         */
        boolean jarsExist() {
            return CdsCacheDir.touchedIfPresent(archiveClassPath);
        }

        // equals and hashCode as a record's, written out: the record's own are linked at their first call
        // through method handles, some 30 generated classes and their compilation in the frontend

        @Override
        public boolean equals(Object o) {
            return o instanceof Plan p && feature == p.feature && classPath.equals(p.classPath)
                    && jvmArgs.equals(p.jvmArgs) && Objects.equals(archive, p.archive)
                    && archiveClassPath.equals(p.archiveClassPath) && backendJvmArgs.equals(p.backendJvmArgs)
                    && Objects.equals(java, p.java);
        }

        @Override
        public int hashCode() {
            int h = classPath.hashCode();
            h = 31 * h + jvmArgs.hashCode();
            h = 31 * h + Objects.hashCode(archive);
            h = 31 * h + archiveClassPath.hashCode();
            h = 31 * h + backendJvmArgs.hashCode();
            h = 31 * h + Objects.hashCode(java);
            return 31 * h + feature;
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
     * The plan for a backend of {@code processClass}, as {@link #plan(BackendOptions, BackendClassPath)}, and
     * the archive learns the class: an archive made from now on in this JVM holds it (loaded and linked, as a
     * backend's restore loads it, never initialised), and a ready archive that does not is made again in the
     * background once the starts pause ({@link CdsTraining#learn}). Without that, the process's class is the
     * first a backend reads from the class path: its jar, and every jar before it only to miss, opened at boot.
     */
    static Plan plan(BackendOptions options, BackendClassPath where, Class<?> processClass) {
        if (!where.classPathOnly()) {
            return none(options.jvmArgs(), where.classPath());
        }
        String name = processClass.getName();
        CdsTraining.started(name); // before the plan: a training it starts holds the class
        Plan p = plan(options.javaCommand(), options.jvmArgs(), where.classPath());
        if (p.archive() != null && !p.jvmArgs().isEmpty()) { // the archive is ready
            CdsTraining.learn(p, name);
        }
        return p;
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
        if (!ENABLED || SharingOptions.choosesOwnSharing(jvmArgs)) {
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

    /** A plan without an archive: the class path as it is. */
    static Plan none(List<String> jvmArgs, List<String> classPath) {
        return new Plan(String.join(File.pathSeparator, classPath), List.of(), null, List.of(), jvmArgs, null, 0);
    }

    /** The plan with an archive for {@code parentCp}; without one (the class path as it is) when that fails. */
    private static Plan build(String parentCp, List<String> jvmArgs, String java, JavaRuntime jdk) {
        try {
            Path cache = CdsCacheDir.get();
            List<String> jars = CdsKeys.jarsFor(parentCp, cache);
            Path archive = CdsKeys.archive(cache, jdk, jvmArgs, jars);
            return new Plan(String.join(File.pathSeparator, jars), List.of(), archive, List.copyOf(jars),
                    List.copyOf(jvmArgs), java, jdk.feature());
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            LOG.debug("class-data sharing is off for backends: {}", e.toString());
            return new Plan(parentCp, List.of(), null, List.of(), jvmArgs, null, 0);
        }
    }

    /**
     * Makes the archive for backends run by {@code java} with {@code jvmArgs} now, waiting for it.
     * @return whether backends will start with an archive
     */
    static boolean prepare(String java, List<String> jvmArgs, List<String> classPath) {
        Plan p = plan(java, jvmArgs, classPath);
        return p.archive() != null && CdsTraining.prepare(p);
    }

    /** Keeps the newest few archives and snapshots of the cache directory {@code dir} ({@link CdsCacheDir#prune}). */
    static void prune(Path dir) {
        CdsCacheDir.prune(dir);
    }
}
