package jvalkka.shm;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Segments a test makes: fresh names, and what it opened, so that
 * {@link #cleanUp()} (from an {@code @AfterEach}) closes everything in reverse
 * order and removes every name from /dev/shm, whatever the test did.
 */
final class TestSegments {
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    /** A name no other test uses, removed at clean-up. */
    String name() {
        String n = "jvtest-" + UUID.randomUUID().toString().substring(0, 8);
        names.add(n);
        return n;
    }

    /** Closes {@code t} at clean-up. */
    <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    void cleanUp() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        for (String n : names) {
            Files.deleteIfExists(SharedMemory.DIRECTORY.resolve(n));
        }
        open.clear();
        names.clear();
    }
}
