package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message names the class of each value; decoding builds only the allowed
 * value types. A "gadget" (a class whose constructor or setter does something)
 * named in a message is never built, in the backend or in the frontend, and the
 * refusal is reported clearly; the documented value types and the handlers'
 * parameter types still arrive.
 */
@Timeout(120)
class GadgetTest {
    /** Records that it was built; its setter creates the file it is given. */
    public static class Gadget {
        static final AtomicInteger BUILT = new AtomicInteger();
        private String path;

        public Gadget() {
            BUILT.incrementAndGet();
        }

        Gadget(String path, boolean unused) {
            this.path = path;
        }

        public void setPath(String path) throws IOException {
            this.path = path;
            Files.createFile(Path.of(path));
        }
    }

    public record Point(int x, int y) {
    }

    /** Not a handler parameter type: allowed by its process class's static initializer, in both JVMs. */
    public record Result(String name, List<Point> points) {
    }

    static class Target extends MessageProcess {
        static {
            MessageObject.allowValueTypes(Result.class);
        }

        Target() {
            super("gadget-target");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__take(Point p, List<Point> more, Object any) {
            send_out__(new MessageObject("took", "sum", p.x() + p.y() + more.size(), "any", any,
                    "result", new Result("r", more)));
        }

        void c__upGadget(String path) {
            send_out__(new MessageObject("gadget", "g", new Gadget(path, true)));
            send_out__(new MessageObject("pong", "i", -1));
        }
    }

    static Target p;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        p = new Target();
        p.start();
    }

    @AfterAll
    static void stop() throws Exception {
        p.stop();
        Leftovers.assertNone();
    }

    static MessageObject next() {
        assertTrue(p.getPipe().poll(30), "no message from the backend within 30 s");
        return p.getPipe().recv();
    }

    static byte[] gadgetMessage(String command, Path marker) {
        return ("[\"" + command + "\",{\"g\":[\"" + Gadget.class.getName() + "\",{\"path\":\"" + marker + "\"}]}]")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theFrontendsDecoderBuildsNoGadget() {
        Path marker = tmp.resolve("built-here");
        int before = Gadget.BUILT.get();
        byte[] b = gadgetMessage("x", marker);
        IOException e = assertThrows(IOException.class, () -> Codec.decode(b, 0, b.length));
        assertTrue(e.getMessage().contains(Gadget.class.getName()) && e.getMessage().contains("not a value type"),
                e.getMessage());
        byte[] nested = ("[\"x\",{\"l\":[\"java.util.ArrayList\",[[\"" + Gadget.class.getName()
                + "\",{\"path\":\"" + marker + "\"}]]]}]").getBytes(StandardCharsets.UTF_8);
        assertThrows(IOException.class, () -> Codec.decode(nested, 0, nested.length));
        byte[] jdk = "[\"x\",{\"r\":[\"java.util.Random\",{}]}]".getBytes(StandardCharsets.UTF_8);
        IOException notACollection = assertThrows(IOException.class, () -> Codec.decode(jdk, 0, jdk.length));
        assertTrue(notACollection.getMessage().contains("java.util.Random"), notACollection.getMessage());
        assertEquals(before, Gadget.BUILT.get(), "a gadget was constructed while decoding");
        assertFalse(Files.exists(marker), "a gadget's setter ran while decoding");
    }

    @Test
    void aGadgetFromTheBackendIsNotBuiltInTheFrontend() throws Exception {
        Path marker = tmp.resolve("built-in-frontend-" + UUID.randomUUID());
        int before = Gadget.BUILT.get();
        p.sendMessageToBack(new MessageObject("upGadget", "path", marker.toString()));
        MessageObject m = next();
        assertEquals("pong", m.command(), "the gadget message should have been refused, got " + m);
        assertEquals(-1, m.get("i"));
        assertEquals(before, Gadget.BUILT.get(), "the frontend constructed a gadget");
        assertFalse(Files.exists(marker), "the frontend ran a gadget's setter");
    }

    @Test
    void aGadgetIsNotBuiltInTheBackendAndTheRefusalIsReported() {
        Path marker = tmp.resolve("built-in-backend-" + UUID.randomUUID());
        // an unknown command: the backend decodes before it looks for a handler
        p.sendMessageToBack(new MessageObject("nosuch", "g", new Gadget(marker.toString(), true)));
        MessageObject e = next();
        assertEquals("error", e.command(), e.toString());
        String reason = String.valueOf(e.get("reason"));
        assertTrue(reason.contains(Gadget.class.getName()) && reason.contains("not a value type"), reason);
        p.sendMessageToBack(new MessageObject("ping", "i", 1));
        assertEquals(1, next().get("i"), "the backend still answers");
        assertFalse(Files.exists(marker), "the backend ran a gadget's setter");
    }

    @Test
    void documentedValuesAndHandlerParameterTypesStillArrive() {
        p.sendMessageToBack(new MessageObject("take", "p", new Point(1, 2), "more",
                List.of(new Point(3, 4), new Point(5, 6)),
                "any", List.of(7L, new java.math.BigDecimal("1.5"), UUID.nameUUIDFromBytes(new byte[1]),
                        Map.of("k", new int[] {1}), new java.util.TreeSet<>(List.of("a")))));
        MessageObject m = next();
        assertEquals("took", m.command(), m.toString());
        assertEquals(5, m.get("sum"));
        List<?> any = (List<?>) m.get("any");
        assertEquals(7L, any.get(0));
        assertEquals(new java.math.BigDecimal("1.5"), any.get(1));
        assertEquals(UUID.nameUUIDFromBytes(new byte[1]), any.get(2));
        assertEquals(new Result("r", List.of(new Point(3, 4), new Point(5, 6))), m.get("result"));
    }
}
