package jvalkka.sgn.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** A real HTTP client for the control tests, and their leftover check. */
final class ControlTesting {
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private ControlTesting() {
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String url, String contentType, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> postJson(String url, String json) throws IOException, InterruptedException {
        return post(url, "application/json", json);
    }

    /** No server thread of an HTTPControl is left running (waits up to 10 s for them to end). */
    static void assertNoServerLeft() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<Thread> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && (t.getName().startsWith("HTTPControl-")
                            || t.getName().startsWith("HTTP-Dispatcher")))
                    .toList();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(10); // polling a condition with a deadline, not synchronising
        } while (System.nanoTime() < deadline);
        assertEquals(List.of(), left.stream().map(Thread::getName).toList(), "HTTP control threads left running");
    }
}
