package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The backend's command line as a pure function of its inputs: no JVM is
 * started here (LaunchOptionsTest starts one to check a real command line).
 */
@Timeout(30)
class BackendCommandTest {
    private static final String EPOLL = "sun.nio.ch.EPollSelectorProvider";
    private static final String SELECTOR = "-D" + BackendCommand.SELECTOR_PROVIDER_PROPERTY + "=";

    private static BackendCommand.Inputs inputs(List<String> jvmArgs, boolean thisJava, int feature,
            String slf4j) {
        return new BackendCommand.Inputs("/jdk/bin/java", jvmArgs, List.of("-XX:SharedArchiveFile=/a.jsa"),
                List.of("-cp", "/app/classes:/app/lib.jar", BackendMain.class.getName()), "Worker.w-1", thisJava, feature, EPOLL, slf4j);
    }

    private static long count(List<String> cmd, String prefix) {
        return cmd.stream().filter(a -> a.startsWith(prefix)).count();
    }

    @Test
    void theCommandLineIsJavaTheUsersOptionsSharingNameProvidersAndTheLauncher() {
        List<String> cmd = BackendCommand.of(inputs(List.of("-Xmx64m"), true, 17, null));
        assertEquals(List.of("/jdk/bin/java", "-Xmx64m", "-XX:SharedArchiveFile=/a.jsa",
                "-Djvalkka.process=Worker.w-1", SELECTOR + EPOLL, "-XX:+DisplayVMOutputToStderr",
                "-cp", "/app/classes:/app/lib.jar", BackendMain.class.getName()), cmd);
    }

    @Test
    void theSameInputsGiveTheSameCommandLine() {
        assertEquals(BackendCommand.of(inputs(List.of(), true, 21, "x.Provider")),
                BackendCommand.of(inputs(List.of(), true, 21, "x.Provider")));
    }

    @Test
    void anotherJavaCommandGetsNoneOfThisJdksOptions() {
        List<String> cmd = BackendCommand.of(inputs(List.of(), false, 24, null));
        assertEquals(0, count(cmd, SELECTOR), cmd.toString());
        assertEquals(0, count(cmd, "--sun-misc-unsafe-memory-access="), cmd.toString());
        assertEquals(0, count(cmd, "--enable-native-access="), cmd.toString());
        assertTrue(cmd.contains("-XX:+DisplayVMOutputToStderr"), cmd.toString());
    }

    @Test
    void theUsersOwnPropertyIsNotDoubled() {
        String mine = SELECTOR + "sun.nio.ch.PollSelectorProvider";
        List<String> cmd = BackendCommand.of(inputs(List.of(mine, "-Dslf4j.provider=mine.P"), true, 17, "x.P"));
        assertEquals(1, count(cmd, SELECTOR), cmd.toString());
        assertTrue(cmd.contains(mine), cmd.toString());
        assertEquals(1, count(cmd, "-Dslf4j.provider="), cmd.toString());
        assertFalse(cmd.contains("-Dslf4j.provider=x.P"), cmd.toString());
    }

    @Test
    void anSlf4jProviderIsNamedQuietly() {
        List<String> cmd = BackendCommand.of(inputs(List.of(), true, 17, "x.Provider"));
        assertTrue(cmd.contains("-Dslf4j.provider=x.Provider"), cmd.toString());
        assertTrue(cmd.contains("-Dslf4j.internal.verbosity=WARN"), cmd.toString());
    }

    @Test
    void jdk24AndLaterGetTheAccessOptionsUnlessTheUserChose() {
        for (int feature : new int[] {17, 21, 23}) {
            List<String> cmd = BackendCommand.of(inputs(List.of(), true, feature, null));
            assertEquals(0, count(cmd, "--enable-native-access="), feature + ": " + cmd);
        }
        for (int feature : new int[] {24, 25, 26, 30}) {
            List<String> cmd = BackendCommand.of(inputs(List.of(), true, feature, null));
            assertEquals(1, count(cmd, "--sun-misc-unsafe-memory-access=allow"), cmd.toString());
            assertEquals(1, count(cmd, "--enable-native-access=ALL-UNNAMED"), cmd.toString());
            List<String> own = BackendCommand.of(inputs(List.of("--enable-native-access=M"), true, feature, null));
            assertEquals(1, count(own, "--enable-native-access="), own.toString());
        }
    }

    @Test
    void jdk25AndLaterExportTheProvidersListForTheFirstSocketButJdk17DoesNot() {
        String export = "--add-exports=java.base/sun.security.jca=ALL-UNNAMED";
        for (int feature : new int[] {17, 21, 24}) {
            List<String> cmd = BackendCommand.of(inputs(List.of(), true, feature, null));
            assertEquals(0, count(cmd, "--add-exports"), feature + ": " + cmd); // it would cost JDK 17's archive more
        }
        for (int feature : new int[] {25, 26}) {
            List<String> cmd = BackendCommand.of(inputs(List.of(), true, feature, null));
            assertEquals(1, count(cmd, export), feature + ": " + cmd);
            assertTrue(cmd.indexOf(export) < cmd.indexOf(BackendMain.class.getName()), cmd.toString());
        }
        assertEquals(0, count(BackendCommand.of(inputs(List.of(), false, 0, null)), "--add-exports"));
    }

    @Test
    void jdk22AndLaterBackendsCallReflectedMethodsNativelyUnlessTheUserChose() {
        String nativeOnly = "-D" + BackendCommand.NATIVE_REFLECTION_PROPERTY + "=true";
        for (int feature : new int[] {17, 21}) {
            List<String> cmd = BackendCommand.of(inputs(List.of(), true, feature, null));
            assertEquals(0, count(cmd, "-D" + BackendCommand.NATIVE_REFLECTION_PROPERTY), feature + ": " + cmd);
        }
        for (int feature : new int[] {22, 25, 26}) {
            List<String> cmd = BackendCommand.of(inputs(List.of(), true, feature, null));
            assertEquals(1, count(cmd, nativeOnly), feature + ": " + cmd);
            assertTrue(cmd.indexOf(nativeOnly) < cmd.indexOf(BackendMain.class.getName()), cmd.toString());
            String mine = "-D" + BackendCommand.NATIVE_REFLECTION_PROPERTY + "=false";
            List<String> own = BackendCommand.of(inputs(List.of(mine), true, feature, null));
            assertEquals(1, count(own, "-D" + BackendCommand.NATIVE_REFLECTION_PROPERTY), own.toString());
            assertTrue(own.contains(mine), own.toString());
        }
        assertEquals(0, count(BackendCommand.of(inputs(List.of(), false, 0, null)),
                "-D" + BackendCommand.NATIVE_REFLECTION_PROPERTY));
    }

    @Test
    void theVmMayBeToldToKeepItsOutputOnStdout() {
        List<String> cmd = BackendCommand.of(inputs(List.of("-XX:-DisplayVMOutputToStderr"), true, 17, null));
        assertFalse(cmd.contains("-XX:+DisplayVMOutputToStderr"), cmd.toString());
    }
}
