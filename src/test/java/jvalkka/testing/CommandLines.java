package jvalkka.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's whole command line, read from {@code /proc/<pid>/cmdline}.
 *
 * <p>Not {@code ProcessHandle.Info.commandLine()}: the JDK gives that up (an empty
 * Optional) when the arguments pass a page, which a backend's class path of
 * Maven repository jars does, and a leftover check built on it would then see
 * no backend at all.
 */
public final class CommandLines {
    private CommandLines() {
    }

    /** The command line of {@code h}, arguments joined by spaces; "" once it has gone. */
    public static String of(ProcessHandle h) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + h.pid() + "/cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }
}
