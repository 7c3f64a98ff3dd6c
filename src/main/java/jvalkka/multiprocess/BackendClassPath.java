package jvalkka.multiprocess;

import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolvedModule;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Where a backend JVM finds its classes: the class path and module path it is
 * launched with, and how its main class is named.
 *
 * <p>Unless {@link BackendOptions#withClassPath(String)} or
 * {@link BackendOptions#withModulePath(String)} says otherwise, they are derived
 * from where this JVM actually loaded jvalkka and the process's class from, not
 * from {@code java.class.path} (which under {@code mvn exec:java} names Maven's
 * launcher and under the module path nothing):
 * <ul>
 * <li>a class in the unnamed module: its class loader and that loader's parents,
 *     parents first (as they are asked first): the JDK's application class loader
 *     gives {@code java.class.path}, a {@link URLClassLoader} its {@code file:}
 *     URLs. The jars' manifest {@code Class-Path} is not spelled out: the
 *     backend's JVM follows it as this one did.</li>
 * <li>a class in a named module of the boot layer: the locations of the boot
 *     layer's modules become the module path, their names the root modules, and
 *     jvalkka's module names the main class.</li>
 * </ul>
 * Where that cannot be done (a class from a jar inside a jar, as in a Spring Boot
 * executable jar; a class loader that does not say where its classes come from;
 * a module layer of the application's own), {@link #of} throws a
 * {@link BackendStartException} that says why and what to set. Derived results
 * are kept per process class. Thread-safe; immutable.
 */
final class BackendClassPath {
    private static final String APP_LOADER = "jdk.internal.loader.ClassLoaders$AppClassLoader";
    private static final String MAIN = BackendMain.class.getName();
    private static final String MAIN_PACKAGE = BackendMain.class.getPackageName();

    private static final ClassValue<Object> DERIVED = new ClassValue<>() {
        @Override
        protected Object computeValue(Class<?> type) {
            try {
                return derive(type);
            } catch (IllegalStateException e) {
                return e.getMessage(); // the reason; thrown again at every start
            }
        }
    };

    /**
     * The JDK modules jvalkka uses beyond java.base: as an automatic module it
     * cannot require them, and a frontend that never reached the code using them
     * may not have resolved them.
     */
    private static final List<String> JDK_MODULES = List.of("jdk.net", "jdk.unsupported");

    private final List<String> classPath;
    private final List<String> modulePath;
    private final List<String> rootModules;
    private final String mainModule;

    private BackendClassPath(List<String> classPath, List<String> modulePath, List<String> rootModules,
            String mainModule) {
        this.classPath = List.copyOf(classPath);
        this.modulePath = List.copyOf(modulePath);
        this.rootModules = List.copyOf(rootModules);
        this.mainModule = mainModule;
    }

    /**
     * The backend's class path and module path for {@code processClass} under
     * {@code options}; {@code owner} names the process in the error.
     * @throws BackendStartException when they are not given and cannot be derived
     */
    static BackendClassPath of(BackendOptions options, Class<?> processClass, Object owner) {
        if (options.classPath() != null || options.modulePath() != null) {
            return given(options.classPath(), options.modulePath());
        }
        Object r = DERIVED.get(processClass);
        if (r instanceof BackendClassPath p) {
            return p;
        }
        throw new BackendStartException(owner + " cannot start: the backend's class path cannot be derived: " + r);
    }

    /** The class path entries, in order. */
    List<String> classPath() {
        return classPath;
    }

    /** Whether backends can use a class-data-sharing archive: only with a class path alone. */
    boolean classPathOnly() {
        return modulePath.isEmpty() && mainModule == null;
    }

    /**
     * The arguments that follow the JVM options on a backend's command line:
     * module path and root modules, the class path ({@code classPath}, this
     * class path as class-data sharing arranged it) and the main class.
     */
    List<String> launchArgs(String classPath) {
        List<String> args = new ArrayList<>();
        if (!modulePath.isEmpty()) {
            args.add("--module-path");
            args.add(String.join(File.pathSeparator, modulePath));
            args.add("--add-modules");
            args.add(String.join(",", rootModules));
        }
        if (!classPath.isEmpty()) {
            args.add("-cp");
            args.add(classPath);
        }
        if (mainModule != null) {
            args.add("-m");
            args.add(mainModule + "/" + MAIN);
        } else {
            args.add(MAIN);
        }
        return args;
    }

    private static List<String> split(String path) {
        List<String> out = new ArrayList<>();
        if (path != null) {
            for (String e : path.split(File.pathSeparator)) {
                if (!e.isEmpty()) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** What the user gave; jvalkka's main class from the module path when a module there holds it. */
    static BackendClassPath given(String classPath, String modulePath) {
        List<String> mp = split(modulePath);
        String mainModule = null;
        if (!mp.isEmpty()) {
            Path[] paths = mp.stream().map(Path::of).toArray(Path[]::new);
            for (ModuleReference m : ModuleFinder.of(paths).findAll()) {
                if (m.descriptor().packages().contains(MAIN_PACKAGE)) {
                    mainModule = m.descriptor().name();
                }
            }
        }
        List<String> roots = new ArrayList<>(List.of("ALL-MODULE-PATH"));
        roots.addAll(JDK_MODULES);
        return new BackendClassPath(split(classPath), mp, mp.isEmpty() ? List.of() : roots, mainModule);
    }

    /** Derives from where {@code processClass} and jvalkka came from; IllegalStateException says why not. */
    static BackendClassPath derive(Class<?> processClass) {
        LinkedHashSet<String> cp = new LinkedHashSet<>();
        LinkedHashSet<String> mp = new LinkedHashSet<>();
        LinkedHashSet<String> roots = new LinkedHashSet<>();
        boolean bootLayerDone = false;
        Set<Class<?>> classes = new LinkedHashSet<>(List.of(BackendMain.class, processClass));
        for (Class<?> c : classes) {
            Module m = c.getModule();
            if (m.isNamed()) {
                if (m.getLayer() != ModuleLayer.boot()) {
                    throw new IllegalStateException(c.getName() + " is in module " + m.getName()
                            + " of a module layer the application made, which a backend JVM cannot rebuild. "
                            + "Give the backend its module path and class path with "
                            + "BackendOptions.withModulePath(...) and withClassPath(...)");
                }
                if (!bootLayerDone) {
                    bootLayer(mp, roots);
                    roots.addAll(JDK_MODULES);
                    bootLayerDone = true;
                }
            } else {
                fromLoaders(c, cp);
            }
        }
        Module main = BackendMain.class.getModule();
        return new BackendClassPath(new ArrayList<>(cp), new ArrayList<>(mp), new ArrayList<>(roots),
                main.isNamed() ? main.getName() : null);
    }

    private static void bootLayer(Set<String> mp, Set<String> roots) {
        for (ResolvedModule r : ModuleLayer.boot().configuration().modules()) {
            roots.add(r.name()); // as resolved here: the JDK's modules too (an automatic module names none)
            URI where = r.reference().location().orElse(null);
            if (where != null && "file".equals(where.getScheme())) {
                mp.add(Path.of(where).toString());
            } else if (where != null && !"jrt".equals(where.getScheme())) {
                throw new IllegalStateException("module " + r.name() + " comes from " + where
                        + ", which a module path cannot name. Give the backend its module path and class path "
                        + "with BackendOptions.withModulePath(...) and withClassPath(...)");
            }
        }
    }

    private static void fromLoaders(Class<?> c, Set<String> cp) {
        List<ClassLoader> chain = new ArrayList<>();
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        for (ClassLoader l = c.getClassLoader(); l != null && l != platform; l = l.getParent()) {
            chain.add(l);
        }
        Collections.reverse(chain); // a loader asks its parent first: the parent's entries win
        for (ClassLoader l : chain) {
            if (l.getClass().getName().equals(APP_LOADER)) {
                for (String e : split(System.getProperty("java.class.path"))) {
                    cp.add(Path.of(e).toAbsolutePath().normalize().toString());
                }
            } else if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    cp.add(fileOf(c, l, url).toString());
                }
            } else {
                throw new IllegalStateException(c.getName() + " was loaded by " + l
                        + ", a class loader that does not say where its classes come from. Give the backend its "
                        + "class path with BackendOptions.withClassPath(...)");
            }
        }
        // a class from elsewhere than its loaders' entries (a manifest Class-Path, a loader's own lookup)
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        if (cs != null && cs.getLocation() != null) {
            Path where = fileOf(c, c.getClassLoader(), cs.getLocation());
            if (!cp.contains(where.toString()) && !viaManifests(cp).contains(where.toString())) {
                cp.add(where.toString());
            }
        }
    }

    private static Path fileOf(Class<?> c, ClassLoader l, URL url) {
        if ("file".equals(url.getProtocol())) {
            try {
                return Path.of(url.toURI()).toAbsolutePath().normalize();
            } catch (URISyntaxException | IllegalArgumentException e) {
                // not a path: reported below
            }
        }
        String s = url.toString();
        boolean nested = s.startsWith("jar:") || s.contains("!/") || s.contains("nested:");
        throw new IllegalStateException(c.getName() + " was loaded by " + l + " from " + s
                + (nested ? ", a jar inside a jar (as in a Spring Boot executable jar), which a JVM's class path "
                        + "cannot name. Give the backend its class path with BackendOptions.withClassPath(...), "
                        + "for example the unpacked application (java -Djarmode=tools -jar app.jar extract), or "
                        + "launch the application unpacked"
                        : ", which is not a file a JVM's class path can name. Give the backend its class path with "
                        + "BackendOptions.withClassPath(...)"));
    }

    /** The class path with the jars its jars' manifests add, as the JVM follows them. */
    private static Set<String> viaManifests(Set<String> cp) {
        Set<String> all = new HashSet<>(cp);
        Deque<String> todo = new ArrayDeque<>(cp);
        while (!todo.isEmpty()) {
            Path jar = Path.of(todo.pop());
            if (!Files.isRegularFile(jar)) {
                continue;
            }
            try (JarFile f = new JarFile(jar.toFile())) {
                Manifest mf = f.getManifest();
                String more = mf == null ? null : mf.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
                if (more == null) {
                    continue;
                }
                for (String e : more.trim().split("\\s+")) {
                    try {
                        Path p = Path.of(jar.toUri().resolve(e)).toAbsolutePath().normalize();
                        if (all.add(p.toString())) {
                            todo.add(p.toString());
                        }
                    } catch (RuntimeException bad) {
                        // an entry the JVM ignores too
                    }
                }
            } catch (IOException e) {
                // not a jar: nothing to follow
            }
        }
        return all;
    }
}
