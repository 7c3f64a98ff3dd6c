package jvalkka.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourcePad;
import jvalkka.sgn.control.HTTPControl;
import jvalkka.sgn.control.HTTPControlSourceElement;

/**
 * {@code scripts/bench httpcontrol}: HTTP control of a running pipeline. Prints one
 * {@code name value unit} line per figure.
 *
 * <p>The pipeline: a controllable source that calls {@code exchangeState} on every frame (the
 * most a real element would) into a sink that counts. {@code frames_per_s_without_server}: that
 * pipeline alone; {@code frames_per_s_with_server}: the same inside an open {@link HTTPControl}
 * that nobody calls; {@code frames_per_s_under_get_load}: while one client GETs the source's
 * state as fast as it can. 2,000,000 frames a run; median of 5 runs after 3 warm-up runs, the
 * variants interleaved. {@code get_per_s} / {@code post_per_s}: one client (the JDK's
 * {@code HttpClient}, one kept-alive connection), sequential requests for 3 s each against the
 * endless pipeline, after 1 s of warm-up; a post is a one-key JSON object the source takes at its
 * next exchange.
 */
public final class HttpControlBench {
    private static final int FRAMES = 2_000_000;
    private static final int WARMUP_RUNS = 3;
    private static final int TIMED_RUNS = 5;

    private HttpControlBench() {
    }

    /** Counts up by "step"; sends EOS after {@code limit} frames (never when negative) or when stopped. */
    static final class Source extends HTTPControlSourceElement {
        final Map<String, Object> state = new LinkedHashMap<>(Map.of("step", 1, "value", 0L));
        long limit;
        long n;
        volatile boolean stop;

        Source() {
            super("src", "out");
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            exchangeState(state);
            long value = (Long) state.get("value") + (Integer) state.get("step");
            state.put("value", value);
            n++;
            return new Frame(value, stop || (limit >= 0 && n >= limit), false);
        }
    }

    static final class Count extends SinkElement {
        long frames;

        Count() {
            super("snk", "out");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            frames++;
            if (frame.isEOS()) {
                markEos(pad);
            }
        }
    }

    private static Pipeline pipeline(Source src, Count snk) {
        return new Pipeline().connect(src, snk);
    }

    /** Frames per second of one run of FRAMES frames. */
    private static double run(String variant, HttpClient client) throws Exception {
        Source src = new Source();
        src.limit = FRAMES;
        Count snk = new Count();
        Pipeline p = pipeline(src, snk);
        if (variant.equals("without")) {
            return timed(p, snk);
        }
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            if (variant.equals("with")) {
                return timed(p, snk);
            }
            HttpRequest get = HttpRequest.newBuilder(URI.create(control.url() + "get/src")).build();
            CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
                try {
                    while (!src.stop && snk.frames < FRAMES) {
                        client.send(get, HttpResponse.BodyHandlers.discarding());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            double rate = timed(p, snk);
            src.stop = true;
            load.join();
            return rate;
        }
    }

    private static double timed(Pipeline p, Count snk) {
        long t0 = System.nanoTime();
        p.run();
        long ns = System.nanoTime() - t0;
        if (snk.frames != FRAMES) {
            throw new AssertionError("the sink saw " + snk.frames + " frames, not " + FRAMES);
        }
        return FRAMES / (ns / 1e9);
    }

    /** Requests per second of one client against the endless pipeline. */
    private static double requests(HttpClient client, boolean post) throws Exception {
        Source src = new Source();
        src.limit = -1;
        Count snk = new Count();
        Pipeline p = pipeline(src, snk);
        try (HTTPControl control = HTTPControl.builder(p).port(0).start()) {
            CompletableFuture<Void> running = CompletableFuture.runAsync(p::run);
            try {
                HttpRequest request = post
                        ? HttpRequest.newBuilder(URI.create(control.url() + "post/src"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"step\": 2}")).build()
                        : HttpRequest.newBuilder(URI.create(control.url() + "get/src")).build();
                loop(client, request, 1_000_000_000L);
                return loop(client, request, 3_000_000_000L);
            } finally {
                src.stop = true;
                running.join();
            }
        }
    }

    private static double loop(HttpClient client, HttpRequest request, long ns) throws Exception {
        long n = 0;
        long t0 = System.nanoTime();
        long end = t0 + ns;
        long now;
        do {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError(request.method() + " " + request.uri() + ": " + r.statusCode() + " " + r.body());
            }
            n++;
            now = System.nanoTime();
        } while (now < end);
        return n / ((now - t0) / 1e9);
    }

    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String[] variants = {"without", "with", "get_load"};
        for (int i = 0; i < WARMUP_RUNS; i++) {
            for (String v : variants) {
                run(v, client);
            }
        }
        double[][] rates = new double[variants.length][TIMED_RUNS];
        for (int i = 0; i < TIMED_RUNS; i++) {
            for (int k = 0; k < variants.length; k++) {
                int v = (i % 2 == 0) ? k : variants.length - 1 - k; // interleaved: A B C C B A ...
                System.gc();
                rates[v][i] = run(variants[v], client);
            }
        }
        String[] names = {"frames_per_s_without_server", "frames_per_s_with_server", "frames_per_s_under_get_load"};
        for (int v = 0; v < variants.length; v++) {
            Arrays.sort(rates[v]);
            print(names[v], Math.round(rates[v][TIMED_RUNS / 2]), "frames/s");
        }
        print("get_per_s", Math.round(requests(client, false)), "requests/s");
        print("post_per_s", Math.round(requests(client, true)), "requests/s");
    }

    private static void print(String name, long value, String unit) {
        System.out.printf("httpcontrol_%s %d %s%n", name, value, unit);
    }
}
