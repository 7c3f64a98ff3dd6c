package jvalkka.shm.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the framework handles ({@code EventGroup}, {@code SharedMemory},
 * {@code SharedArray}, ...) that cross to a backend while its process object is
 * being serialized, so that the starter can attach the new backend to them
 * (for example as the {@code Peer} of an {@code EventGroup}).
 *
 * <p>Handles call {@link #note(Object)} from their serialization hooks. The
 * record is per thread: {@link #begin()} and {@link #end()} bracket one
 * serialization.
 */
public final class Crossing {
    private static final ThreadLocal<List<Object>> CURRENT = new ThreadLocal<>();

    private Crossing() {
    }

    /** Starts recording on this thread. */
    public static void begin() {
        CURRENT.set(new ArrayList<>());
    }

    /**
     * Stops recording on this thread and returns what crossed, in order (no duplicates).
     *
     * @return the handles that crossed, in order
     */
    public static List<Object> end() {
        List<Object> crossed = CURRENT.get();
        CURRENT.remove();
        return crossed == null ? List.of() : crossed;
    }

    /**
     * Called by a handle that is being serialized; does nothing when no recording is under way.
     *
     * @param handle the handle being serialized
     */
    public static void note(Object handle) {
        List<Object> crossed = CURRENT.get();
        if (crossed != null && crossed.stream().noneMatch(o -> o == handle)) {
            crossed.add(handle);
        }
    }
}
