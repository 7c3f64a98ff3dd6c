package jvalkka.multiprocess;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import jvalkka.internal.ValueCodec;

/**
 * The wire form of messages whose values are all "plain" — strings, ints,
 * finite doubles, booleans, nulls — written and read without Jackson. Such
 * messages are most of the traffic, and a backend runs on the C1 compiler, where
 * Jackson's per-message set-up costs about 0.5 µs each way; this costs a fraction.
 *
 * <p>The plain kinds are {@link ValueCodec}'s (the one tagged value codec's) null, string,
 * int, boolean and double tags; the process transfer and SGN frames write the same kinds in
 * that codec's binary form. Messages stay JSON text: typed values go through Jackson with
 * their class names, checked by {@link ValueTypes}, and a message is one JSON document.
 *
 * <p>The bytes are ordinary JSON, the same envelope {@link Codec} writes:
 * {@code ["command",{"name":value,...}]}. The reader is strict and gives up
 * (returns {@code null}) on anything it does not fully accept — a typed value,
 * non-ASCII text, unusual spacing, a malformed number — so that {@link Codec}
 * hands those bytes to Jackson, which decodes or rejects them. Stateless and
 * thread-safe.
 */
final class PlainJson {
    private PlainJson() {
    }

    /** Whether every value of {@code m} is plain (so {@link #encode} can write it). */
    static boolean isPlain(MessageObject m) {
        for (Object v : m.parameters().values()) {
            if (!isPlain(v)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code v} is of a plain kind ({@link ValueCodec#tag}): null, a string, an int,
     * a boolean, a finite double (JSON has no NaN or infinity).
     */
    static boolean isPlain(Object v) {
        return switch (ValueCodec.tag(v)) {
            case ValueCodec.NULL, ValueCodec.STRING, ValueCodec.INT, ValueCodec.TRUE, ValueCodec.FALSE -> true;
            case ValueCodec.DOUBLE -> Double.isFinite((Double) v);
            default -> false;
        };
    }

    /** Writes a plain message (check {@link #isPlain} first). */
    static void encode(MessageObject m, Codec.Sink out) {
        out.write('[');
        string(m.command(), out);
        out.write(',');
        out.write('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : m.parameters().entrySet()) {
            if (!first) {
                out.write(',');
            }
            first = false;
            string(e.getKey(), out);
            out.write(':');
            Object v = e.getValue();
            switch (ValueCodec.tag(v)) {
                case ValueCodec.NULL -> ascii("null", out);
                case ValueCodec.STRING -> string((String) v, out);
                case ValueCodec.INT -> ascii(Integer.toString((Integer) v), out);
                case ValueCodec.TRUE -> ascii("true", out);
                case ValueCodec.FALSE -> ascii("false", out);
                // finite: "1.5", "1.0E-5", "-0.0" are JSON numbers
                default -> ascii(Double.toString((Double) v), out);
            }
        }
        out.write('}');
        out.write(']');
    }

    private static void ascii(String s, Codec.Sink out) {
        for (int i = 0; i < s.length(); i++) {
            out.write(s.charAt(i));
        }
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private static void string(String s, Codec.Sink out) {
        out.write('"');
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80) {
                if (c == '"' || c == '\\') {
                    out.write('\\');
                }
                out.write(c);
            } else if (c < 0x20) {
                out.write('\\');
                out.write('u');
                out.write('0');
                out.write('0');
                out.write(HEX[c >> 4]);
                out.write(HEX[c & 15]);
            } else {
                // the rest of the string as UTF-8 (unpaired surrogates become '?', as String.getBytes does)
                byte[] utf8 = s.substring(i).getBytes(StandardCharsets.UTF_8);
                for (byte b : utf8) {
                    int u = b & 0xFF;
                    if (u == '"' || u == '\\') {
                        out.write('\\');
                        out.write(u);
                    } else if (u < 0x20) {
                        out.write('\\');
                        out.write('u');
                        out.write('0');
                        out.write('0');
                        out.write(HEX[u >> 4]);
                        out.write(HEX[u & 15]);
                    } else {
                        out.write(u);
                    }
                }
                break;
            }
        }
        out.write('"');
    }

    // ------------------------------------------------------------------ reading

    /** Reads a plain message, or returns {@code null} when the bytes are anything else. */
    static MessageObject decode(byte[] b, int off, int len) {
        Reader r = new Reader(b, off, off + len);
        return r.message();
    }

    private static final class Reader {
        private final byte[] b;
        private int p;
        private final int end;
        private boolean failed;

        Reader(byte[] b, int start, int end) {
            this.b = b;
            this.p = start;
            this.end = end;
        }

        MessageObject message() {
            if (!take('[')) {
                return null;
            }
            String command = string();
            if (failed || command.isEmpty() || !take(',') || !take('{')) {
                return null;
            }
            LinkedHashMap<String, Object> params = null;
            if (!take('}')) {
                params = new LinkedHashMap<>();
                do {
                    String key = string();
                    if (failed || !take(':')) {
                        return null;
                    }
                    Object v = value();
                    if (failed) {
                        return null;
                    }
                    params.put(key, v);
                } while (take(','));
                if (!take('}')) {
                    return null;
                }
            }
            if (!take(']') || p != end) {
                return null;
            }
            return params == null ? new MessageObject(command) : MessageObject.trusted(command, params);
        }

        private boolean take(char c) {
            if (p < end && b[p] == c) {
                p++;
                return true;
            }
            return false;
        }

        private Object value() {
            if (p >= end) {
                failed = true;
                return null;
            }
            switch (b[p]) {
                case '"':
                    return string();
                case 't':
                    return word("true") ? Boolean.TRUE : null;
                case 'f':
                    return word("false") ? Boolean.FALSE : null;
                case 'n':
                    word("null");
                    return null;
                default:
                    return number();
            }
        }

        private boolean word(String w) {
            if (end - p < w.length()) {
                failed = true;
                return false;
            }
            for (int i = 0; i < w.length(); i++) {
                if (b[p + i] != w.charAt(i)) {
                    failed = true;
                    return false;
                }
            }
            p += w.length();
            return true;
        }

        /** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; an int unless it has a fraction or exponent. */
        private Object number() {
            int start = p;
            take('-');
            int digits = digits();
            if (digits == 0 || digits > 1 && b[p - digits] == '0') {
                failed = true;
                return null;
            }
            boolean integral = true;
            if (take('.')) {
                integral = false;
                if (digits() == 0) {
                    failed = true;
                    return null;
                }
            }
            if (p < end && (b[p] == 'e' || b[p] == 'E')) {
                integral = false;
                p++;
                if (!take('+')) {
                    take('-');
                }
                if (digits() == 0) {
                    failed = true;
                    return null;
                }
            }
            String text = new String(b, start, p - start, StandardCharsets.US_ASCII);
            if (integral) {
                if (p - start > 11) {
                    failed = true; // a long: not written bare, so not ours
                    return null;
                }
                long v = Long.parseLong(text);
                if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    failed = true;
                    return null;
                }
                return (int) v;
            }
            return Double.parseDouble(text);
        }

        private int digits() {
            int n = 0;
            while (p < end && b[p] >= '0' && b[p] <= '9') {
                p++;
                n++;
            }
            return n;
        }

        /** An ASCII string; escapes are decoded; anything else (non-ASCII, control bytes) fails. */
        private String string() {
            if (!take('"')) {
                failed = true;
                return "";
            }
            int start = p;
            StringBuilder sb = null;
            while (p < end) {
                int c = b[p];
                if (c == '"') {
                    String s = sb == null ? new String(b, start, p - start, StandardCharsets.US_ASCII)
                            : sb.append(new String(b, start, p - start, StandardCharsets.US_ASCII)).toString();
                    p++;
                    return s;
                }
                if (c < 0x20) { // also every non-ASCII byte (negative): left to Jackson
                    failed = true;
                    return "";
                }
                if (c == '\\') {
                    if (sb == null) {
                        sb = new StringBuilder();
                    }
                    sb.append(new String(b, start, p - start, StandardCharsets.US_ASCII));
                    if (!escape(sb)) {
                        failed = true;
                        return "";
                    }
                    start = p;
                    continue;
                }
                p++;
            }
            failed = true;
            return "";
        }

        /** Appends the escape at {@code p} (its backslash) to {@code sb} and steps past it; false for a bad one. */
        private boolean escape(StringBuilder sb) {
            if (p + 1 >= end) {
                return false;
            }
            char e = (char) b[p + 1];
            p += 2;
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (p + 4 > end) {
                        return false;
                    }
                    int v = 0;
                    for (int i = 0; i < 4; i++) {
                        int h = Character.digit(b[p + i], 16);
                        if (h < 0) {
                            return false;
                        }
                        v = v * 16 + h;
                    }
                    p += 4;
                    sb.append((char) v);
                }
                default -> {
                    return false;
                }
            }
            return true;
        }
    }
}
