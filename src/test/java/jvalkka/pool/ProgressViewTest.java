package jvalkka.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The progress line: what it says, when it shows, and that it stays quiet off a terminal. */
class ProgressViewTest {
    @Test
    void theLineSaysDoneRateAndTimeLeft() {
        assertEquals("pool: 250/1000 done (25.0%), 50.0 items/s, 15.0 s left",
                ProgressView.line("pool", 250, 400, 1000, 50));
        assertEquals("pool: 10/40 done (of those put so far) (25.0%), 2.0 items/s, 15.0 s left",
                ProgressView.line("pool", 10, 40, -1, 2));
        assertTrue(ProgressView.line("pool", 0, 10_000, 10_000, 10).endsWith("16 min 40 s left"));
    }

    @Test
    void itShowsOnlyAfterASecondAndEndsWithANewline() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressView v = new ProgressView("pool", new PrintStream(bytes, true, StandardCharsets.UTF_8));
        long s = 1_000_000_000L;
        v.tick(0, 0, 100, 100);
        v.tick(s / 2, 10, 100, 100);
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "quiet for the first second");
        v.tick(2 * s, 50, 100, 100);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("\rpool: 50/100 done (50.0%), 25.0 items/s"));
        v.tick(3 * s, 100, 100, 100);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).endsWith("\n"));
    }

    @Test
    void offATerminalThereIsNoView() {
        // surefire's JVM has no console
        assertNull(ProgressView.forMode("pool", null));
        assertNull(ProgressView.forMode("pool", false));
    }
}
