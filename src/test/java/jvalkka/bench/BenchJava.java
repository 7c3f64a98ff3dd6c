package jvalkka.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jvalkka.multiprocess.BackendOptions;

/**
 * The benches' {@code --java PATH} option (or the {@code JVALKKA_BENCH_JAVA}
 * environment variable): backends run that {@code java} instead of this JVM's,
 * so that one frontend compares JDKs (JDK 17 with its CDS archive, JDK 25 with its
 * AOT cache). Prints {@code backend_jdk N feature} when one is given.
 */
final class BenchJava {
    private BenchJava() {
    }

    /** Applies {@code --java PATH} to the class-wide backend options; returns the other arguments. */
    static String[] apply(String[] args) {
        List<String> rest = new ArrayList<>();
        String java = System.getenv("JVALKKA_BENCH_JAVA");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--java") && i + 1 < args.length) {
                java = args[++i];
            } else if (args[i].startsWith("--java=")) {
                java = args[i].substring("--java=".length());
            } else {
                rest.add(args[i]);
            }
        }
        if (java != null && !java.isEmpty()) {
            BackendOptions.setDefaults(BackendOptions.defaults().withJavaCommand(java));
            String v = "?";
            try {
                Process p = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                Matcher m = Pattern.compile("version \"(\\d+)").matcher(out);
                v = m.find() ? m.group(1) : "?";
            } catch (Exception e) {
                // the version line is only for the reader
            }
            System.out.printf("backend_jdk %s feature%n", v);
        }
        return rest.toArray(new String[0]);
    }
}
