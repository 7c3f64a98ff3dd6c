package jvalkka.shm.internal;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;

/**
 * The serialized form of a framework resource that lives outside the JVM under
 * a name (a segment in {@code /dev/shm}): the name; deserializing it re-opens
 * the resource by that name in the receiving JVM. For the framework's handles
 * ({@link SharedMemory}, {@code EventGroup}); not for users.
 */
public abstract class NamedHandle implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The name the handle is opened by. */
    private final String name;

    /**
     * A handle on what {@code name} names.
     *
     * @param name the name
     */
    protected NamedHandle(String name) {
        this.name = name;
    }

    /**
     * Opens the resource called {@code name} in this JVM.
     *
     * @param name the name
     * @return the handle opened in this JVM
     * @throws IOException when it cannot be opened
     */
    protected abstract Object reopen(String name) throws IOException;

    /**
     * What the resource is, for error messages ("shared memory", "EventGroup").
     *
     * @return what the resource is, for error messages ("shared memory", "EventGroup")
     */
    protected abstract String what();

    /**
     * Opens the named object in the receiving JVM.
     *
     * @return the open handle
     * @throws ObjectStreamException when it cannot be opened
     */
    protected final Object readResolve() throws ObjectStreamException {
        return resolve();
    }

    /**
     * Opens the named object in the receiving JVM, as deserializing this handle
     * does: for a process object that crosses as field values (not by Java
     * serialization).
     *
     * @return the open handle
     * @throws ObjectStreamException when it cannot be opened
     */
    public final Object resolve() throws ObjectStreamException {
        try {
            return reopen(name);
        } catch (IOException | RuntimeException e) {
            InvalidObjectException ioe = new InvalidObjectException("cannot re-open " + what() + " '" + name
                    + "' in this process: " + e.getMessage());
            ioe.initCause(e);
            throw ioe;
        }
    }
}
