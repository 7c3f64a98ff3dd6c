package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Which connection a synchronous proxy call's reply takes from a backend on another host
 * ({@link WireProtocol#answeredOnCallPipe}): the one its call came on, the main pipe, so that the
 * reply carries the call's TCP acknowledgement and no pure acknowledgement crosses either way;
 * the internal pipe when the handler sent on it (its reply then comes behind what it sent). What
 * the caller meets on the main pipe before its reply is kept, in order, for {@code recv}. The
 * "remote" host is this one ({@link LoopbackLauncher}), over TCP.
 */
@Timeout(120)
class RemoteCallPathTest {
    public interface Api {
        int add(int a, int b);

        int echoThenAdd(int a, int b);

        int returnThenAdd(int a, int b);

        int fail(String why);

        CompletableFuture<Integer> later(int a);
    }

    static class Caller extends MessageProcess {
        Caller() {
            super("caller");
        }

        int c__add(int a, int b) {
            return a + b;
        }

        int c__echoThenAdd(int a, int b) {
            send_out__(new MessageObject("echo", "a", a));
            return a + b;
        }

        int c__returnThenAdd(int a, int b) {
            return_out__(new MessageObject("returned", "a", a));
            return a + b;
        }

        int c__fail(String why) {
            throw new IllegalStateException(why);
        }

        CompletableFuture<Integer> c__later(int a) {
            return CompletableFuture.supplyAsync(() -> a * 2);
        }
    }

    @RegisterExtension
    final LoopbackLauncher launcher = LoopbackLauncher.perTest();

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    Caller started() {
        Caller r = new Caller();
        r.setOptions(BackendOptions.defaults().withPlacement(RemoteBackendTest.NODE));
        launcher.stopFirst(r);
        r.start();
        return r;
    }

    static Frontend frontOf(MessageProcess p) throws ReflectiveOperationException {
        java.lang.reflect.Field f = MessageProcess.class.getDeclaredField("front");
        f.setAccessible(true);
        return (Frontend) f.get(p);
    }

    @Test
    void aSynchronousCallToABackendOnAnotherHostIsAnsweredOnTheConnectionItWentOutOn() throws Exception {
        Caller r = started();
        Api api = r.proxy(Api.class);
        Frontend front = frontOf(r);
        assertEquals(3, api.add(1, 2)); // the internal pipe's started event is in by now
        long internalBefore = front.internal.messagesReceived();
        for (int i = 0; i < 200; i++) {
            assertEquals(i + 7, api.add(i, 7));
        }
        assertEquals(internalBefore, front.internal.messagesReceived(),
                "replies of synchronous calls came back on the internal pipe, another TCP connection");
    }

    @Test
    void whatAHandlerSentOnTheMainPipeBeforeItsReplyIsKeptInOrderForRecv() throws Exception {
        Caller r = started();
        Api api = r.proxy(Api.class);
        List<Object> reads = List.of(r.getPipe());
        for (int i = 0; i < 50; i++) {
            assertEquals(i + 1, api.echoThenAdd(i, 1));
            assertEquals(i + 100, api.echoThenAdd(i + 100, 0));
            assertTrue(r.getPipe().hasBufferedMessage(), "the echo, read before the reply, waits for recv");
            assertEquals(reads, Select.safeSelect(reads, List.of(), List.of(), 0).reads(),
                    "safeSelect sees the kept echo");
            assertEquals(i, r.getPipe().recv().get("a"));
            assertEquals(i + 100, r.getPipe().recv().get("a"));
        }
        r.sendMessageToBack(new MessageObject("echoThenAdd", "a", -1, "b", 0));
        assertEquals(-1, r.getPipe().recv(30_000).get("a"), "a message after the kept ones still comes");
    }

    @Test
    void whatAHandlerReturnedOutBeforeItsReplyIsRoutedBeforeTheCallReturns() throws Exception {
        Caller r = started();
        Api api = r.proxy(Api.class);
        Frontend front = frontOf(r);
        assertEquals(3, api.add(1, 2));
        for (int i = 0; i < 50; i++) {
            long before = front.internal.messagesReceived();
            assertEquals(i + 1, api.returnThenAdd(i, 1));
            assertTrue(front.internal.messagesReceived() - before >= 2,
                    "the call returned before the object its handler returned out ahead of the reply was routed");
            assertEquals(i, r.returnFromBack().get("a"));
        }
    }

    @Test
    void failuresAndAsynchronousCallsStillComeBack() throws Exception {
        Caller r = started();
        Api api = r.proxy(Api.class);
        for (int i = 0; i < 20; i++) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> api.fail("no"));
            assertEquals("no", e.getMessage());
            assertEquals(2 * i, api.later(i).get(30, TimeUnit.SECONDS));
            assertEquals(i, api.add(i, 0));
        }
    }

    @Test
    void aCallerAndARecvOnTheMainPipeInAnotherThreadShareIt() throws Exception {
        Caller r = started();
        Api api = r.proxy(Api.class);
        int n = 300;
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
            int got = 0;
            for (int i = 0; i < n; i++) {
                MessageObject m = r.getPipe().recv(30_000);
                if (!m.get("a").equals(i)) {
                    throw new IllegalStateException("out of order: " + m + " for " + i);
                }
                got++;
            }
            return got;
        });
        for (int i = 0; i < n; i++) {
            assertEquals(i + 5, api.echoThenAdd(i, 5));
        }
        assertEquals(n, reader.get(60, TimeUnit.SECONDS));
    }
}
