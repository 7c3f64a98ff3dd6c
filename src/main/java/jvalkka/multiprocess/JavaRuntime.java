package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a backend's {@code java} is: its JDK's feature version (17, 25, ...) and
 * an identity that changes when the JDK is replaced, for the keys of
 * {@link ClassDataSharing}'s cache. Found once per {@code java} command and kept:
 * for this JVM's own {@code java} from this JVM, for another from its JDK's
 * {@code release} file (a few file reads; no JVM is run). A command whose JDK
 * cannot be told gets feature 0: backends run it as given, without a cache or the
 * options that depend on the version. Thread-safe.
 */
final class JavaRuntime {
    private static final ConcurrentHashMap<String, JavaRuntime> KNOWN = new ConcurrentHashMap<>();
    private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)(?:\\.(\\d+))?");

    private final int feature;
    private final String identity;
    private final boolean thisJava;

    private JavaRuntime(int feature, String identity, boolean thisJava) {
        this.feature = feature;
        this.identity = identity;
        this.thisJava = thisJava;
    }

    /** The path of this JVM's own {@code java}. */
    static String thisJavaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The JDK that {@code javaCommand} runs (a path, or a name looked up on {@code PATH}). */
    static JavaRuntime of(String javaCommand) {
        return KNOWN.computeIfAbsent(javaCommand, JavaRuntime::find);
    }

    /** Its feature version ({@code Runtime.version().feature()} in that JDK), or 0 when unknown. */
    int feature() {
        return feature;
    }

    /** A string that names this JDK build and install, or null when unknown. */
    String identity() {
        return identity;
    }

    /** Whether it is this JVM's own JDK. */
    boolean isThisJava() {
        return thisJava;
    }

    private static JavaRuntime find(String command) {
        if (command.equals(thisJavaCommand())) {
            return new JavaRuntime(Runtime.version().feature(),
                    System.getProperty("java.home") + "|" + System.getProperty("java.vm.version"), true);
        }
        try {
            Path exe = resolve(command);
            if (exe == null) {
                return new JavaRuntime(0, null, false);
            }
            Path real = exe.toRealPath();
            Path home = real.getParent() == null ? null : real.getParent().getParent();
            if (home == null) {
                return new JavaRuntime(0, null, false);
            }
            if (home.toString().equals(Path.of(System.getProperty("java.home")).toRealPath().toString())) {
                return new JavaRuntime(Runtime.version().feature(),
                        System.getProperty("java.home") + "|" + System.getProperty("java.vm.version"), false);
            }
            byte[] release = Files.readAllBytes(home.resolve("release"));
            Matcher m = VERSION.matcher(new String(release, StandardCharsets.UTF_8));
            if (!m.find()) {
                return new JavaRuntime(0, null, false);
            }
            int first = Integer.parseInt(m.group(1));
            int feature = first == 1 && m.group(2) != null ? Integer.parseInt(m.group(2)) : first; // 1.8 is 8
            // the release file names the version; the VM library's size and time tell an update in place
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(release);
            Path libjvm = home.resolve("lib").resolve("server").resolve("libjvm.so");
            if (Files.isRegularFile(libjvm)) {
                BasicFileAttributes at = Files.readAttributes(libjvm, BasicFileAttributes.class);
                d.update((at.size() + "|" + at.lastModifiedTime().toMillis()).getBytes(StandardCharsets.UTF_8));
            }
            return new JavaRuntime(feature, home + "|" + HexFormat.of().formatHex(d.digest()).substring(0, 16), false);
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            return new JavaRuntime(0, null, false);
        }
    }

    /** The file {@code command} runs: itself when it names a path, else the first match on {@code PATH}. */
    private static Path resolve(String command) {
        if (command.indexOf(File.separatorChar) >= 0) {
            return Path.of(command);
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "JDK " + (feature == 0 ? "of unknown version" : feature) + (thisJava ? " (this JVM's)" : "");
    }
}
