package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.internal.ValueWriter;

/**
 * How {@link ProcessTransfer#decode} assigns a plain process's fields: in a JDK 22+
 * backend (core reflection's field accessors are method handles there, JEP 416)
 * without generating a LambdaForm class per field type, which cost a backend's
 * start 15 to 18 ms of CPU; and a field value that the process cannot hold is an
 * {@link IOException}, never an assignment.
 */
@Timeout(120)
class ProcessTransferAssignTest {
    /** A JDK 25 installed beside this one (the one the JDK 25 figures are measured with), or null. */
    private static final String JDK25 = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";
    private static final String BEFORE = "== decode";
    private static final String AFTER = "== decoded";

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    /** A process like most: its fields are MessageProcess's own (as the manager bench's workers). */
    static final class Bare extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Bare() {
            super("bare");
        }
    }

    /** A process with fields of its own, of several types. */
    static final class Fields extends MessageProcess {
        private static final long serialVersionUID = 1L;
        int count = 3;
        long big = Long.MIN_VALUE;
        volatile String label = "l";
        Integer boxed = 9;
        char c = 'x';
        static int shared;

        Fields() {
            super("fields");
        }
    }

    /** Child JVM: decodes the process in file {@code args[0]}, between two marker lines on standard output. */
    public static void main(String[] args) throws Exception {
        byte[] data = Files.readAllBytes(Path.of(args[0]));
        System.out.println(BEFORE);
        System.out.flush();
        MessageProcess p = ProcessTransfer.decode(data, ProcessTransferAssignTest.class.getClassLoader());
        System.out.println(AFTER + " " + p.getName() + " " + p.timeout + " " + p.ignoresSigint());
        System.out.flush();
    }

    /** The class-load log lines of LambdaForm classes that a JDK 25 child JVM made while decoding {@code p}. */
    private static List<String> lambdaFormsMadeByDecode(MessageProcess p, List<String> extraJvmArgs) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(JDK25)), "no JDK 25 at " + JDK25);
        Path file = Files.createTempFile("jvalkka-transfer", ".bin");
        try {
            Files.write(file, ProcessTransfer.encode(p));
            List<String> cmd = new ArrayList<>(List.of(JDK25, "-Xlog:class+load", "-Xshare:auto"));
            cmd.addAll(BackendOptions.SMALL_JVM);
            cmd.addAll(BackendCommand.jdkOptions(extraJvmArgs, true, 25)); // as a backend's
            cmd.addAll(extraJvmArgs);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ProcessTransferAssignTest.class.getName(),
                    file.toString()));
            Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out;
            try {
                out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
            } finally {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
            assertEquals(0, child.exitValue(), out);
            assertTrue(!out.contains("WARNING"), out);
            int from = out.indexOf(BEFORE + "\n");
            int to = out.indexOf(AFTER);
            assertTrue(from >= 0 && to > from, out);
            String expected = AFTER + " " + p.getName() + " " + p.timeout + " " + p.ignoresSigint();
            assertTrue(out.contains(expected), "no '" + expected + "' in " + out);
            List<String> made = new ArrayList<>();
            for (String line : out.substring(from, to).split("\n")) {
                if (line.contains("LambdaForm$")) {
                    made.add(line);
                }
            }
            return made;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void decodingAProcessOfMessageProcessFieldsMakesNoLambdaFormClassOnJdk25() throws Exception {
        Bare p = new Bare();
        p.timeout = 0.5;
        p.ignoreSIGINT();
        List<String> made = lambdaFormsMadeByDecode(p, List.of());
        assertEquals(List.of(), made, "LambdaForm classes generated by the decode");
    }

    @Test
    void decodingAProcessWithFieldsOfItsOwnMakesNoLambdaFormClassOnJdk25() throws Exception {
        List<String> made = lambdaFormsMadeByDecode(new Fields(), List.of());
        assertEquals(List.of(), made, "LambdaForm classes generated by the decode");
    }

    @Test
    void aBackendWhoseUserForbidsUnsafeMemoryAccessStillGetsItsFieldsAndNoWarning() throws Exception {
        // the user's own choice: core reflection assigns then (LambdaForms and all), without a word on stderr
        List<String> made = lambdaFormsMadeByDecode(new Fields(), List.of("--sun-misc-unsafe-memory-access=deny"));
        assertTrue(!made.isEmpty(), "reflection's accessors were expected to be used");
    }

    @Test
    void everyFieldTypeArrivesAsSent() throws Exception {
        Fields sent = new Fields();
        sent.count = -7;
        sent.big = 1L << 40;
        sent.label = null;
        sent.boxed = null;
        sent.c = 'é';
        Fields got = (Fields) ProcessTransfer.decode(ProcessTransfer.encode(sent), getClass().getClassLoader());
        assertEquals(-7, got.count);
        assertEquals(1L << 40, got.big);
        assertEquals(null, got.label);
        assertEquals(null, got.boxed);
        assertEquals('é', got.c);
        assertEquals("fields", got.getName());
    }

    /** A plain encoding of {@link Fields} with one field: {@code declaring.name = value}. */
    private static byte[] withField(Class<?> declaring, String name, Object value) {
        ValueWriter.OnArray out = ValueWriter.onArray(256, null);
        out.putByte((byte) 'P');
        out.putString(Fields.class.getName());
        out.putInt(1);
        out.putString(declaring.getName());
        out.putString(name);
        out.value(value);
        return out.toByteArray();
    }

    @Test
    void aValueThatTheFieldCannotHoldIsAnIOExceptionThatNamesTheField() {
        for (Object wrong : new Object[] {"three", 3L, null}) {
            IOException e = assertThrows(IOException.class,
                    () -> ProcessTransfer.decode(withField(Fields.class, "count", wrong), getClass().getClassLoader()),
                    String.valueOf(wrong));
            assertTrue(e.getMessage().contains("count"), e.getMessage());
        }
        assertThrows(IOException.class, () -> ProcessTransfer.decode(withField(Fields.class, "boxed", "nine"),
                getClass().getClassLoader()));
    }

    @Test
    void aFieldOfAnotherClassOrAStaticFieldIsAnIOException() {
        assertThrows(IOException.class, () -> ProcessTransfer.decode(withField(Bare.class, "serialVersionUID", 2L),
                getClass().getClassLoader()));
        assertThrows(IOException.class, () -> ProcessTransfer.decode(withField(Fields.class, "shared", 5),
                getClass().getClassLoader()));
        assertEquals(0, Fields.shared, "a static field was assigned");
        assertThrows(IOException.class, () -> ProcessTransfer.decode(withField(String.class, "hash", 5),
                getClass().getClassLoader()));
    }
}
