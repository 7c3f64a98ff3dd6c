package jvalkka.multiprocess;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM options of {@link ClassDataSharing}: whether the user's options choose
 * their own sharing, those that make a backend use an archive, and those that
 * keep its JVM quiet about it. Stateless.
 */
final class SharingOptions {
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
    /** Options by which the user chooses a JVM's sharing: then backends get none of ours. */
    private static final List<String> OWN_SHARING = List.of("-Xshare:", "-XX:SharedArchiveFile=",
            "-XX:ArchiveClassesAtExit=", "-XX:+AutoCreateSharedArchive", "-XX:AOTCache=", "-XX:AOTMode=",
            "-XX:AOTConfiguration=", "-XX:AOTCacheOutput=");

    private SharingOptions() {
    }

    /** Whether {@code jvmArgs} choose the JVM's sharing themselves. */
    static boolean choosesOwnSharing(List<String> jvmArgs) {
        for (String a : jvmArgs) {
            for (String own : OWN_SHARING) {
                if (a.startsWith(own)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The options that make a backend of {@code p} use its archive: an AOT cache
     * ({@code -XX:AOTMode=auto}, the default: a cache it cannot use is passed over)
     * or a CDS archive, quietly, mapped at its base address unless told otherwise.
     *
     * <p>A JDK 25 backend whose options stop at the C1 compiler
     * ({@code -XX:TieredStopAtLevel=1}, as {@link BackendOptions#SMALL_JVM}) does not
     * replay the cache's training ({@code -XX:-AOTReplayTraining}): the method
     * profiles of JEP 515 serve C2, but their replay at start had the C1 thread
     * compile what the training run made hot, and ran its own thread: measured on
     * JDK 25.0.3, C1 CPU at a backend's start 25 to 13 ms and the replay thread's
     * 5 ms gone, some 20 ms of 150 of boot CPU. Left to the JVM when the options
     * name {@code AOTReplayTraining} themselves, with the full compiler, and on other
     * JDKs (the option is JDK 25's, and an unknown one would stop the JVM).
     */
    static List<String> toUse(ClassDataSharing.Plan p) {
        List<String> args = new ArrayList<>();
        if (p.aot()) {
            args.add("-XX:AOTCache=" + p.archive());
        } else {
            args.add("-XX:SharedArchiveFile=" + p.archive());
            args.add("-Xshare:auto");
        }
        args.addAll(quiet(p.feature()));
        boolean unlocked = false;
        if (p.aot() && p.feature() == 25 && p.backendJvmArgs().contains("-XX:TieredStopAtLevel=1")
                && p.backendJvmArgs().stream().noneMatch(a -> a.contains("AOTReplayTraining"))) {
            args.add("-XX:+UnlockDiagnosticVMOptions");
            args.add("-XX:-AOTReplayTraining");
            unlocked = true;
        }
        if (ARCHIVE_AT_BASE && p.feature() >= 14 && p.feature() <= 25
                && p.backendJvmArgs().stream().noneMatch(a -> a.startsWith("-XX:ArchiveRelocationMode="))) {
            if (!unlocked) {
                args.add("-XX:+UnlockDiagnosticVMOptions");
            }
            args.add("-XX:ArchiveRelocationMode=0");
        }
        return List.copyOf(args);
    }

    /**
     * The options that keep a backend's JVM quiet about its archive (a cache it
     * cannot use would be reported on every start). The {@code aot} log tag exists
     * from JDK 25; an unknown tag would stop the JVM.
     */
    static List<String> quiet(int feature) {
        return feature >= 25 ? List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-Xlog:aot=off")
                : List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    }
}
