package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class ProxyTest {
    public record Point(int x, int y) {
    }

    public interface Api {
        int add(int a, int b);

        CompletableFuture<String> upper(String s);

        List<Point> diagonal(int n);

        void remember(int value);

        int remembered();

        String failChecked(String why) throws IOException;

        String failUnchecked(String why);

        default int twice(int a) {
            return add(a, a);
        }
    }

    /** A reply type whose class cannot initialise in the frontend (its conversion throws an Error). */
    public record Fragile(int x) {
        static final int LOADED = refuse();

        static int refuse() {
            throw new IllegalStateException("Fragile refuses to load");
        }
    }

    public interface FragileApi {
        Fragile fragile();
    }

    static class Server extends MessageProcess {
        private int memory;

        java.util.Map<String, Integer> c__fragile() {
            return java.util.Map.of("x", 1);
        }

        Server() {
            super("server");
        }

        int c__add(int a, int b) {
            return a + b;
        }

        CompletionStage<String> c__upper(String s) {
            return CompletableFuture.supplyAsync(s::toUpperCase);
        }

        List<Point> c__diagonal(int n) {
            return java.util.stream.IntStream.range(0, n).mapToObj(i -> new Point(i, i)).toList();
        }

        void c__remember(int value) {
            memory = value;
        }

        int c__remembered() {
            return memory;
        }

        String c__failChecked(String why) throws IOException {
            throw new IOException(why);
        }

        String c__failUnchecked(String why) {
            throw new IllegalArgumentException(why);
        }
    }

    static Server server;
    static Api api;

    @BeforeAll
    static void start() {
        server = new Server();
        server.start();
        api = server.proxy(Api.class);
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
        Leftovers.assertNone();
    }

    @Test
    void aReplyThatThrowsAnErrorWhileConvertedFailsItsCallAndTheRouterServesOn() {
        FragileApi fragile = server.proxy(FragileApi.class);
        Throwable e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> assertThrows(Throwable.class, fragile::fragile));
        boolean named = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            named |= t instanceof ExceptionInInitializerError || String.valueOf(t.getMessage()).contains("Fragile");
        }
        assertTrue(named, "the failure names the conversion's error: " + e);
        assertEquals(5, org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> api.add(2, 3)), "later calls are still answered");
    }

    @Test
    void callsReturnTheBackendsAnswer() {
        assertEquals(5, api.add(2, 3));
        assertEquals(8, api.twice(4));
        assertEquals(List.of(new Point(0, 0), new Point(1, 1), new Point(2, 2)), api.diagonal(3));
        api.remember(17); // fire and forget, in order with the calls after it
        assertEquals(17, api.remembered());
        assertTrue(api.toString().contains("Api"));
    }

    @Test
    void futuresCompleteFromTheBackend() throws Exception {
        CompletableFuture<String> f = api.upper("pudding");
        assertEquals("PUDDING", f.get(30, TimeUnit.SECONDS));
    }

    @Test
    void backendExceptionsAreRethrownWithTheBackendsStackTrace() {
        IOException checked = assertThrows(IOException.class, () -> api.failChecked("disk on fire"));
        assertEquals("disk on fire", checked.getMessage());
        assertTrue(Arrays.stream(checked.getStackTrace()).anyMatch(f -> f.getMethodName().equals("c__failChecked")),
                "the backend's frames are kept");
        IllegalArgumentException unchecked = assertThrows(IllegalArgumentException.class,
                () -> api.failUnchecked("bad"));
        assertTrue(Arrays.stream(unchecked.getStackTrace()).anyMatch(f -> f.getMethodName().equals("c__failUnchecked")));
        assertTrue(Arrays.stream(unchecked.getSuppressed()).anyMatch(s -> s.getMessage().contains("called from")));
    }

    @Test
    void aFutureFailsWithTheBackendsException() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> server.proxy(Api.class).upper(null).get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof NullPointerException, e.toString());
    }

    static class Doomed extends MessageProcess {
        Doomed() {
            super("doomed");
        }

        int c__add(int a, int b) {
            Runtime.getRuntime().halt(9);
            return 0;
        }
    }

    @Test
    void aCallToABackendThatDiesFailsInsteadOfHanging() {
        Doomed d = new Doomed();
        d.start();
        try {
            PipeClosedException e = assertThrows(PipeClosedException.class, () -> d.proxy(Api.class).add(1, 2));
            assertTrue(e.getMessage().contains("exited with status 9"), e.getMessage());
        } finally {
            d.stop();
        }
    }

    @Test
    void onlyInterfaces() {
        assertThrows(IllegalArgumentException.class, () -> server.proxy(Server.class));
    }
}
