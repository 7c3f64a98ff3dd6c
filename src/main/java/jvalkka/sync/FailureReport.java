package jvalkka.sync;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of a failure report in an {@link EventGroup}'s shared memory: a
 * line saying what failed, then the exception and its causes (class name,
 * message, frames) as plain fields. Plain data on purpose: the waiter rebuilds
 * a {@link RemoteFailure} from it and never deserializes an object, whoever
 * wrote the segment. Stateless.
 */
final class FailureReport {
    private static final int MAX_CAUSES = 8;
    private static final int MAX_TEXT = 2000;

    private FailureReport() {
    }

    /** Encodes within {@code limit} bytes, dropping frames (then text) until it fits. */
    static byte[] encode(String what, Throwable t, int limit) {
        for (int frames : new int[] {64, 16, 4, 0}) {
            byte[] b = encode(what, t, frames, frames == 0 ? 200 : MAX_TEXT);
            if (b.length <= limit) {
                return b;
            }
        }
        return encode(clip(what, 100), null, 0, 100);
    }

    private static byte[] encode(String what, Throwable t, int maxFrames, int maxText) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(clip(what == null ? "" : what, maxText));
            List<Throwable> chain = new ArrayList<>();
            for (Throwable c = t; c != null && chain.size() < MAX_CAUSES && !chain.contains(c); c = c.getCause()) {
                chain.add(c);
            }
            out.writeByte(chain.size());
            for (Throwable c : chain) {
                out.writeUTF(c.getClass().getName());
                String m = c.getMessage();
                out.writeBoolean(m != null);
                if (m != null) {
                    out.writeUTF(clip(m, maxText));
                }
                StackTraceElement[] st = c.getStackTrace();
                int k = Math.min(st.length, maxFrames);
                out.writeShort(k);
                for (int i = 0; i < k; i++) {
                    out.writeUTF(st[i].getClassName());
                    out.writeUTF(st[i].getMethodName());
                    out.writeUTF(st[i].getFileName() == null ? "" : st[i].getFileName());
                    out.writeInt(st[i].getLineNumber());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    /** What a waiter of event {@code index} throws, from the report (null: lost). */
    static EventFailedException exception(String group, int index, byte[] report) {
        String head = "event " + index + " of EventGroup '" + group + "' will not be set: ";
        if (report == null) {
            return new EventFailedException(head + "it was marked failed (the report was overwritten by later ones)",
                    index, null);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(report))) {
            String what = in.readUTF();
            int n = in.readUnsignedByte();
            String[] types = new String[n];
            String[] messages = new String[n];
            StackTraceElement[][] traces = new StackTraceElement[n][];
            for (int c = 0; c < n; c++) {
                types[c] = in.readUTF();
                messages[c] = in.readBoolean() ? in.readUTF() : null;
                StackTraceElement[] st = new StackTraceElement[in.readUnsignedShort()];
                for (int i = 0; i < st.length; i++) {
                    String cls = in.readUTF();
                    String method = in.readUTF();
                    String file = in.readUTF();
                    st[i] = new StackTraceElement(cls, method, file.isEmpty() ? null : file, in.readInt());
                }
                traces[c] = st;
            }
            RemoteFailure cause = null;
            for (int c = n - 1; c >= 0; c--) {
                cause = new RemoteFailure(types[c], messages[c], cause);
                cause.setStackTrace(traces[c]);
            }
            return new EventFailedException(head + what, index, cause);
        } catch (IOException | RuntimeException e) {
            return new EventFailedException(head + "it was marked failed (the report is unreadable: " + e + ")",
                    index, null);
        }
    }
}
