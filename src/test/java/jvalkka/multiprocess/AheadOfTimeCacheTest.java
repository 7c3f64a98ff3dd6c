package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JDK's ahead-of-time cache for backends whose {@code java} is JDK 24 or
 * later, and the CDS archive for JDK 17: which one a backend is given, that its
 * JVM really maps it, and that a cache it cannot use costs nothing but the cache.
 * The JDK 25 tests need a JDK 25 (the {@code jvalkka.test.jdk25} property, else
 * one under {@code /usr/lib/jvm}) and are skipped, saying so, without one.
 */
@Timeout(180)
class AheadOfTimeCacheTest {
    static final class Pinger extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Pinger() {
            super("aot-pinger");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    /** A process class of its own, so that only this test's starts can have taught an archive it. */
    static final class Learner extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Learner() {
            super("aot-learner");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    /** A backend started with {@code options}: its command line, its mapped files, what it printed on stderr. */
    private record Started(List<String> cmd, String maps, String stderr, long pid) {
        String option(String prefix) {
            return cmd.stream().filter(a -> a.startsWith(prefix)).findFirst().map(a -> a.substring(prefix.length()))
                    .orElse(null);
        }
    }

    private static Started start(BackendOptions options) throws Exception {
        return start(options, new Pinger());
    }

    private static Started start(BackendOptions options, MessageProcess p) throws Exception {
        p.setOptions(options);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream was = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            p.start();
        } finally {
            System.setErr(was);
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline"));
            String maps = Files.readString(Path.of("/proc/" + p.pid() + "/maps"));
            p.sendMessageToBack(new MessageObject("ping", "i", 7));
            assertTrue(p.getPipe().poll(30), "no answer within 30 s");
            assertEquals(7, p.getPipe().recv().get("i", Integer.class));
            return new Started(Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0")), maps,
                    err.toString(StandardCharsets.UTF_8), p.pid());
        } finally {
            p.stop();
        }
    }

    /** A JDK 25's java, or null. */
    private static String jdk25() throws Exception {
        String given = System.getProperty("jvalkka.test.jdk25");
        if (given != null && Files.isExecutable(Path.of(given))) {
            return given;
        }
        if (Runtime.version().feature() >= 25) {
            return JavaRuntime.thisJavaCommand();
        }
        Path jvm = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvm)) {
            return null;
        }
        try (Stream<Path> s = Files.list(jvm)) {
            return s.map(d -> d.resolve("bin").resolve("java")).filter(Files::isExecutable)
                    .filter(j -> JavaRuntime.of(j.toString()).feature() >= 25).map(Path::toString).sorted()
                    .findFirst().orElse(null);
        }
    }

    /** A JDK 17's java (this one when it is), or null. */
    private static String jdk17() throws Exception {
        if (Runtime.version().feature() < ClassDataSharing.AOT_FEATURE) {
            return JavaRuntime.thisJavaCommand();
        }
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
            return s.map(d -> d.resolve("bin").resolve("java")).filter(Files::isExecutable)
                    .filter(j -> JavaRuntime.of(j.toString()).feature() == 17).map(Path::toString).sorted()
                    .findFirst().orElse(null);
        }
    }

    private static String needJdk25() throws Exception {
        String j = jdk25();
        assumeTrue(j != null, "no JDK 25 here (set -Djvalkka.test.jdk25=/path/to/bin/java): the AOT cache is not tested");
        return j;
    }

    @Test
    void aBackendOfJdk25StartsWithTheAotCacheOnceItIsMade() throws Exception {
        BackendOptions options = BackendOptions.defaults().withJavaCommand(needJdk25());
        assertTrue(options.prepareArchive(), "no AOT cache was made");
        Started s = start(options);
        String cache = s.option("-XX:AOTCache=");
        assertTrue(cache != null && cache.endsWith(".aot"), s.cmd().toString());
        assertEquals(null, s.option("-XX:SharedArchiveFile="), s.cmd().toString());
        assertTrue(s.maps().contains(cache), "the backend's JVM did not map " + cache);
        assertEquals(1, s.cmd().stream().filter(a -> a.equals("--enable-native-access=ALL-UNNAMED")).count(),
                "the options the cache was made with: " + s.cmd());
    }

    @Test
    void aDamagedOrForeignCacheIsPassedOverQuietlyAndTheBackendStarts() throws Exception {
        String java = needJdk25();
        // options of their own, so that the cache spoilt here is no other test's; the good cache that does
        // not fit is the default options' (made for the test above, or here), which a JVM without compressed
        // oops cannot use: one training less than a second cache of options of its own
        BackendOptions options = BackendOptions.defaults().withJavaCommand(java)
                .withExtraJvmArgs("-Djvalkka.test.aot=damaged", "-XX:-UseCompressedOops");
        BackendOptions other = BackendOptions.defaults().withJavaCommand(java);
        assertTrue(options.prepareArchive(), "no AOT cache was made");
        assertTrue(other.prepareArchive(), "no AOT cache was made");
        BackendClassPath where = BackendClassPath.of(options, BackendMain.class, "test");
        Path cache = ClassDataSharing.plan(options, where).archive();
        Path foreign = ClassDataSharing.plan(other, where).archive();
        assertFalse(cache.equals(foreign));
        List<byte[]> spoilt = new ArrayList<>();
        spoilt.add("not a cache at all".repeat(1000).getBytes(StandardCharsets.UTF_8));
        spoilt.add(Files.readAllBytes(foreign)); // a good cache, for JVM options that do not fit
        try {
            for (byte[] bytes : spoilt) {
                Files.write(cache, bytes);
                Started s = start(options);
                assertEquals(cache.toString(), s.option("-XX:AOTCache="), s.cmd().toString());
                assertFalse(s.maps().contains(cache.toString()),
                        "the JVM mapped a cache it should not use (" + bytes.length + " bytes)");
                assertFalse(s.stderr().contains("AOT") || s.stderr().contains("aot"),
                        "the backend reported its cache: " + s.stderr());
            }
        } finally {
            Files.deleteIfExists(cache); // the foreign one is the default options' cache: it stays
        }
    }

    @Test
    void jdk17StillUsesTheCdsArchive() throws Exception {
        String java = jdk17();
        assumeTrue(java != null, "no JDK 17 here: the CDS archive is not tested");
        BackendOptions options = BackendOptions.defaults().withJavaCommand(java);
        assertTrue(options.prepareArchive(), "no CDS archive was made");
        Started s = start(options);
        String archive = s.option("-XX:SharedArchiveFile=");
        assertTrue(archive != null && archive.endsWith(".jsa"), s.cmd().toString());
        assertEquals(null, s.option("-XX:AOTCache="), s.cmd().toString());
        assertTrue(s.maps().contains(archive), "the backend's JVM did not map " + archive);
    }

    /**
     * Starts a {@link Learner} with {@code java}, has the archive made (now, or again with the class), starts
     * another and returns that backend's JVM's class-loading log.
     */
    private static List<String> classLogOfALearner(String java) throws Exception {
        String log = Path.of(System.getProperty("java.io.tmpdir"), "jvalkka-learn-" + JavaRuntime.of(java).feature()
                + "-%p.log").toString(); // the same each run: the log option is part of the archive's key
        BackendOptions options = BackendOptions.defaults().withJavaCommand(java)
                .withExtraJvmArgs("-Xlog:class+load=info:file=" + log);
        List<Path> logs = new ArrayList<>();
        try {
            logs.add(Path.of(log.replace("%p", Long.toString(start(options, new Learner()).pid()))));
            assertTrue(options.prepareArchive(), "no archive was made");
            Started s = start(options, new Learner());
            Path second = Path.of(log.replace("%p", Long.toString(s.pid())));
            logs.add(second);
            return Files.readAllLines(second);
        } finally {
            for (Path l : logs) {
                Files.deleteIfExists(l);
            }
        }
    }

    /** Where a backend's JVM loaded {@link Learner} from, as {@link #classLogOfALearner} says. */
    private static String whereTheProcessClassCameFrom(String java) throws Exception {
        List<String> log = classLogOfALearner(java);
        return log.stream().filter(l -> l.contains(" " + Learner.class.getName() + " ")).findFirst()
                .orElse("not loaded: " + log);
    }

    @Test
    void aJdk25BackendLoadsNothingOnlyTheFrontendsSideOfTheTrainingUsed() throws Exception {
        // every class of an AOT cache is loaded at each backend's start: the training's frontend side (its
        // listener, the process's encoding, its scratch directory) must not be in it
        List<String> log = classLogOfALearner(needJdk25());
        for (String frontendOnly : List.of("java.io.ObjectOutputStream$HandleTable", "java.nio.file.TempFileHelper",
                "sun.nio.ch.ServerSocketChannelImpl")) {
            assertTrue(log.stream().noneMatch(l -> l.contains(" " + frontendOnly + " ")),
                    frontendOnly + " was loaded: " + log.stream().filter(l -> l.contains(frontendOnly)).toList());
        }
    }

    @Test
    void aJdk25BackendLoadsItsProcessClassFromTheAotCacheOnceAFrontendStartedIt() throws Exception {
        String line = whereTheProcessClassCameFrom(needJdk25());
        assertTrue(line.contains("source: shared objects file"), line);
    }

    @Test
    void aJdk17BackendLoadsItsProcessClassFromTheCdsArchiveOnceAFrontendStartedIt() throws Exception {
        String java = jdk17();
        assumeTrue(java != null, "no JDK 17 here: the CDS archive is not tested");
        String line = whereTheProcessClassCameFrom(java);
        assertTrue(line.contains("source: shared objects file"), line);
    }

    @Test
    void theUsersOwnSharingOptionWins() throws Exception {
        BackendOptions options = BackendOptions.defaults().withExtraJvmArgs("-Xshare:auto");
        assertFalse(options.prepareArchive());
        Started s = start(options);
        assertEquals(null, s.option("-XX:AOTCache="), s.cmd().toString());
        assertEquals(null, s.option("-XX:SharedArchiveFile="), s.cmd().toString());
        assertEquals(1, s.cmd().stream().filter(a -> a.startsWith("-Xshare:")).count(), s.cmd().toString());
    }
}
