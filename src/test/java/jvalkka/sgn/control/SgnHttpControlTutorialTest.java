package jvalkka.sgn.control;

import static jvalkka.sgn.control.ControlTesting.get;
import static jvalkka.sgn.control.ControlTesting.postJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvalkka.testing.JavaProgram;
import jvalkka.tutorial.SgnHttpControl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs {@code scripts/tutorial sgn-httpcontrol 0 200} as a user would and drives it over HTTP. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SgnHttpControlTutorialTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theTutorialPipelineServesItsPageTakesANewFactorAndStopsWhenTold() throws Exception {
        JavaProgram program = JavaProgram.start(SgnHttpControl.class, "0", "200");
        try {
            program.awaitOutput("post/counter", 60);
            Matcher m = Pattern.compile("control page: (http://127\\.0\\.0\\.1:\\d+/)").matcher(program.output());
            assertTrue(m.find(), program.output());
            String url = m.group(1);

            HttpResponse<String> page = get(url);
            assertEquals(200, page.statusCode());
            for (String name : new String[] {"counter", "scale", "printer"}) {
                assertTrue(page.body().contains("<td class=\"name\">" + name + "</td>"), page.body());
            }
            await(url + "get/printer/received", v -> ((Number) v).longValue() > 0);
            assertEquals(Map.of("factor", 10), JSON.readValue(get(url + "get/scale").body(), Map.class));

            assertEquals(200, postJson(url + "post/scale", "{\"factor\": 100}").statusCode());
            await(url + "get/scale/factor", v -> v.equals(100));
            // values of the counter times 100 reach the printer from the next frames on
            long counterNow = ((Number) JSON.readValue(get(url + "get/counter").body(), Map.class).get("step"))
                    .longValue();
            assertEquals(1, counterNow);
            await(url + "get/printer", v -> {
                Map<?, ?> s = (Map<?, ?>) v;
                return ((Number) s.get("last")).longValue() % 100 == 0 && ((Number) s.get("last")).longValue() > 0;
            });
            HttpResponse<String> bad = postJson(url + "post/scale", "{\"factor\": \"large\"}");
            assertEquals(400, bad.statusCode(), bad.body());

            assertEquals(200, postJson(url + "post/counter", "{\"stop\": true}").statusCode());
            JavaProgram.Result r = program.waitFor(60);
            assertEquals(0, r.exitCode(), r.output());
            r.assertLinesInOrder("control page: " + url, "printer: frame 1 = 10", "stopped after ");
        } finally {
            program.destroyTree();
        }
    }

    private static void await(String url, java.util.function.Predicate<Object> ok) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        String last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get(url);
            last = r.body();
            if (r.statusCode() == 200 && ok.test(JSON.readValue(last, Object.class))) {
                return;
            }
            Thread.sleep(10); // polling the server for a condition, with a deadline
        }
        throw new AssertionError("GET " + url + " did not reach the expected value within 30 s; last: " + last);
    }
}
