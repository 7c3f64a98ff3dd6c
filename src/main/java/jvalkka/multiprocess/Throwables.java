package jvalkka.multiprocess;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

/**
 * Carries an exception across the process boundary with its type, message,
 * stack trace and causes: Java serialization when the exception allows it,
 * otherwise a {@link BackendException} that keeps the same text and frames.
 * Used by the proxy's replies and by layers above the core (SGN's workers).
 * Stateless and thread-safe.
 */
public final class Throwables {
    private Throwables() {
    }

    /**
     * The exception as bytes for a message parameter.
     *
     * @param t the exception
     * @return the bytes
     */
    public static byte[] encode(Throwable t) {
        try {
            return serialize(t);
        } catch (IOException | RuntimeException e) {
            try {
                return serialize(portable(t));
            } catch (IOException e2) {
                throw new IllegalStateException("cannot encode " + t, e2);
            }
        }
    }

    /** A serializable stand-in with the same type name, message, frames and causes. */
    static BackendException portable(Throwable t) {
        BackendException cause = t.getCause() == null || t.getCause() == t ? null : portable(t.getCause());
        BackendException b = new BackendException(t.getClass().getName(), t.getMessage(), cause);
        b.setStackTrace(t.getStackTrace());
        return b;
    }

    private static byte[] serialize(Throwable t) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(t);
        }
        return bytes.toByteArray();
    }

    /**
     * The exception {@link #encode} wrote; a {@link BackendException} saying so if it cannot be read.
     *
     * @param b the bytes that {@link #encode(Throwable)} made
     * @return the exception, with its type, message, stack trace and causes as far as they exist here
     */
    public static Throwable decode(byte[] b) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return (Throwable) in.readObject();
        } catch (IOException | ClassNotFoundException | ClassCastException e) {
            return new BackendException("unknown", "an exception from the backend could not be decoded: " + e, null);
        }
    }
}
