package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
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
 */
final class CdsTraining {
    private static final Logger LOG = LoggerFactory.getLogger(CdsTraining.class);
    /** The archives whose training this JVM started (in the background or for prepare). */
    private static final ConcurrentHashMap<Path, Boolean> STARTED = new ConcurrentHashMap<>();

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

    /** Makes {@code p}'s archive now, waiting for it (after a background trainer, if one runs); returns whether it exists. */
    static boolean prepare(ClassDataSharing.Plan p) {
        STARTED.put(p.archive(), Boolean.TRUE);
        trainOnce(p);
        return Files.isRegularFile(p.archive());
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

    private static void train(ClassDataSharing.Plan p) {
        long pid = ProcessHandle.current().pid();
        Path tmp = p.archive().resolveSibling(p.archive().getFileName() + "." + pid + ".tmp");
        Path conf = p.archive().resolveSibling(p.archive().getFileName() + "conf." + pid + ".tmp");
        try {
            List<String> base = trainerCommand(p);
            boolean made = p.aot() ? makeAotCache(base, conf, tmp) : makeCdsArchive(base, conf, tmp);
            if (made && Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
                Files.move(tmp, p.archive(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                CdsCacheDir.prune(p.archive().getParent());
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
    private static boolean makeAotCache(List<String> base, Path conf, Path tmp)
            throws IOException, InterruptedException {
        List<String> record = new ArrayList<>(base);
        record.add(record.size() - 2, "-XX:AOTMode=record");
        record.add(record.size() - 2, "-XX:AOTConfiguration=" + conf);
        record.add(CdsTrainer.class.getName());
        List<String> create = new ArrayList<>(base);
        create.add(create.size() - 2, "-XX:AOTMode=create");
        create.add(create.size() - 2, "-XX:AOTConfiguration=" + conf);
        create.add(create.size() - 2, "-XX:AOTCache=" + tmp);
        return run(record, "record", conf, tmp) && Files.size(conf) > 0 && run(create, "create", conf, tmp);
    }

    private static boolean makeCdsArchive(List<String> base, Path conf, Path tmp)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(base);
        cmd.add(cmd.size() - 2, "-XX:ArchiveClassesAtExit=" + tmp);
        cmd.add(CdsTrainer.class.getName());
        return run(cmd, "CDS", conf, tmp);
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
}
