package jvalkka.sgn.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.NullSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The control page in a real browser: headless Chromium (Debian's {@code chromium} package)
 * loads it, runs its script (which fetches every element's state again) and dumps the DOM.
 * Skipped, saying so, when no Chromium is installed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HTTPControlBrowserTest {

    static final class Labelled extends HTTPControlSourceElement {
        Labelled() {
            super("labelled", "out");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return Frame.eos();
        }
    }

    static final class Counted extends HTTPControlSinkElement {
        Counted() {
            super("counted", "out");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (frame.isEOS()) {
                markEos(pad);
            }
        }
    }

    @AfterEach
    void noServerLeft() throws InterruptedException {
        ControlTesting.assertNoServerLeft();
    }

    static Path chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    @Test
    void thePageInHeadlessChromiumListsTheElementsAndRefreshesTheirState() throws Exception {
        Path chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "no chromium on PATH (Debian: apt-get install chromium);"
                + " the browser test is skipped");
        Labelled src = new Labelled();
        Counted sink = new Counted();
        Pipeline p = new Pipeline().connect(src, sink);
        p.connect(new NullSource("plainsrc", "x").numFrames(1), new NullSink("plainsink", "x"));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("label", "<i>x</i> & y");
        state.put("gain", 2.5);
        src.controlState().exchange(state);
        sink.controlState().exchange(new LinkedHashMap<>(Map.of("received", 42)));
        Path profile = Files.createTempDirectory("jvalkka-chromium-");
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            String dom = dumpDom(chromium, profile, control.url());
            assertTrue(dom.contains("data-refreshed=\"yes\""), "the page's script fetched every state:\n" + dom);
            for (String name : List.of("labelled", "counted", "plainsrc", "plainsink")) {
                assertTrue(dom.contains("<td class=\"name\">" + name + "</td>"), name + " listed in\n" + dom);
            }
            assertTrue(dom.contains("{\"label\":\"&lt;i&gt;x&lt;/i&gt; &amp; y\",\"gain\":2.5}"), dom);
            assertTrue(dom.contains("{\"received\":42}"), dom);
            assertEquals(2, dom.split("<form class=\"post\"", -1).length - 1, "one form per controllable element");
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** {@code chromium --headless --dump-dom url}, bounded; kills the browser's whole tree on the way out. */
    private static String dumpDom(Path chromium, Path profile, String url) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile,
                "--virtual-time-budget=5000", "--dump-dom", url)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Process browser = pb.start();
        try {
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = browser.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "(reading chromium's output failed: " + e + ")";
                }
            });
            if (!browser.waitFor(90, TimeUnit.SECONDS)) {
                throw new AssertionError("chromium did not finish within 90 s");
            }
            return out.get(10, TimeUnit.SECONDS);
        } finally {
            browser.descendants().forEach(ProcessHandle::destroyForcibly);
            browser.destroyForcibly();
            browser.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
