package jvalkka.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.RaceChild;

/**
 * A bulk copy racing {@code close()} in another thread completes or throws,
 * and never crashes the JVM on the unmapped segment. The race runs in a child
 * JVM ({@link CopyCloseRace}) of a {@link RaceChild}, so that a crash (SIGSEGV)
 * fails this test instead of killing the test JVM.
 */
@Timeout(120)
class CopyCloseRaceTest {
    private static final Pattern OK = Pattern.compile("ok completed=(\\d+) refused=(\\d+) overlapped=(\\d+)");

    @Test
    void aBulkCopyRacingCloseCompletesOrIsRefusedAndNeverFaults() throws Exception {
        String prefix = "jvtest-race-" + UUID.randomUUID().toString().substring(0, 8);
        int rounds = 40;
        String out = RaceChild.run(CopyCloseRace.class, "512m", pid -> prefix,
                "the child JVM failed (a crash: it faulted on the unmapped segment)", 100,
                prefix, Integer.toString(rounds), Integer.toString(1 << 20));
        System.out.println(out.strip());
        Matcher m = OK.matcher(out);
        assertTrue(m.find(), out);
        // every round's seven copiers end refused; a copy in flight when close began completed
        assertEquals(rounds * 7L, Long.parseLong(m.group(2)), out);
        assertTrue(Long.parseLong(m.group(3)) > 0, "no copy was under way when a close began: " + out);
    }

    @Test
    void aRawCopyIntoAnArrayOverAReadOnlyViewIsRefusedNotAFault() throws Exception {
        String name = "jvtest-ro-" + UUID.randomUUID().toString().substring(0, 8);
        String out = RaceChild.run(CopyCloseRace.IntoReadOnly.class, null, pid -> name,
                "the child JVM failed (a crash: it wrote to a read-only mapping)", 60, name);
        assertTrue(out.contains("refused: java.lang.UnsupportedOperationException: SharedArray over '"
                + name + "' is read-only"), out);
    }
}
