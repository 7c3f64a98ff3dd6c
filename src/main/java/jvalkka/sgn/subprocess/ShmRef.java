package jvalkka.sgn.subprocess;

import java.util.Map;
import jvalkka.shm.SharedMemory;

/**
 * A shared-memory segment made by {@link Parallelize#toShm} (SGN's {@code {"name": ..., "shm":
 * ...}} dictionary): its name, the mapping in this JVM, and the extra metadata given to
 * {@code toShm}. A worker finds its segments in {@link WorkerContext#shmList()}.
 */
public record ShmRef(String name, SharedMemory shm, Map<String, Object> metadata) {
    /**
     * A segment made by {@code toShm}, with its metadata.
     *
     * @param name the segment's name
     * @param shm its mapping in this JVM
     * @param metadata the extra entries given to {@code toShm} (null: none)
     */
    public ShmRef {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
