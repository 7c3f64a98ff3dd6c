package jvalkka.sgn.control;

import static jvalkka.sgn.control.ControlTesting.get;
import static jvalkka.sgn.control.ControlTesting.post;
import static jvalkka.sgn.control.ControlTesting.postJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jvalkka.log.LogConfig;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.sinks.NullSink;
import jvalkka.sgn.sources.NullSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/** HTTPControl with a real HTTP client; the first test is SGN's test_control.py, translated. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HTTPControlTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final class DummySource extends HTTPControlSourceElement {
        DummySource(String name) {
            super(name, "blah");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame();
        }
    }

    static final class DummyTransform extends HTTPControlTransformElement {
        DummyTransform(String name) {
            super(name, List.of("blah"), List.of("blah"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            return new Frame();
        }
    }

    static final class DummySink extends HTTPControlSinkElement {
        DummySink(String name) {
            super(name, "blah");
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

    private static Pipeline dummies() {
        DummySource src = new DummySource("testsrc");
        DummyTransform trans = new DummyTransform("testtrans");
        DummySink sink = new DummySink("testsink");
        return new Pipeline().connect(src, trans).connect(trans, sink);
    }

    private static Map<String, Object> state(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Object json(HttpResponse<String> r) throws IOException {
        return JSON.readValue(r.body(), Object.class);
    }

    private static String message(HttpResponse<String> r) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) json(r);
        assertEquals("error", m.get("status"), r.body());
        return (String) m.get("message");
    }

    @Test
    void theCasesOfSgnsTestControlHoldForASourceATransformAndASink(@TempDir Path tmp) throws Exception {
        Pipeline p = dummies();
        for (String el : List.of("testsrc", "testtrans", "testsink")) {
            ((Controlled) p.element(el)).controlState().exchange(state("a", state("b", "c")));
        }
        try (HTTPControl control = HTTPControl.builder(p).port(0).registryFile(tmp.resolve("registry.txt")).start()) {
            String url = control.url();
            assertEquals(url.substring(0, url.length() - 1), Files.readString(tmp.resolve("registry.txt")));
            for (String el : List.of("testsrc", "testtrans", "testsink")) {
                // the full state, one key, one key as text
                HttpResponse<String> r = get(url + "get/" + el);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(Map.of("a", Map.of("b", "c")), json(r));
                assertEquals(Map.of("b", "c"), json(get(url + "get/" + el + "/a")));
                assertEquals(Map.of("b", "c"), json(get(url + "get/text/plain/" + el + "/a")));
                // a key that does not exist: an error that names the keys there are
                r = get(url + "get/" + el + "/b");
                assertEquals(404, r.statusCode());
                assertTrue(message(r).contains("no key 'b'") && message(r).contains("[a]"), r.body());
                // "a" then "b"; as JSON and as plain text
                assertEquals("c", json(get(url + "get/" + el + "/a/b")));
                r = get(url + "get/text/plain/" + el + "/a/b");
                assertEquals("c", r.body());
                assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
                // "a" then "c": no such key
                r = get(url + "get/" + el + "/a/c");
                assertEquals(404, r.statusCode());
                assertTrue(message(r).contains("no key 'c'"), r.body());
                // a failed POST: no JSON
                r = post(url + "post/" + el, "application/json", null);
                assertEquals(400, r.statusCode());
                assertTrue(message(r).startsWith("Invalid JSON"), r.body());

                // SGN's elements then hold {"a": ""}; here the element publishes that, since a post
                // is checked against the state the element published
                control.exchangeState(el, state("a", ""));
                // a successful POST, then another while the first one waits: both accepted
                r = postJson(url + "post/" + el, "{\"a\": \"b\"}");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(Map.of("status", "success", "message", "Data received"), json(r));
                assertEquals(200, postJson(url + "post/" + el, "{\"a\": \"b\"}").statusCode());

                // exchanging state takes the post
                Map<String, Object> stateDict = state("a", "");
                control.exchangeState(el, stateDict);
                assertEquals(Map.of("a", "b"), stateDict);
                // and a GET now serves it
                assertEquals(stateDict, json(get(url + "get/" + el)));
                // exchanging again: nothing was posted since, so nothing changes
                stateDict = state("a", "");
                control.exchangeState(el, stateDict);
                assertEquals(Map.of("a", ""), stateDict);
            }
        }
    }

    @Test
    void anUnknownElementIs404AndTheMessageNamesTheControllableOnes() throws Exception {
        Pipeline p = dummies();
        NullSource plain = new NullSource("plainsrc", "x").numFrames(1);
        p.connect(plain, new NullSink("plainsink", "x"));
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            assertEquals(List.of("testsrc", "testtrans", "testsink"), control.controlledNames());
            HttpResponse<String> r = get(control.url() + "get/nosuch");
            assertEquals(404, r.statusCode());
            assertEquals("no element 'nosuch'; controllable elements: [testsrc, testtrans, testsink]", message(r));
            r = postJson(control.url() + "post/nosuch", "{\"a\": 1}");
            assertEquals(404, r.statusCode());
            r = get(control.url() + "get/plainsrc");
            assertEquals(404, r.statusCode());
            assertTrue(message(r).startsWith("element 'plainsrc' is not controllable: extend HTTPControlSourceElement"),
                    r.body());
            r = get(control.url() + "get/text/html/testsrc/a");
            assertEquals(404, r.statusCode(), "no HTML made of state values");
            assertTrue(message(r).contains("not text/html"), r.body());
            r = get(control.url() + "nosuch/route");
            assertEquals(404, r.statusCode());
            assertTrue(message(r).contains("/get/<element>"), r.body());
            // before its first exchange an element serves an empty state
            assertEquals(Map.of(), json(get(control.url() + "get/testsrc")));
            assertThrows(IllegalArgumentException.class, () -> control.exchangeState("nosuch", state()));
        }
    }

    @Test
    void aPostWithAnUnknownKeyOrAValueOfTheWrongTypeIs400AndChangesNothing() throws Exception {
        Pipeline p = dummies();
        ControlState cs = ((Controlled) p.element("testsrc")).controlState();
        cs.exchange(state("gain", 1.5, "count", 3, "label", "x", "on", true));
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            String to = control.url() + "post/testsrc";
            HttpResponse<String> r = postJson(to, "{\"gian\": 2}");
            assertEquals(400, r.statusCode());
            assertEquals("element 'testsrc' has no state key 'gian'; its keys are [gain, count, label, on]", message(r));
            r = postJson(to, "{\"gain\": 2, \"count\": \"many\"}");
            assertEquals(400, r.statusCode());
            assertTrue(message(r).startsWith("state key 'count' of element 'testsrc' holds a Integer (3); cannot make"
                    + " one of \"many\""), r.body());
            assertEquals(400, postJson(to, "[1, 2]").statusCode());
            assertEquals(400, postJson(to, "{\"gain\": ").statusCode());
            assertEquals(400, postJson(to, "{}").statusCode());
            assertFalse(cs.hasPending(), "a refused post keeps nothing, not even its valid keys");
            // values convert to the type they replace, as SGN's type(state[k])(value)
            assertEquals(200, postJson(to, "{\"gain\": 2, \"count\": \"7\", \"label\": 5, \"on\": \"false\"}")
                    .statusCode());
            Map<String, Object> s = state("gain", 1.5, "count", 3, "label", "x", "on", true);
            cs.exchange(s);
            assertEquals(state("gain", 2.0, "count", 7, "label", "5", "on", false), s);
            assertEquals(405, get(to).statusCode());
            assertEquals(405, postJson(control.url() + "get/testsrc", "{\"gain\": 1}").statusCode());
        }
    }

    @Test
    void aPostThatIsNotJsonOrComesForAnotherHostIsRefused() throws Exception {
        Pipeline p = dummies();
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            // a web page of another origin can only send "simple" posts: form or text bodies
            HttpResponse<String> r = post(control.url() + "post/testsrc", "text/plain", "{\"a\": 1}");
            assertEquals(415, r.statusCode());
            assertTrue(message(r).contains("Content-Type: application/json"), r.body());
            r = post(control.url() + "post/testsrc", "application/x-www-form-urlencoded", "a=1");
            assertEquals(415, r.statusCode());
            // DNS rebinding: a name that resolves to 127.0.0.1 but is not ours
            HttpRequest foreign = HttpRequest.newBuilder(URI.create(control.url() + "get/testsrc"))
                    .timeout(Duration.ofSeconds(20)).build();
            assertEquals(200, ControlTesting.CLIENT.send(foreign, HttpResponse.BodyHandlers.ofString()).statusCode());
            String page = "GET /get/testsrc HTTP/1.1\r\nHost: evil.example:" + control.port()
                    + "\r\nConnection: close\r\n\r\n";
            try (java.net.Socket s = new java.net.Socket(control.address().getAddress(), control.port())) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write(page.getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
                assertTrue(answer.contains("is not this server"), answer);
            }
        }
    }

    @Test
    void theServerListensOnLoopbackByDefaultAnnouncesItsUrlAndStopsOnClose() throws Exception {
        Pipeline p = dummies();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        LogConfig.setOutput(new PrintStream(log, true, StandardCharsets.UTF_8));
        LogConfig.setLevel("sgn.control", Level.INFO);
        String url;
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            url = control.url();
            assertTrue(control.address().getAddress().isLoopbackAddress(), control.address().toString());
            assertEquals("http://127.0.0.1:" + control.port() + "/", url);
            assertEquals(200, get(url + "get/testsrc").statusCode());
        } finally {
            LogConfig.setLevel("sgn.control", Level.WARN);
            LogConfig.setOutput(null);
        }
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("sgn.control - INFO - HTTP control of Pipeline[testsrc, testtrans, testsink] at " + url),
                text);
        assertThrows(ConnectException.class, () -> get(url + "get/testsrc"), "the server stops on close");
        // with a tag every route moves under it
        try (HTTPControl control = HTTPControl.builder(p).port(0).tag("my_app").start()) {
            assertTrue(control.url().endsWith("/my_app/"), control.url());
            assertEquals(200, get(control.url() + "get/testsrc").statusCode());
            assertEquals(404, get(control.url().replace("/my_app/", "/") + "get/testsrc").statusCode());
        }
    }

    @Test
    void aBusyPortIsAClearErrorAndLeavesNothingOpen() throws Exception {
        Pipeline p = dummies();
        try (HTTPControl first = HTTPControl.builder(p).port(0).start()) {
            java.net.BindException e = assertThrows(java.net.BindException.class,
                    () -> HTTPControl.builder(p).port(first.port()).start());
            assertTrue(e.getMessage().startsWith("HTTP control cannot listen on the loopback address port "
                    + first.port()), e.getMessage());
        }
    }

    /** A source whose step and stop flag are set over HTTP; it counts frames in its state. */
    static final class Counter extends HTTPControlSourceElement {
        final Map<String, Object> state = state("step", 1, "stop", false, "sent", 0L);
        long value;

        Counter() {
            super("counter", "out");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            exchangeState(state);
            value += (Integer) state.get("step");
            state.put("sent", (Long) state.get("sent") + 1);
            return new Frame(value, (Boolean) state.get("stop"), false);
        }
    }

    /** Checks the steps between the values it receives; publishes how many frames it saw. */
    static final class Keeper extends HTTPControlSinkElement {
        final Map<String, Object> state = state("received", 0L);
        volatile long last = -1;
        long received;
        volatile String badStep;

        Keeper() {
            super("keeper", "out");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (frame.isEOS()) {
                markEos(pad);
            }
            long v = (Long) frame.data();
            if (last >= 0 && v - last != 1 && v - last != 1000 && badStep == null) {
                badStep = "from " + last + " to " + v;
            }
            last = v;
            state.put("received", ++received);
            exchangeState(state);
        }
    }

    @Test
    void aRunningPipelineTakesPostedValuesAndServesItsStateUntilToldToStop() throws Exception {
        Counter counter = new Counter();
        Keeper keeper = new Keeper();
        Pipeline p = new Pipeline().connect(counter, keeper);
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            CompletableFuture<Void> run = CompletableFuture.runAsync(p::run);
            String url = control.url();
            try {
                awaitState(url + "get/keeper/received", v -> ((Number) v).longValue() > 0);
                assertEquals(200, postJson(url + "post/counter", "{\"step\": 1000}").statusCode());
                awaitState(url + "get/counter/step", v -> v.equals(1000));
                long before = keeper.last;
                awaitState(url + "get/keeper/received", v -> keeper.last > before + 2000);
                assertEquals(200, postJson(url + "post/counter", "{\"stop\": true}").statusCode());
                run.get(30, TimeUnit.SECONDS);
            } finally {
                counter.state.put("stop", true); // whatever happened, let the run end
                run.handle((v, e) -> null).get(30, TimeUnit.SECONDS);
            }
            assertNull(keeper.badStep, "steps are 1, then 1000 from one frame on");
            assertTrue(keeper.last > 2000, "last value " + keeper.last);
            assertEquals(keeper.received, ((Number) json(get(url + "get/keeper/received"))).longValue());
            assertEquals(true, json(get(url + "get/counter/stop")));
        }
    }

    private static void awaitState(String url, java.util.function.Predicate<Object> ok) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        Object last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get(url);
            if (r.statusCode() == 200) {
                last = json(r);
                if (ok.test(last)) {
                    return;
                }
            } else {
                last = r.body();
            }
            Thread.sleep(5); // polling the server for a condition, with a deadline
        }
        throw new AssertionError("GET " + url + " did not reach the expected value within 30 s; last: " + last);
    }

    @Test
    void thePageListsTheElementsAndTheirStateEscaped() throws Exception {
        Pipeline p = dummies();
        p.connect(new NullSource("plainsrc", "x").numFrames(1), new NullSink("plainsink", "x"));
        ((Controlled) p.element("testsrc")).controlState().exchange(state("label", "<b>bold</b>", "gain", 2));
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            HttpResponse<String> r = get(control.url());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            String html = r.body();
            for (String name : List.of("testsrc", "testtrans", "testsink", "plainsrc", "plainsink")) {
                assertTrue(html.contains("<td class=\"name\">" + name + "</td>"), name + " in\n" + html);
            }
            assertTrue(html.contains("{&quot;label&quot;:&quot;&lt;b&gt;bold&lt;/b&gt;&quot;,&quot;gain&quot;:2}"), html);
            assertFalse(html.contains("<b>bold"), "state is escaped");
            assertTrue(html.contains("not controllable"), html);
            assertNull(((Controlled) p.element("testsink")).controlState().published());
        }
    }
}
