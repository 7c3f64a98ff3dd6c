package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A class-data sharing plan is a key (of the plans with their archive's options):
 * equal exactly when every part is, as a record's equality, and the options that
 * make a backend use the archive follow the JDK. In this JVM; no backend starts.
 */
@Timeout(30)
class SharingPlanTest {
    private static ClassDataSharing.Plan plan(String cp, List<String> args, Path archive, List<String> jars,
            List<String> backendArgs, String java, int feature) {
        return new ClassDataSharing.Plan(cp, args, archive, jars, backendArgs, java, feature);
    }

    private static final Path A = Path.of("/cache/backend-a.jsa");

    @Test
    void plansAreEqualExactlyWhenEveryPartIs() {
        ClassDataSharing.Plan p = plan("a.jar", List.of("-x"), A, List.of("a.jar"), List.of("-y"), "java", 17);
        ClassDataSharing.Plan same = plan(new String("a.jar"), List.of("-x"), Path.of("/cache/backend-a.jsa"),
                List.of("a.jar"), List.of("-y"), new String("java"), 17);
        assertEquals(p, same);
        assertEquals(p.hashCode(), same.hashCode());
        List<ClassDataSharing.Plan> others = List.of(
                plan("b.jar", List.of("-x"), A, List.of("a.jar"), List.of("-y"), "java", 17),
                plan("a.jar", List.of("-z"), A, List.of("a.jar"), List.of("-y"), "java", 17),
                plan("a.jar", List.of("-x"), null, List.of("a.jar"), List.of("-y"), "java", 17),
                plan("a.jar", List.of("-x"), A, List.of("b.jar"), List.of("-y"), "java", 17),
                plan("a.jar", List.of("-x"), A, List.of("a.jar"), List.of("-z"), "java", 17),
                plan("a.jar", List.of("-x"), A, List.of("a.jar"), List.of("-y"), null, 17),
                plan("a.jar", List.of("-x"), A, List.of("a.jar"), List.of("-y"), "java", 25));
        for (ClassDataSharing.Plan o : others) {
            assertNotEquals(p, o, "differs in one part: " + o);
            assertNotEquals(o, p, "differs in one part: " + o);
        }
        assertNotEquals(p, null);
        assertNotEquals(p, "a.jar");
    }

    @Test
    void aTrainingRunKeepsTheBackendsOptionsButWritesNoneOfItsLogFiles() throws Exception {
        List<String> backendArgs = List.of("-Xmx64m", "-Xlog:class+load:file=/tmp/backend-%p.txt", "-XX:+UseSerialGC",
                "-Xlog:gc*:stderr", "-Xloggc:/tmp/backend-gc.log");
        List<String> cmd = CdsTraining.trainerCommand(plan("a.jar", List.of(), A, List.of("a.jar"), backendArgs,
                JavaRuntime.thisJavaCommand(), Runtime.version().feature()));
        assertTrue(cmd.contains("-Xmx64m") && cmd.contains("-XX:+UseSerialGC"), cmd.toString());
        for (String a : cmd) {
            assertTrue(!a.startsWith("-Xloggc") && !a.contains("backend") && !a.startsWith("-Xlog:gc"),
                    "a training run would write the backend's log: " + a + " in " + cmd);
        }
    }

    @Test
    void aBackendUsesAnAotCacheFromJdk24AndACdsArchiveBefore() {
        List<String> cds = SharingOptions.toUse(plan("a.jar", List.of(), A, List.of("a.jar"), List.of(), "java", 17));
        assertTrue(cds.contains("-XX:SharedArchiveFile=" + A) && cds.contains("-Xshare:auto"), cds.toString());
        Path aot = Path.of("/cache/backend-a.aot");
        List<String> jdk25 = SharingOptions.toUse(plan("a.jar", List.of(), aot, List.of("a.jar"), List.of(), "java", 25));
        assertTrue(jdk25.contains("-XX:AOTCache=" + aot) && jdk25.contains("-Xlog:aot=off"), jdk25.toString());
        assertTrue(SharingOptions.choosesOwnSharing(List.of("-Xmx1g", "-XX:AOTCache=/x.aot")));
        assertTrue(!SharingOptions.choosesOwnSharing(List.of("-Xmx1g")));
    }

    @Test
    void aC1OnlyBackendOnJdk25DoesNotReplayTheCachesTraining() {
        Path aot = Path.of("/cache/backend-a.aot");
        List<String> c1 = List.of("-XX:TieredStopAtLevel=1");
        List<String> small = SharingOptions.toUse(plan("a.jar", List.of(), aot, List.of("a.jar"), c1, "java", 25));
        assertTrue(small.contains("-XX:-AOTReplayTraining"), small.toString());
        assertTrue(small.indexOf("-XX:+UnlockDiagnosticVMOptions") >= 0
                && small.indexOf("-XX:+UnlockDiagnosticVMOptions") < small.indexOf("-XX:-AOTReplayTraining"),
                "a diagnostic option needs the unlock before it: " + small);
        // the full compiler uses the training's profiles; the user's own choice stands; JDK 24 has no such option
        List<String> full = SharingOptions.toUse(plan("a.jar", List.of(), aot, List.of("a.jar"), List.of(), "java",
                25));
        assertTrue(!full.contains("-XX:-AOTReplayTraining"), full.toString());
        List<String> own = SharingOptions.toUse(plan("a.jar", List.of(), aot, List.of("a.jar"),
                List.of("-XX:TieredStopAtLevel=1", "-XX:+UnlockDiagnosticVMOptions", "-XX:+AOTReplayTraining"),
                "java", 25));
        assertTrue(own.stream().noneMatch(a -> a.contains("AOTReplayTraining")), own.toString());
        List<String> jdk24 = SharingOptions.toUse(plan("a.jar", List.of(), aot, List.of("a.jar"), c1, "java", 24));
        assertTrue(jdk24.stream().noneMatch(a -> a.contains("AOTReplayTraining")), jdk24.toString());
    }
}
