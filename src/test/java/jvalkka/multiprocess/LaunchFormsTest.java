package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer application, built here from {@code src/test/fixtures/consumer} with
 * the JDK's own tools against a jar of jvalkka, launched in each of the ways a
 * Java developer habitually launches one: each must start a backend and get its
 * answer (or, for a Spring Boot executable jar, fail at once naming the fix).
 * The application prints one line: the answer and what each JVM loaded.
 */
@Timeout(300)
class LaunchFormsTest {
    private static final String ANSWER = "ANSWER 42 backend=jar/jar frontend=jar/jar";
    private static final Path FIXTURES = Path.of(System.getProperty("basedir", "."), "src", "test", "fixtures");

    /** Jars on the test class path that a consumer of jvalkka does not get (test-only, or optional). */
    private static final List<String> NOT_PASSED_ON = List.of("junit-", "opentest4j", "apiguardian", "spring-boot",
            "surefire-", "common-java5", "pekko-", "scala-", "config-", "ssl-config-", "asn-one", "reactive-streams",
            "lmdbjava");

    @TempDir
    static Path tmp;
    /** jvalkka as a jar, and the jars it needs. */
    private static Path jvalkka;
    private static List<Path> deps;
    /** The consumer's classes, as a jar. */
    private static Path app;

    @BeforeAll
    static void build() throws Exception {
        Path self = Path.of(BackendMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(self)) {
            jvalkka = tmp.resolve("jvalkka.jar");
            tool("jar", "--create", "--file", jvalkka.toString(), "-C", self.toString(), ".");
        } else {
            jvalkka = self;
        }
        // what a consumer's build gives it: jvalkka's own dependencies, not the test-only jars, nor the
        // optional cluster ones (Pekko, Scala: ~25 MB that Maven does not pass on, and that every form
        // below would otherwise copy, jar or resolve for nothing)
        deps = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            String n = p.getFileName().toString();
            if (n.endsWith(".jar") && Files.isRegularFile(p) && !p.equals(self) && NOT_PASSED_ON.stream().noneMatch(n::startsWith)) {
                deps.add(p);
            }
        }
        Path classes = tmp.resolve("classes");
        javac(classes, "--class-path", classPath(jvalkka, deps), sources(FIXTURES.resolve("consumer/src/main/java")));
        copyTree(FIXTURES.resolve("consumer/src/main/resources"), classes);
        app = tmp.resolve("app.jar");
        tool("jar", "--create", "--file", app.toString(), "-C", classes.toString(), ".");
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
        // the applications' own backends and class-data trainers: their command lines name this directory
        List<ProcessHandle> left = ProcessHandle.allProcesses().filter(h -> h.info().commandLine()
                .map(c -> c.contains(tmp.toString()) && c.contains("jvalkka.multiprocess.")).orElse(false)).toList();
        for (ProcessHandle h : left) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                h.destroyForcibly();
                throw new AssertionError("an application's JVM was left running: " + h.pid() + " " + h.info());
            }
        }
    }

    // ------------------------------------------------------------------ the launch forms

    @Test
    void aPlainClassPathLaunchStartsABackend() throws Exception {
        String out = run(tmp, java(), "-cp", classPath(app, jvalkkaAndDeps()), "app.Main");
        assertTrue(out.contains(ANSWER), out);
    }

    @Test
    void mavenExecJavaStartsABackend() throws Exception {
        Path project = tmp.resolve("consumer");
        copyTree(FIXTURES.resolve("consumer/src"), project.resolve("src"));
        StringBuilder dependencies = new StringBuilder();
        int n = 0;
        for (Path jar : jvalkkaAndDeps()) {
            dependencies.append("    <dependency><groupId>local</groupId><artifactId>dep").append(n++)
                    .append("</artifactId><version>1</version><scope>system</scope><systemPath>").append(jar)
                    .append("</systemPath></dependency>\n");
        }
        Files.writeString(project.resolve("pom.xml"), Files.readString(FIXTURES.resolve("consumer/pom.xml.template"))
                .replace("DEPENDENCIES", dependencies));
        // offline once this repository seems to have the plugins (no update checks against a remote repository
        // on every run); online otherwise, so that Maven fetches them once. A repository can hold a plugin's jar
        // but not all it needs (its parent POM, say): an offline run that says so is run again online
        List<String> goals = List.of("compile", "org.codehaus.mojo:exec-maven-plugin:3.5.0:java");
        Path repo = Path.of(System.getProperty("maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
        String out = null;
        if (Stream.of("org/codehaus/mojo/exec-maven-plugin/3.5.0", "org/apache/maven/plugins/maven-compiler-plugin/3.13.0",
                "org/apache/maven/plugins/maven-resources-plugin/3.3.1").allMatch(d -> Files.isDirectory(repo.resolve(d)))) {
            out = run(project, Stream.concat(Stream.of("mvn", "-B", "-q", "-o"), goals.stream()).toArray(String[]::new));
        }
        if (out == null || (!out.contains(ANSWER) && out.contains("in offline mode"))) {
            out = run(project, Stream.concat(Stream.of("mvn", "-B", "-q"), goals.stream()).toArray(String[]::new));
        }
        assertTrue(out.contains(ANSWER), out);
    }

    @Test
    void javaDashJarWithAManifestClassPathStartsABackend() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("manifest-cp"));
        Path lib = Files.createDirectories(dir.resolve("lib"));
        StringBuilder cp = new StringBuilder();
        for (Path jar : jvalkkaAndDeps()) {
            Files.copy(jar, lib.resolve(jar.getFileName()));
            cp.append(cp.length() == 0 ? "" : " ").append("lib/").append(jar.getFileName());
        }
        Manifest mf = manifest("app.Main");
        mf.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString());
        Path jar = dir.resolve("app.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            copyEntries(app, out, new HashSet<>());
        }
        String out = run(tmp, java(), "-jar", jar.toString());
        assertTrue(out.contains(ANSWER), out);
    }

    @Test
    void aShadedUberJarStartsABackend() throws Exception {
        // what maven-shade-plugin makes: every class of the application and its dependencies in one jar
        Path jar = tmp.resolve("uber.jar");
        Set<String> seen = new HashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest("app.Main"))) {
            copyEntries(app, out, seen);
            for (Path dep : jvalkkaAndDeps()) {
                copyEntries(dep, out, seen);
            }
        }
        String out = run(tmp, java(), "-jar", jar.toString());
        assertTrue(out.contains(ANSWER), out);
    }

    @Test
    void theModulePathStartsABackend() throws Exception {
        ModuleReference ref = ModuleFinder.of(jvalkka).findAll().iterator().next();
        Path src = tmp.resolve("module-src");
        copyTree(FIXTURES.resolve("consumer/src/main/java"), src);
        Files.writeString(src.resolve("module-info.java"), Files.readString(
                FIXTURES.resolve("consumer/module-info.java.template")).replace("JVALKKA_MODULE",
                        ref.descriptor().name()));
        Path classes = tmp.resolve("module-classes");
        javac(classes, "--module-path", classPath(jvalkka, deps), sources(src));
        copyTree(FIXTURES.resolve("consumer/src/main/resources"), classes);
        Path mods = Files.createDirectories(tmp.resolve("mods"));
        tool("jar", "--create", "--file", mods.resolve("app.jar").toString(), "-C", classes.toString(), ".");
        // jvalkka as an automatic module requires nothing: the application adds what it uses
        String out = run(tmp, java(), "--module-path", classPath(mods.resolve("app.jar"), jvalkkaAndDeps()),
                "--add-modules", "ALL-MODULE-PATH,jdk.net", "-m", "app/app.Main");
        assertTrue(out.contains(ANSWER), out);
    }

    @Test
    void aSpringBootExecutableJarFailsAtOnceNamingTheFix() throws Exception {
        // the layout spring-boot-maven-plugin's repackage makes: the loader at the root, the application's
        // classes and its jars nested inside (stored, as the loader requires)
        Path loader = Path.of(org.springframework.boot.loader.launch.JarLauncher.class.getProtectionDomain()
                .getCodeSource().getLocation().toURI());
        Manifest mf = manifest("org.springframework.boot.loader.launch.JarLauncher");
        mf.getMainAttributes().putValue("Start-Class", "app.Main");
        mf.getMainAttributes().putValue("Spring-Boot-Classes", "BOOT-INF/classes/");
        mf.getMainAttributes().putValue("Spring-Boot-Lib", "BOOT-INF/lib/");
        Path jar = tmp.resolve("boot.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            copyEntries(loader, out, new HashSet<>());
            for (String d : List.of("BOOT-INF/", "BOOT-INF/classes/", "BOOT-INF/lib/")) {
                out.putNextEntry(new JarEntry(d));
                out.closeEntry();
            }
            try (JarFile in = new JarFile(app.toFile())) {
                for (JarEntry e : java.util.Collections.list(in.entries())) {
                    if (!e.getName().startsWith("META-INF/")) {
                        out.putNextEntry(new JarEntry("BOOT-INF/classes/" + e.getName()));
                        if (!e.isDirectory()) {
                            in.getInputStream(e).transferTo(out);
                        }
                        out.closeEntry();
                    }
                }
            }
            for (Path dep : jvalkkaAndDeps()) {
                byte[] bytes = Files.readAllBytes(dep);
                CRC32 crc = new CRC32();
                crc.update(bytes);
                JarEntry e = new JarEntry("BOOT-INF/lib/" + dep.getFileName());
                e.setMethod(ZipEntry.STORED);
                e.setSize(bytes.length);
                e.setCompressedSize(bytes.length);
                e.setCrc(crc.getValue());
                out.putNextEntry(e);
                out.write(bytes);
                out.closeEntry();
            }
        }
        String out = run(tmp, java(), "-jar", jar.toString());
        assertTrue(out.contains("START FAILED"), out);
        assertTrue(out.contains("withClassPath"), out);
        assertTrue(out.contains("Spring Boot"), out);
    }

    // ------------------------------------------------------------------ the same classes in every JVM

    @Test
    void aClassAndAResourceShadowedByADirectoryComeFromTheDirectoryInBothJvms() throws Exception {
        // a patched copy in a directory before the jar, as target/classes before a dependency
        Path shadow = tmp.resolve("shadow");
        javac(shadow, "--class-path", app.toString(), sources(FIXTURES.resolve("shadow")));
        Files.copy(FIXTURES.resolve("shadow/app/shadow.txt"), shadow.resolve("app/shadow.txt"));
        String out = run(tmp, java(), "-cp", classPath(shadow, List.of(app, jvalkka)) + java.io.File.pathSeparator
                + classPath(deps.get(0), deps.subList(1, deps.size())), "app.Main", "prepare");
        assertTrue(out.contains("ARCHIVE true"), out); // the backend starts with class-data sharing
        assertTrue(out.contains("ANSWER 42 backend=dir/dir frontend=dir/dir"), out);
    }

    // ------------------------------------------------------------------ helpers

    private static List<Path> jvalkkaAndDeps() {
        List<Path> all = new ArrayList<>();
        all.add(jvalkka);
        all.addAll(deps);
        return all;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Manifest manifest(String mainClass) {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        return mf;
    }

    /** Copies a jar's files into {@code out}: the first copy of a name wins, as in maven-shade-plugin. */
    private static void copyEntries(Path jar, JarOutputStream out, Set<String> seen) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> es = in.entries();
            while (es.hasMoreElements()) {
                JarEntry e = es.nextElement();
                String n = e.getName();
                if (e.isDirectory() || n.equals("META-INF/MANIFEST.MF") || n.endsWith("module-info.class")
                        || n.matches("META-INF/[^/]*\\.(SF|RSA|DSA|EC)") || !seen.add(n)) {
                    continue;
                }
                out.putNextEntry(new JarEntry(n));
                in.getInputStream(e).transferTo(out);
                out.closeEntry();
            }
        }
    }

    private static String classPath(Path first, List<Path> rest) {
        return Stream.concat(Stream.of(first), rest.stream()).map(Path::toString)
                .collect(Collectors.joining(java.io.File.pathSeparator));
    }

    private static String[] sources(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toArray(String[]::new);
        }
    }

    static void javac(Path out, String pathOption, String path, String... sources) {
        List<String> args = new ArrayList<>(List.of("--release", "17", "-parameters", "-nowarn", "-d",
                out.toString(), pathOption, path));
        args.addAll(List.of(sources));
        tool("javac", args.toArray(String[]::new));
    }

    static void tool(String name, String... args) {
        StringWriter msg = new StringWriter();
        PrintWriter w = new PrintWriter(msg);
        int rc = ToolProvider.findFirst(name).orElseThrow().run(w, w, args);
        w.flush();
        assertEquals(0, rc, name + " " + String.join(" ", args) + ": " + msg);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /**
     * Runs a command in {@code dir} with its own class-data cache, and returns its
     * merged output; past two minutes it and all it started are killed and the run fails.
     */
    static String run(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("XDG_CACHE_HOME", Files.createDirectories(tmp.resolve("cache")).toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Thread pump = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(buf);
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        pump.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            pump.join(5_000);
            throw new AssertionError(String.join(" ", command) + " did not end within 120 s:\n" + buf);
        }
        pump.join(10_000);
        return String.join(" ", command).replace(tmp.toString(), "$TMP") + "\n" + buf.toString(StandardCharsets.UTF_8);
    }
}
