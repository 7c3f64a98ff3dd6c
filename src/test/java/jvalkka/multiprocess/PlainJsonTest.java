package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The plain fast path must read and write exactly what Jackson does. */
class PlainJsonTest {
    private static final String[] STRINGS = {"", "gotcha!", "quote \" backslash \\ slash /", "tab\tnew\nline\r",
        "\u0000\u0001\u001f", "héllo wörld", "日本語", "emoji \uD83D\uDE00", "\u007f", "a\"b\\c\u0002d"};

    static Object randomValue(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> null;
            case 1 -> STRINGS[r.nextInt(STRINGS.length)];
            case 2 -> r.nextInt();
            case 3 -> r.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            case 4 -> r.nextDouble() * Math.pow(10, r.nextInt(-300, 300)) * (r.nextBoolean() ? 1 : -1);
            case 5 -> r.nextBoolean() ? -0.0 : Double.MIN_VALUE;
            case 6 -> r.nextBoolean();
            default -> "k" + r.nextInt(1000);
        };
    }

    @Test
    void plainMessagesRoundTripAndAgreeWithJackson() throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        for (int n = 0; n < 5000; n++) {
            Map<String, Object> params = new LinkedHashMap<>();
            int k = r.nextInt(5);
            for (int i = 0; i < k; i++) {
                params.put(i % 2 == 0 ? "p" + i : STRINGS[r.nextInt(STRINGS.length)] + i, randomValue(r));
            }
            MessageObject m = new MessageObject(r.nextBoolean() ? "ping" : "cmd \"" + n + "\" é", params);
            assertTrue(PlainJson.isPlain(m));
            byte[] wire = Codec.encode(m);
            MessageObject jackson = Codec.decodeWithJackson(wire, 0, wire.length);
            assertEquals(m, jackson, "Jackson reads what the plain writer wrote: " + new String(wire, StandardCharsets.UTF_8));
            MessageObject plain = PlainJson.decode(wire, 0, wire.length);
            if (plain != null) { // it leaves non-ASCII text to Jackson
                assertEquals(m, plain);
                for (String key : m.parameters().keySet()) {
                    Object v = m.get(key);
                    assertEquals(v == null ? null : v.getClass(), plain.get(key) == null ? null : plain.get(key).getClass());
                }
            }
            assertEquals(m, Codec.decode(wire, 0, wire.length));
        }
    }

    @Test
    void asciiMessagesTakeTheFastPath() {
        byte[] wire = Codec.encode(new MessageObject("ping", "i", 5, "s", "a\"b\\c\n", "d", -1.5E-7, "b", false, "n", null));
        assertNotNull(PlainJson.decode(wire, 0, wire.length));
    }

    @Test
    void nonFiniteDoublesStayDoubles() throws IOException {
        for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            MessageObject m = new MessageObject("x", "d", d);
            byte[] wire = Codec.encode(m);
            Object back = Codec.decode(wire, 0, wire.length).get("d");
            assertEquals(Double.class, back.getClass(), new String(wire, StandardCharsets.UTF_8));
            assertEquals(d, (Double) back);
        }
    }

    @Test
    void theFastReaderLeavesWhatItDoesNotFullyAcceptToJackson() {
        for (String s : new String[] {"[\"a\",{\"x\":01}]", "[\"a\",{\"x\":1.}]", "[\"a\",{\"x\":.5}]",
            "[\"a\",{\"x\":1e}]", "[\"a\",{\"x\":9999999999}]", "[\"a\",{\"x\":[\"java.lang.Long\",5]}]",
            "[ \"a\",{}]", "[\"a\",{}] ", "[\"a\",{\"x\":tru}]", "[\"a\",{\"x\":\"\\q\"}]", "[\"a\",{\"x\":\"\u0001\"}]",
            "[\"\",{}]", "[\"a\",{\"x\":1,}]", "[\"a\",{\"x\":\"\\u12\"}]"}) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertNull(PlainJson.decode(b, 0, b.length), s);
        }
    }
}
