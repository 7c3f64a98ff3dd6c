package jvalkka.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;

/**
 * An {@link ObjectInputStream} that resolves classes with a given class loader (a backend's or a
 * worker's context loader, which sees the user's classes) without initialising them; primitive
 * types fall back to the default resolution.
 */
public final class LoaderObjectInputStream extends ObjectInputStream {
    private final ClassLoader loader;

    /**
     * @param in     the serialized bytes
     * @param loader the loader classes are resolved with
     * @throws IOException if the stream header cannot be read
     */
    public LoaderObjectInputStream(InputStream in, ClassLoader loader) throws IOException {
        super(in);
        this.loader = loader;
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
        try {
            return Class.forName(desc.getName(), false, loader);
        } catch (ClassNotFoundException e) {
            return super.resolveClass(desc); // int.class and the other primitive types
        }
    }
}
