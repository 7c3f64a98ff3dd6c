package jvalkka.sgn.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import jvalkka.sgn.Element;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SignalEOS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live control of a running pipeline over HTTP (SGN's {@code HTTPControl}), on the JDK's own
 * HTTP server. Use it around {@link Pipeline#run()}, as SGN does:
 * <pre>{@code
 * try (HTTPControl control = new HTTPControl(pipeline)) {   // http://127.0.0.1:8080/
 *     pipeline.run();
 * }}</pre>
 * Opening it starts the server and announces its URL on the {@code sgn.control} logger (INFO)
 * and, when asked, in a registry file; closing it stops the server. Like SGN's, it is a
 * {@link SignalEOS} too, so Ctrl+C drains the pipeline instead of killing it.
 *
 * <p>It serves the elements of the pipeline (as inserted when it opens; {@link #register} adds
 * more) that are {@link Controlled}, e.g. subclasses of {@link HTTPControlSourceElement},
 * {@link HTTPControlTransformElement} and {@link HTTPControlSinkElement}:
 * <ul>
 * <li>{@code GET /} a page that lists the pipeline's elements and their state, with a form to
 *     post new values;</li>
 * <li>{@code GET /get/<element>}: the state the element last published with
 *     {@code exchangeState}, as a JSON object ({@code {}} before the first exchange);</li>
 * <li>{@code GET /get/<element>/<key>[/<key2>]}: one value (a value inside a map value), as
 *     JSON; {@code GET /get/text/plain/<element>/<key>[/<key2>]}: the same as plain text;</li>
 * <li>{@code POST /post/<element>} with a JSON object ({@code Content-Type: application/json}):
 *     values for the element's next {@code exchangeState}; answers
 *     {@code {"status": "success", "message": "Data received"}}.</li>
 * </ul>
 * With a {@linkplain Builder#tag tag}, every route is under {@code /<tag>}.
 *
 * <p>Errors are answered with {@code {"status": "error", "message": ...}}: 404 for an unknown
 * element, key or route (the message names what exists), 400 for a body that is not a JSON
 * object or a value of the wrong type, 405 for a wrong method, 413 for a body over 1 MiB, 415 for
 * a post that is not JSON.
 *
 * <p>Security: by default the server listens on the loopback address only; any local user can
 * still reach it. A request whose {@code Host} is not this server's loopback address is refused
 * (403; DNS rebinding), and a post must be {@code application/json}, which a web page of another
 * origin cannot send without the permission this server never grants. Listening on another
 * address ({@link Builder#host}) exposes the pipeline to that network, without authentication.
 *
 * <p>Threads: requests are served by two daemon threads of the server; elements exchange state
 * on the pipeline's thread through their {@code ControlState}, which is the only shared object.
 *
 * <p>Loading this class sets the system property {@code sun.net.httpserver.nodelay} to
 * {@code true} unless it is set already: without it every answer of the JDK's server waits
 * 40-50 ms for the client's delayed ACK. It affects every JDK HTTP server of the JVM, and only
 * those that start after it.
 */
public class HTTPControl extends SignalEOS {
    /** SGN's default port. */
    public static final int DEFAULT_PORT = 8080;
    /** The largest request body taken. */
    public static final int MAX_BODY_BYTES = 1 << 20;

    private static final Logger LOG = LoggerFactory.getLogger("sgn.control");
    private static final AtomicInteger SERVERS = new AtomicInteger();

    static {
        // The JDK's server writes the headers and the body of an answer separately; with Nagle's
        // algorithm on, the body then waits for the client's delayed ACK of the headers: 40-50 ms
        // per request on Linux. The property is read once, when the JVM's first server starts.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String prefix;
    private final String url;
    private final boolean loopbackOnly;
    private final Set<String> allowedHosts = new LinkedHashSet<>();
    private final List<String[]> elementRows; // name, class, for the page
    private volatile Map<String, Controlled> controlled;

    /**
     * Serves {@code pipeline}'s controllable elements on {@code http://127.0.0.1:8080/}.
     *
     * @param pipeline the pipeline
     * @throws IOException when the operating system refuses
     */
    public HTTPControl(Pipeline pipeline) throws IOException {
        this(builder(pipeline));
    }

    /**
     * A builder for the address, port, tag and registry file.
     *
     * @param pipeline the pipeline
     * @return a builder for the address, port, tag and registry file
     */
    public static Builder builder(Pipeline pipeline) {
        return new Builder(pipeline);
    }

    /** Options of an {@link HTTPControl}; {@link #start()} opens it. */
    public static final class Builder {
        private final Pipeline pipeline;
        private String host;
        private int port = DEFAULT_PORT;
        private String tag;
        private Path registryFile;

        private Builder(Pipeline pipeline) {
            if (pipeline == null) {
                throw new IllegalArgumentException("HTTPControl needs the pipeline whose elements it serves");
            }
            this.pipeline = pipeline;
        }

        /**
         * The address to listen on; null (the default) is the loopback address. Anything else
         * exposes the pipeline, without authentication, to whoever reaches that address.
         *
         * @param host the address to listen on
         * @return this
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /**
         * The port, {@value HTTPControl#DEFAULT_PORT} by default; 0 picks a free one (see {@link HTTPControl#url()}).
         *
         * @param port the port (0: any free one)
         * @return this
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not in 0..65535");
            }
            this.port = port;
            return this;
        }

        /**
         * A path prefix: routes become {@code /<tag>/get/...}; null (the default) for none.
         *
         * @param tag the path prefix, or null for none
         * @return this
         */
        public Builder tag(String tag) {
            if (tag != null && (tag.isEmpty() || tag.contains("/"))) {
                throw new IllegalArgumentException("a tag is one non-empty path segment, not '" + tag + "'");
            }
            this.tag = tag;
            return this;
        }

        /**
         * A file to write the server's URL into at start (SGN's {@code registry.txt}); none by default.
         *
         * @param registryFile the file to write the URL into
         * @return this
         */
        public Builder registryFile(Path registryFile) {
            this.registryFile = registryFile;
            return this;
        }

        /**
         * Starts the server.
         *
         * @return the running server
         * @throws IOException when it cannot listen
         */
        public HTTPControl start() throws IOException {
            return new HTTPControl(this);
        }
    }

    private HTTPControl(Builder b) throws IOException {
        super(); // SIGINT/SIGTERM become EOS from here on
        try {
            Map<String, Controlled> map = new LinkedHashMap<>();
            List<String[]> rows = new ArrayList<>();
            for (Element e : b.pipeline.elements()) {
                rows.add(new String[] {e.name(), e.getClass().getSimpleName()});
                if (e instanceof Controlled c) {
                    map.put(c.name(), c);
                }
            }
            elementRows = Collections.synchronizedList(rows);
            controlled = Collections.unmodifiableMap(map);
            InetAddress address = b.host == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(b.host);
            loopbackOnly = address.isLoopbackAddress();
            if (!loopbackOnly) {
                LOG.warn("HTTP control listens on {}: anyone who reaches it can read and change the pipeline's"
                        + " state; there is no authentication", address.getHostAddress());
            }
            server = HttpServer.create(new InetSocketAddress(address, b.port), 16);
            int n = SERVERS.incrementAndGet();
            executor = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "HTTPControl-" + n);
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            prefix = b.tag == null ? "" : "/" + b.tag;
            server.createContext("/", this::handle);
            server.start();
            int port = server.getAddress().getPort();
            String hostPart = address.getHostAddress().contains(":") ? "[" + address.getHostAddress() + "]"
                    : address.getHostAddress();
            url = "http://" + hostPart + ":" + port + prefix + "/";
            allowedHosts.add(hostPart + ":" + port);
            allowedHosts.add("localhost:" + port);
            allowedHosts.add("127.0.0.1:" + port);
            allowedHosts.add("[::1]:" + port);
            LOG.info("HTTP control of {} at {} (GET {}get/<element>[/<key>], POST {}post/<element>)", b.pipeline,
                    url, url, url);
            if (b.registryFile != null) {
                Files.writeString(b.registryFile, url.substring(0, url.length() - 1));
            }
        } catch (java.net.BindException e) {
            close();
            java.net.BindException clear = new java.net.BindException("HTTP control cannot listen on "
                    + (b.host == null ? "the loopback address" : b.host) + " port " + b.port + ": " + e.getMessage()
                    + " (pick another port, or 0 for a free one)");
            clear.initCause(e);
            throw clear;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The server's base URL, e.g. {@code http://127.0.0.1:8080/} ({@code .../<tag>/} with a tag).
     *
     * @return the server's base URL, e.g
     */
    public String url() {
        return url;
    }

    /**
     * The port the server listens on.
     *
     * @return the port the server listens on
     */
    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * The address the server listens on.
     *
     * @return the address the server listens on
     */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /**
     * The names of the elements served, in pipeline order.
     *
     * @return the names of the elements served, in pipeline order
     */
    public List<String> controlledNames() {
        return List.copyOf(controlled.keySet());
    }

    /**
     * Serves one more element (e.g. one inserted after this control opened).
     *
     * @param element the element to serve
     * @return this
     */
    public synchronized HTTPControl register(Controlled element) {
        Map<String, Controlled> map = new LinkedHashMap<>(controlled);
        Controlled old = map.putIfAbsent(element.name(), element);
        if (old != null && old != element) {
            throw new IllegalArgumentException("another element named '" + element.name() + "' is served already");
        }
        if (old == null) {
            elementRows.add(new String[] {element.name(), element.getClass().getSimpleName()});
        }
        controlled = Collections.unmodifiableMap(map);
        return this;
    }

    /**
     * SGN's {@code HTTPControl.exchange_state(name, state)}: {@link ControlState#exchange(Map)}
     * of the served element {@code name}.
     *
     * @throws IllegalArgumentException when no served element has that name
     * @param name the element's name
     * @param state the state to exchange
     * @return the state to send back
     */
    public Map<String, Object> exchangeState(String name, Map<String, Object> state) {
        return lookUp(name).controlState().exchange(state);
    }

    private Controlled lookUp(String name) {
        Controlled c = controlled.get(name);
        if (c == null) {
            throw new IllegalArgumentException(unknownElement(name));
        }
        return c;
    }

    private String unknownElement(String name) {
        for (String[] row : elementRows.toArray(new String[0][])) {
            if (row[0].equals(name)) {
                return "element '" + name + "' is not controllable: extend HTTPControlSourceElement,"
                        + " HTTPControlTransformElement or HTTPControlSinkElement (or implement Controlled);"
                        + " controllable elements: " + controlled.keySet();
            }
        }
        return "no element '" + name + "'; controllable elements: " + controlled.keySet();
    }

    /** Stops the server (at once) and restores the signal handlers; idempotent. */
    @Override
    public void close() {
        try {
            if (server != null) {
                server.stop(0);
            }
            if (executor != null) {
                executor.shutdownNow();
            }
        } finally {
            super.close();
        }
    }

    @Override
    public String toString() {
        return "HTTPControl(" + url + ")";
    }

    // ------------------------------------------------------------------ requests

    /** A request that ends with an error answer. */
    private static final class HttpError extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        HttpError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (HttpError e) {
                sendJson(ex, e.status, Map.of("status", "error", "message", e.getMessage()));
            } catch (RuntimeException e) {
                LOG.warn("HTTP control: {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                sendJson(ex, 500, Map.of("status", "error", "message", "internal error: " + e));
            }
        }
    }

    private void route(HttpExchange ex) throws IOException, HttpError {
        if (loopbackOnly) {
            String host = ex.getRequestHeaders().getFirst("Host");
            if (host == null || !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
                throw new HttpError(403, "Host '" + host + "' is not this server; use " + url);
            }
        }
        String path = ex.getRequestURI().getRawPath();
        if (!path.startsWith(prefix + "/")) {
            throw new HttpError(404, "no route " + path + "; routes are under " + prefix + "/");
        }
        List<String> segments = new ArrayList<>();
        for (String s : path.substring(prefix.length() + 1).split("/")) {
            if (!s.isEmpty()) {
                segments.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        String method = ex.getRequestMethod();
        if (segments.isEmpty()) {
            requireMethod(method, "GET");
            sendPage(ex);
        } else if (segments.get(0).equals("get") && segments.size() >= 2) {
            requireMethod(method, "GET");
            get(ex, segments.subList(1, segments.size()));
        } else if (segments.get(0).equals("post") && segments.size() == 2) {
            requireMethod(method, "POST");
            post(ex, segments.get(1));
        } else {
            throw new HttpError(404, "no route " + path + "; routes: " + prefix + "/, " + prefix
                    + "/get/<element>[/<key>[/<key2>]], " + prefix + "/get/text/plain/<element>/<key>[/<key2>], "
                    + prefix + "/post/<element>");
        }
    }

    private static void requireMethod(String method, String wanted) throws HttpError {
        if (!method.equals(wanted)) {
            throw new HttpError(405, method + " is not allowed here; use " + wanted);
        }
    }

    private Controlled element(String name) throws HttpError {
        Controlled c = controlled.get(name);
        if (c == null) {
            throw new HttpError(404, unknownElement(name));
        }
        return c;
    }

    private void get(HttpExchange ex, List<String> args) throws IOException, HttpError {
        boolean plain = false;
        String contentType = "application/json";
        if (args.size() >= 4 && !controlled.containsKey(args.get(0)) && controlled.containsKey(args.get(2))) {
            contentType = args.get(0) + "/" + args.get(1); // SGN's /get/<type>/<subtype>/<element>/<key>
            if (!contentType.equals("text/plain") && !contentType.equals("application/json")) {
                throw new HttpError(404, "GET /get/<type>/<subtype>/<element>/<key> serves text/plain or"
                        + " application/json, not " + contentType); // never HTML made of posted values
            }
            plain = contentType.equals("text/plain");
            args = args.subList(2, args.size());
        }
        if (args.size() > 3) {
            throw new HttpError(404, "GET /get/<element>[/<key>[/<key2>]] takes at most two keys, not "
                    + args.subList(1, args.size()));
        }
        Controlled c = element(args.get(0));
        Map<String, Object> state = c.controlState().published();
        Object value = state == null ? Map.of() : state;
        String where = "element '" + c.name() + "'";
        for (String key : args.subList(1, args.size())) {
            if (!(value instanceof Map<?, ?> m) || !m.containsKey(key)) {
                throw new HttpError(404, "no key '" + key + "' in the state of " + where
                        + (value instanceof Map<?, ?> m2 ? "; keys: " + m2.keySet() : " (it is not a map)"));
            }
            value = m.get(key);
            where = where + "[" + key + "]";
        }
        if (plain && !(value instanceof Map) && !(value instanceof List)) {
            send(ex, 200, contentType + "; charset=utf-8", String.valueOf(value));
        } else {
            sendJson(ex, 200, value);
        }
    }

    private void post(HttpExchange ex, String name) throws IOException, HttpError {
        Controlled c = element(name);
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new HttpError(415, "POST a JSON object with Content-Type: application/json (got "
                    + (type == null ? "no Content-Type" : type) + ")");
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new HttpError(413, "the body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        Object data;
        try {
            data = body.length == 0 ? null : ControlState.JSON.readValue(body, Object.class);
        } catch (IOException e) {
            throw new HttpError(400, "Invalid JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (!(data instanceof Map<?, ?> map) || map.isEmpty()) {
            throw new HttpError(400, "Invalid JSON: POST a non-empty JSON object of state keys and values, e.g."
                    + " {\"gain\": 2}; got " + (data == null ? "no body" : new String(body, StandardCharsets.UTF_8)));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> values = (Map<String, Object>) map;
        try {
            c.controlState().post(values);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, e.getMessage());
        }
        LOG.debug("POST {}: {}", name, values);
        sendJson(ex, 200, Map.of("status", "success", "message", "Data received"));
    }

    private static void sendJson(HttpExchange ex, int status, Object value) throws IOException {
        String text;
        try {
            text = ControlState.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            status = 500;
            text = "{\"status\":\"error\",\"message\":\"the state cannot be written as JSON\"}";
        }
        send(ex, status, "application/json", text);
    }

    private static void send(HttpExchange ex, int status, String contentType, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    // ------------------------------------------------------------------ the page

    private void sendPage(HttpExchange ex) throws IOException {
        StringBuilder h = new StringBuilder(4096);
        h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>jvalkka pipeline control</title>\n")
                .append("<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #bbb;padding:.3em .6em;vertical-align:top;text-align:left}")
                .append("pre{margin:0}textarea{width:22em;height:3em}.off{color:#888}</style></head><body>\n")
                .append("<h1>Pipeline control</h1>\n<p>GET <code>").append(esc(url)).append("get/&lt;element&gt;")
                .append("</code>, POST <code>").append(esc(url)).append("post/&lt;element&gt;</code></p>\n")
                .append("<table id=\"elements\"><tr><th>element</th><th>class</th><th>state</th><th>change</th></tr>\n");
        Map<String, Controlled> served = controlled;
        for (String[] row : elementRows.toArray(new String[0][])) {
            Controlled c = served.get(row[0]);
            h.append("<tr data-element=\"").append(esc(row[0])).append("\"><td class=\"name\">").append(esc(row[0]))
                    .append("</td><td>").append(esc(row[1])).append("</td>");
            if (c == null) {
                h.append("<td class=\"off\" colspan=\"2\">not controllable</td></tr>\n");
                continue;
            }
            Map<String, Object> state = c.controlState().published();
            String json;
            try {
                json = ControlState.JSON.writeValueAsString(state == null ? Map.of() : state);
            } catch (JsonProcessingException e) {
                json = "(cannot be written as JSON)";
            }
            h.append("<td><pre class=\"state\">").append(esc(json)).append("</pre></td><td><form class=\"post\">")
                    .append("<textarea name=\"json\" placeholder=\"{&quot;key&quot;: value}\"></textarea> ")
                    .append("<button type=\"submit\">POST</button> <span class=\"result\"></span></form></td></tr>\n");
        }
        h.append("</table>\n<script>\n")
                .append("const base = ").append(jsString(prefix + "/")).append(";\n") // same origin as the page
                .append("document.querySelectorAll('form.post').forEach(f => f.addEventListener('submit', async ev => {\n")
                .append("  ev.preventDefault();\n")
                .append("  const name = f.closest('tr').dataset.element, out = f.querySelector('.result');\n")
                .append("  const r = await fetch(base + 'post/' + encodeURIComponent(name), {method: 'POST',\n")
                .append("    headers: {'Content-Type': 'application/json'}, body: f.json.value});\n")
                .append("  out.textContent = (await r.json()).message;\n")
                .append("}));\n")
                .append("async function refresh() {\n")
                .append("  for (const tr of document.querySelectorAll('tr[data-element]')) {\n")
                .append("    const pre = tr.querySelector('pre.state');\n")
                .append("    if (!pre) continue;\n")
                .append("    const r = await fetch(base + 'get/' + encodeURIComponent(tr.dataset.element));\n")
                .append("    if (r.ok) pre.textContent = JSON.stringify(await r.json());\n")
                .append("  }\n")
                .append("}\n")
                .append("refresh().then(() => document.body.dataset.refreshed = 'yes',\n")
                .append("  e => document.body.dataset.refreshed = 'failed: ' + e);\n")
                .append("setInterval(() => refresh().catch(() => {}), 1000);\n")
                .append("</script>\n</body></html>\n");
        ex.getResponseHeaders().set("Content-Security-Policy",
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
        send(ex, 200, "text/html; charset=utf-8", h.toString());
    }

    private static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    /** A JavaScript string literal that cannot close the script element. */
    private static String jsString(String s) {
        try {
            return ControlState.JSON.writeValueAsString(s).replace("<", "\\u003c");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
