package jvalkka.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Base64;

/** Java-serializes objects to a base64 string and back, to hand handles to a child JVM as an argument. */
public final class Handles {
    private Handles() {
    }

    public static String encode(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    @SuppressWarnings("unchecked")
    public static <T> T decode(String s) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(s)))) {
            return (T) in.readObject();
        }
    }

    /** Serializes and deserializes in this JVM. */
    public static <T> T roundTrip(Object o) throws IOException, ClassNotFoundException {
        return decode(encode(o));
    }
}
