package jvalkka.multiprocess;

import java.util.ArrayList;
import java.util.List;


/**
 * The command line that starts a backend JVM, as a pure function of its
 * {@link Inputs}: the same inputs give the same list, and nothing is read from
 * this JVM while building it. {@link #inputs} gathers the inputs from this JVM
 * (its selector provider, its SLF4J provider, its JDK's version).
 */
final class BackendCommand {
    static final String SELECTOR_PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
    /** The export that lets {@link BootRandom} open a backend's first socket (JDK 25 and later). */
    static final String EXPORT_PROVIDER_LIST = "--add-exports=java.base/sun.security.jca=ALL-UNNAMED";
    /**
     * The JDK's property that has core reflection call methods and constructors
     * natively (through the VM) rather than through method handles (JDK 18 and
     * later, JEP 416): see {@link #jdkOptions(List, boolean, int)}.
     */
    static final String NATIVE_REFLECTION_PROPERTY = "jdk.reflect.useNativeAccessorOnly";
    /**
     * The JDK's own selector provider when this JVM uses it (no provider was
     * installed), else null. A backend is told its name: looking for installed
     * providers opens and indexes every jar on the class path, the largest single
     * cost of a backend's start after the JVM itself.
     */
    private static final String SELECTOR_PROVIDER = platformSelectorProvider();

    private BackendCommand() {
    }

    /**
     * Everything the command line depends on.
     *
     * @param javaCommand the {@code java} to run
     * @param jvmArgs the user's JVM options ({@link BackendOptions#jvmArgs()})
     * @param cdsArgs the class-data sharing options
     * @param launchArgs the class path or module path and the main class
     *     ({@link BackendClassPath#launchArgs}), the command line's tail
     * @param label the backend's name, shown in {@code ps} as {@code -Djvalkka.process=}
     * @param thisJava whether {@code javaCommand} is a JDK whose version is known
     *     ({@link #knownJdk}): this JVM's own, or one whose {@code release} file was read
     * @param jdkFeature the feature version of that JDK ({@code Runtime.version().feature()} in it)
     * @param selectorProvider this JVM's platform selector provider's class name, or null
     * @param slf4jProvider the SLF4J provider the backend should use, or null
     */
    record Inputs(String javaCommand, List<String> jvmArgs, List<String> cdsArgs, List<String> launchArgs, String label,
            boolean thisJava, int jdkFeature, String selectorProvider, String slf4jProvider) {
    }

    /** The backend's command line: java, the user's options, sharing, name, providers, JDK options, main class. */
    static List<String> of(Inputs in) {
        List<String> cmd = new ArrayList<>();
        cmd.add(in.javaCommand());
        cmd.addAll(in.jvmArgs());
        cmd.addAll(in.cdsArgs());
        cmd.add("-Djvalkka.process=" + in.label());
        cmd.addAll(backendProperties(in.jvmArgs(), in.thisJava(), in.selectorProvider(), in.slf4jProvider()));
        cmd.addAll(jdkOptions(in.jvmArgs(), in.thisJava(), in.jdkFeature()));
        cmd.addAll(in.launchArgs());
        return cmd;
    }

    /** The inputs for a backend of this JVM with {@code options} and class-data sharing {@code cds}. */
    static Inputs inputs(BackendOptions options, ClassDataSharing.Plan cds, BackendClassPath where, String label) {
        JavaRuntime jdk = JavaRuntime.of(options.javaCommand());
        return new Inputs(options.javaCommand(), options.jvmArgs(), cds.jvmArgs(), where.launchArgs(cds.classPath()),
                label, knownJdk(jdk), jdk.feature(), SELECTOR_PROVIDER, LogBinding.providerForBackends());
    }

    /**
     * Whether the options that depend on the backend's JDK may be given to {@code jdk}:
     * it is this JVM's own, or a JDK 17 or later whose version {@link JavaRuntime} read.
     */
    static boolean knownJdk(JavaRuntime jdk) {
        return jdk.isThisJava() || jdk.feature() >= 17;
    }

    private static String platformSelectorProvider() {
        String name = java.nio.channels.spi.SelectorProvider.provider().getClass().getName();
        return name.equals("sun.nio.ch.EPollSelectorProvider") ? name : null;
    }

    /** {@link #backendProperties(List, boolean, String, String)} with this JVM's providers ({@code thisJava}: see {@link #knownJdk}). */
    static List<String> backendProperties(List<String> jvmArgs, boolean thisJava) {
        return backendProperties(jvmArgs, thisJava, SELECTOR_PROVIDER, LogBinding.providerForBackends());
    }

    /**
     * System properties that spare a backend JVM work at start: each names a
     * provider that the JDK or SLF4J would otherwise look for by scanning every
     * jar on the class path. Properties set in {@code jvmArgs} are left alone; the
     * selector provider is named only to a JDK whose version is known ({@link #knownJdk}).
     */
    static List<String> backendProperties(List<String> jvmArgs, boolean thisJava, String selectorProvider,
            String slf4jProvider) {
        List<String> props = new ArrayList<>();
        if (selectorProvider != null && thisJava && !definesProperty(jvmArgs, SELECTOR_PROVIDER_PROPERTY)) {
            props.add("-D" + SELECTOR_PROVIDER_PROPERTY + "=" + selectorProvider);
        }
        if (slf4jProvider != null && !definesProperty(jvmArgs, "slf4j.provider")) {
            props.add("-Dslf4j.provider=" + slf4jProvider);
            props.add("-Dslf4j.internal.verbosity=WARN"); // else SLF4J announces the provider on every start
        }
        return props;
    }

    /** {@link #jdkOptions(List, boolean, int)} for this JVM's JDK version. */
    static List<String> jdkOptions(List<String> jvmArgs, boolean thisJava) {
        return jdkOptions(jvmArgs, thisJava, Runtime.version().feature());
    }

    /**
     * JVM options for what a backend's JDK would otherwise print where the
     * frontend cannot report it, or print on every start:
     * <ul>
     * <li>{@code -XX:+DisplayVMOutputToStderr}: the VM's own messages (since JDK
     *     25 an error while the VM starts, such as a missing system class loader)
     *     go to standard error, which a failed start() reports, rather than to
     *     standard output.</li>
     * <li>On JDK 24 and later, {@code --sun-misc-unsafe-memory-access=allow} and
     *     {@code --enable-native-access=ALL-UNNAMED}: Agrona and jnr-ffi use
     *     {@code sun.misc.Unsafe} and native libraries, about which these JDKs
     *     warn once per JVM, which for a backend is once per start. Left out when
     *     {@code jvmArgs} chooses for itself, and for a JDK whose version is not
     *     known.</li>
     * <li>On JDK 25 and later, {@value #EXPORT_PROVIDER_LIST}: the backend opens its
     *     first socket without building the JDK's security providers
     *     ({@link BootRandom}, 10 to 16 ms of boot CPU). Not on earlier JDKs: on
     *     JDK 17 any module option turns off the class-data archive's optimised
     *     module handling, which costs more than it saves (JDK 25 keeps it and the
     *     archived module graph, checked with {@code -Xlog:aot}).</li>
     * <li>On JDK 22 and later, {@code -D}{@value #NATIVE_REFLECTION_PROPERTY}{@code =true}:
     *     core reflection calls a method through the VM instead of building method
     *     handles for it. A backend's start reflects a few methods once each (the
     *     first socket's {@link BootRandom}, its first message's handler), and each
     *     such method handle generates two to eight LambdaForm classes at run time,
     *     which no AOT cache or CDS archive holds (the JDK 25 cache's training does
     *     not record them): measured on JDK 25.0.3, 15 classes and 17 to 20 ms of a
     *     backend's 120 to 130 ms of boot CPU. A handler that is called often
     *     switches to its own method handle ({@link Dispatcher.Handler}), so the
     *     dispatch of messages costs what it did; other reflective calls in the
     *     backend go through the VM, as they do on JDK 17 for their first 15 calls.
     *     Not before JDK 22 (not measured there: JDK 17's reflection is native at
     *     first anyway), and left out when {@code jvmArgs} set the property.</li>
     * </ul>
     */
    static List<String> jdkOptions(List<String> jvmArgs, boolean thisJava, int feature) {
        List<String> opts = new ArrayList<>();
        if (!jvmArgs.contains("-XX:-DisplayVMOutputToStderr")) {
            opts.add("-XX:+DisplayVMOutputToStderr");
        }
        if (thisJava && feature >= 24) {
            if (!startsWithAny(jvmArgs, "--sun-misc-unsafe-memory-access")) {
                opts.add("--sun-misc-unsafe-memory-access=allow");
            }
            if (!startsWithAny(jvmArgs, "--enable-native-access")) {
                opts.add("--enable-native-access=ALL-UNNAMED");
            }
        }
        if (thisJava && feature >= 25 && !jvmArgs.contains(EXPORT_PROVIDER_LIST)) {
            opts.add(EXPORT_PROVIDER_LIST);
        }
        if (thisJava && feature >= 22 && !definesProperty(jvmArgs, NATIVE_REFLECTION_PROPERTY)) {
            opts.add("-D" + NATIVE_REFLECTION_PROPERTY + "=true");
        }
        return opts;
    }

    private static boolean startsWithAny(List<String> jvmArgs, String prefix) {
        for (String a : jvmArgs) {
            if (a.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean definesProperty(List<String> jvmArgs, String property) {
        return startsWithAny(jvmArgs, "-D" + property + "=");
    }
}
