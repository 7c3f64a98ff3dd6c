package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jvalkka.shm.internal.ExitSequence;

/**
 * Makes {@link ClassDataSharing}'s archives: runs {@link CdsTrainer} (a
 * backend's real start path) as a child of this JVM that ends with it, with
 * {@code -XX:ArchiveClassesAtExit} for a CDS archive, or in two steps,
 * {@code -XX:AOTMode=record} then {@code -XX:AOTMode=create}, for an AOT cache;
 * in the background the first time a plan's archive is missing, or now for
 * {@link #prepare}. One trainer at a time in this JVM; the archive appears by an
 * atomic move. Thread-safe.
 *
 * <p><b>The process classes.</b> A training run also loads (never initialises) the
 * process classes that frontends started, so that a backend finds its process's class
 * in the archive rather than on the class path. Which ones: those this JVM started
 * (newest first), those the archive was made with before, then those of the cache's
 * other archives, newest first ({@value #MAX_OTHERS} at most), {@value #MAX_CLASSES} in
 * all at most (every class an AOT cache holds is loaded at each backend's start, so the
 * list is short); names not on the class path are passed over. The names an archive
 * holds are written beside it, {@code ARCHIVE.classes}. A ready archive without a class
 * this JVM starts is made again, once per archive and JVM, in the background after the
 * starts pause ({@value #QUIET_MILLIS} ms without one): not while a burst of backends
 * boots; never when it holds {@value #MAX_CLASSES} already (programs of more process
 * classes than that would otherwise make it again in turn).
 */
final class CdsTraining {
    private static final Logger LOG = LoggerFactory.getLogger(CdsTraining.class);
    /** The archives whose training this JVM started (in the background or for prepare). */
    private static final ConcurrentHashMap<Path, Boolean> STARTED = new ConcurrentHashMap<>();
    /** The most process class names a training run loads. */
    static final int MAX_CLASSES = 24;
    /** The most of those that come from the cache's other archives. */
    static final int MAX_OTHERS = 8;
    /** How long the starts must pause before an archive is made again for new classes. */
    static final long QUIET_MILLIS = 1_000;
    /** The suffix of the file beside an archive that names the process classes it holds. */
    static final String CLASSES_SUFFIX = ".classes";
    private static final Pattern CLASS_NAME = Pattern.compile("[\\p{L}\\p{N}_$.]{1,400}");
    /** The process classes this JVM started, oldest first, at most {@link #MAX_CLASSES}. */
    private static final LinkedHashSet<String> STARTED_CLASSES = new LinkedHashSet<>();
    /** The process classes each archive holds, as its {@code .classes} file said when first asked. */
    private static final ConcurrentHashMap<Path, Set<String>> HELD = new ConcurrentHashMap<>();
    /** The archives this JVM is making again (or made again) for the classes it started. */
    private static final ConcurrentHashMap<Path, Boolean> RELEARNING = new ConcurrentHashMap<>();
    private static volatile long lastStartNanos;

    private CdsTraining() {
    }

    /** Starts making {@code p}'s archive in the background, unless this JVM has started it already. */
    static void startInBackground(ClassDataSharing.Plan p) {
        if (STARTED.putIfAbsent(p.archive(), Boolean.TRUE) == null) {
            LOG.debug("backends start without {} until it is made", p.archive());
            Thread t = new Thread(() -> trainOnce(p), "jvalkka-cds-trainer");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Makes {@code p}'s archive now, waiting for it (after a background trainer, if one runs), or makes it again
     * when it lacks a process class this JVM started; returns whether it exists.
     */
    static boolean prepare(ClassDataSharing.Plan p) {
        STARTED.put(p.archive(), Boolean.TRUE);
        trainOnce(p);
        synchronized (CdsTraining.class) {
            if (lacksStartedClass(p.archive())) {
                RELEARNING.put(p.archive(), Boolean.TRUE);
                train(p);
            }
        }
        return Files.isRegularFile(p.archive());
    }

    /** Notes that this JVM starts a backend of the process class {@code className}. Cheap. */
    static void started(String className) {
        lastStartNanos = System.nanoTime();
        synchronized (STARTED_CLASSES) {
            if (STARTED_CLASSES.add(className) && STARTED_CLASSES.size() > MAX_CLASSES) {
                STARTED_CLASSES.remove(STARTED_CLASSES.iterator().next());
            }
        }
    }

    /**
     * Makes the ready archive of {@code p} again, in the background once the starts pause, when it does not hold
     * {@code className}; once per archive in this JVM.
     */
    static void learn(ClassDataSharing.Plan p, String className) {
        Path archive = p.archive();
        Set<String> held = held(archive);
        // a full archive is not made again: its classes are other JVMs' too, and two programs of more classes
        // than it holds would make it again in turn
        if (held.contains(className) || held.size() >= MAX_CLASSES
                || RELEARNING.putIfAbsent(archive, Boolean.TRUE) != null) {
            return;
        }
        LOG.debug("{} is made again in the background, with {}", archive, className);
        Thread t = new Thread(() -> {
            try {
                awaitQuiet();
            } catch (InterruptedException e) {
                return;
            }
            synchronized (CdsTraining.class) {
                if (Files.isRegularFile(archive) && lacksStartedClass(archive)) {
                    train(p);
                }
            }
        }, "jvalkka-cds-trainer");
        t.setDaemon(true);
        t.start();
    }

    /** Waits until no backend has started for {@link #QUIET_MILLIS}, a minute at most. */
    private static void awaitQuiet() throws InterruptedException {
        long quiet = TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
        long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        long since;
        while ((since = System.nanoTime() - lastStartNanos) < quiet && System.nanoTime() < giveUp) {
            Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(quiet - since)));
        }
    }

    /** Whether the archive lacks a process class this JVM started. */
    private static boolean lacksStartedClass(Path archive) {
        Set<String> held = held(archive);
        synchronized (STARTED_CLASSES) {
            return !held.containsAll(STARTED_CLASSES);
        }
    }

    /** The process classes {@code archive} holds, as its {@code .classes} file says (read once). */
    static Set<String> held(Path archive) {
        return HELD.computeIfAbsent(archive, a -> Set.copyOf(readClasses(classesFile(a))));
    }

    /** The file beside {@code archive} that names the process classes it holds. */
    static Path classesFile(Path archive) {
        return archive.resolveSibling(archive.getFileName() + CLASSES_SUFFIX);
    }

    /** The class names of a {@code .classes} file, in its order; none when it is missing or unreadable. */
    private static List<String> readClasses(Path f) {
        try {
            List<String> names = new ArrayList<>();
            for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (CLASS_NAME.matcher(l).matches()) {
                    names.add(l);
                }
            }
            return names;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * The process classes a training run for {@code archive} loads: this JVM's (newest first), those the
     * archive holds, then up to {@link #MAX_OTHERS} of those of the cache's other archives of its kind, newest
     * first; {@link #MAX_CLASSES} at most.
     */
    static List<String> classesToTrain(Path archive) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        synchronized (STARTED_CLASSES) {
            List<String> mine = new ArrayList<>(STARTED_CLASSES);
            Collections.reverse(mine);
            names.addAll(mine);
        }
        names.addAll(readClasses(classesFile(archive)));
        String kind = archive.getFileName().toString().substring(archive.getFileName().toString().lastIndexOf('.'))
                + CLASSES_SUFFIX;
        int limit = Math.min(MAX_CLASSES, names.size() + MAX_OTHERS);
        if (names.size() < limit) {
            try (Stream<Path> s = Files.list(archive.getParent())) {
                List<Path> others = s.filter(f -> f.getFileName().toString().endsWith(kind))
                        .sorted(Comparator.comparingLong((Path f) -> f.toFile().lastModified()).reversed()).toList();
                for (Path f : others) {
                    for (String n : readClasses(f)) {
                        if (names.size() < limit) {
                            names.add(n);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the others' classes are a bonus
            }
        }
        return names.stream().limit(MAX_CLASSES).toList();
    }

    /**
     * Trains unless the archive exists, one trainer at a time: two trainers in this
     * JVM would share the temporary archive's name.
     */
    private static void trainOnce(ClassDataSharing.Plan p) {
        synchronized (CdsTraining.class) {
            if (!Files.isRegularFile(p.archive())) {
                train(p);
            }
        }
    }

    /**
     * Those of {@code names} whose class file is in {@code jars} (the archive's class path): the training JVM
     * looks for no other, since a class it does not find has it search the JDK's modules and every jar, and
     * load the classes of that search, which the archive would then hold (every class an AOT cache holds is
     * loaded at each backend's start).
     */
    static List<String> onClassPath(List<String> names, List<String> jars) {
        if (names.isEmpty()) {
            return names;
        }
        try {
            java.net.URL[] urls = new java.net.URL[jars.size()];
            for (int i = 0; i < urls.length; i++) {
                urls[i] = Path.of(jars.get(i)).toUri().toURL();
            }
            try (java.net.URLClassLoader l = new java.net.URLClassLoader(urls, null)) {
                return names.stream().filter(n -> l.findResource(n.replace('.', '/') + ".class") != null).toList();
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static void train(ClassDataSharing.Plan p) {
        long pid = ProcessHandle.current().pid();
        Path tmp = p.archive().resolveSibling(p.archive().getFileName() + "." + pid + ".tmp");
        Path conf = p.archive().resolveSibling(p.archive().getFileName() + "conf." + pid + ".tmp");
        Path classesTmp = p.archive().resolveSibling(p.archive().getFileName() + "classes." + pid + ".tmp");
        try {
            List<String> base = trainerCommand(p);
            List<String> classes = onClassPath(classesToTrain(p.archive()), p.archiveClassPath());
            boolean made = p.aot() ? makeAotCache(base, classes, conf, tmp) : makeCdsArchive(base, classes, conf, tmp);
            if (made && Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
                // the names first: a backend that finds the new archive finds them too
                Files.write(classesTmp, classes, StandardCharsets.UTF_8);
                Files.move(classesTmp, classesFile(p.archive()), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, p.archive(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                HELD.put(p.archive(), Set.copyOf(classes));
                CdsCacheDir.prune(p.archive().getParent());
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            LOG.debug("the {} trainer failed: {}; backends start without an archive", p.aot() ? "AOT" : "CDS",
                    e.toString());
        } finally {
            try {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(conf);
                Files.deleteIfExists(classesTmp);
            } catch (IOException ignored) {
                // a stray temporary archive in our cache directory is harmless and pruned later
            }
        }
    }

    /**
     * The trainer's command line up to its class path (the last two elements,
     * {@code -cp PATH}): it runs as a backend would, with its JDK and its options
     * (the AOT cache checks they match), but for the backend's own logging
     * ({@code -Xlog...}, {@code -Xloggc:...}): a training run's log is nobody's, and
     * one that names a file would write, and rotate, the backend's (the archive does
     * not depend on them).
     */
    static List<String> trainerCommand(ClassDataSharing.Plan p) {
        List<String> base = new ArrayList<>();
        base.add(p.java());
        for (String a : p.backendJvmArgs()) {
            if (!a.startsWith("-Xlog")) { // -Xlog:... and -Xloggc:...
                base.add(a);
            }
        }
        JavaRuntime jdk = JavaRuntime.of(p.java());
        base.addAll(BackendCommand.backendProperties(p.backendJvmArgs(), BackendCommand.knownJdk(jdk)));
        base.addAll(BackendCommand.jdkOptions(p.backendJvmArgs(), BackendCommand.knownJdk(jdk), p.feature()));
        base.addAll(SharingOptions.quiet(p.feature()));
        base.add("-cp");
        base.add(String.join(File.pathSeparator, p.archiveClassPath()));
        return base;
    }

    /**
     * Two steps, each a child of this JVM (JDK 25's one-step {@code -XX:AOTCacheOutput}
     * runs the second in a grandchild that the exit sequence could not name): record
     * what a backend loads, then make the cache.
     */
    private static boolean makeAotCache(List<String> base, List<String> classes, Path conf, Path tmp)
            throws IOException, InterruptedException {
        List<String> record = new ArrayList<>(base);
        record.add(record.size() - 2, "-XX:AOTMode=record");
        record.add(record.size() - 2, "-XX:AOTConfiguration=" + conf);
        List<String> create = new ArrayList<>(base);
        create.add(create.size() - 2, "-XX:AOTMode=create");
        create.add(create.size() - 2, "-XX:AOTConfiguration=" + conf);
        create.add(create.size() - 2, "-XX:AOTCache=" + tmp);
        return runTrainer(record, classes, "record", conf, tmp) && Files.size(conf) > 0
                && run(create, "create", null, conf, tmp);
    }

    private static boolean makeCdsArchive(List<String> base, List<String> classes, Path conf, Path tmp)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(base);
        cmd.add(cmd.size() - 2, "-XX:ArchiveClassesAtExit=" + tmp);
        return runTrainer(cmd, classes, "CDS", conf, tmp);
    }

    /**
     * Runs {@link CdsTrainer} with {@code cmd} (up to its class path) as the backend of
     * {@link CdsTrainer#BOOTS} starts whose frontend this JVM plays, each with a
     * {@link BackendConnection} as any start's (its listener in the run directory, the
     * trainer's pid and token checked), so that the training JVM loads only what a
     * backend loads; {@code classes} are the process classes it loads besides.
     */
    private static boolean runTrainer(List<String> cmd, List<String> classes, String step, Path... tmps)
            throws IOException, InterruptedException {
        // the scratch directories of earlier versions' trainings, whose listeners were there
        CdsTrainer.sweepDeadTrainers(Path.of(System.getProperty("java.io.tmpdir")));
        int n = CdsTrainer.BOOTS;
        BackendConnection[] connections = new BackendConnection[n];
        List<MessagePipe[]> pipes = new ArrayList<>();
        try {
            List<String> full = new ArrayList<>(cmd);
            full.add(CdsTrainer.class.getName());
            for (int i = 0; i < n; i++) {
                connections[i] = new BackendConnection(LOG);
                connections[i].open();
                String line = new String(connections[i].bootLine(), StandardCharsets.UTF_8).strip();
                full.addAll(List.of(line.split(" "))); // the socket, the token, this JVM's pid
            }
            full.addAll(classes);
            MessageProcess[] trainees = CdsTrainer.trainees();
            return run(full, step, trainer -> {
                for (int i = 0; i < n; i++) {
                    pipes.add(CdsTrainer.playTrainee(connections[i], trainer, trainees[i], CdsTrainer.ROUNDS[i],
                            true));
                }
            }, tmps);
        } finally {
            for (MessagePipe[] p : pipes) {
                CdsTrainer.close(p);
            }
            for (BackendConnection c : connections) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /** The frontend's side of a training run, played while it runs. */
    private interface Frontend {
        void play(Process trainer) throws IOException;
    }

    /**
     * Runs one training step as a child of this JVM that ends with it (and its
     * temporary files {@code tmps} with it), playing {@code frontend} (if not null)
     * meanwhile; returns whether it succeeded in time.
     */
    private static boolean run(List<String> cmd, String step, Frontend frontend, Path... tmps)
            throws IOException, InterruptedException {
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
            if (frontend != null) {
                // a training JVM that dies, or takes too long, must not leave this thread waiting for it
                Thread watch = new Thread(() -> {
                    try {
                        if (!proc.waitFor(120, TimeUnit.SECONDS)) {
                            proc.destroyForcibly();
                        }
                    } catch (InterruptedException e) {
                        proc.destroyForcibly();
                    }
                }, "jvalkka-cds-trainer-watch");
                watch.setDaemon(true);
                watch.start();
                try {
                    frontend.play(proc);
                } catch (IOException | RuntimeException e) {
                    proc.destroyForcibly();
                    proc.waitFor(5, TimeUnit.SECONDS);
                    LOG.debug("the {} training step's frontend failed: {}", step, e.toString());
                    return false;
                }
            }
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
}
