package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import jvalkka.shm.DType;
import jvalkka.shm.ReplicatedArray;
import jvalkka.shm.SharedArray;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;

/**
 * The explicit copy of issue 13 item 4: a {@link ReplicatedArray} field crosses to a
 * backend on another host (here: {@link LoopbackLauncher}) as a private copy moved
 * with push() and pull(), in chunks when it is larger than the 16 MiB message limit;
 * on the same host it stays the same shared memory.
 */
@Timeout(120)
class ReplicatedArrayRemoteTest {
    static final Placement NODE = Placement.node("test-node");
    static final Duration PROMPTLY = Duration.ofSeconds(30);
    static int names;

    public interface Api {
        boolean isCopy();

        boolean mapsSegment(String name);

        long sum();

        int setAll(int v); // not void: a void proxy call does not wait for the handler

        int setAllAndPush(int v);

        long pullAndSum();
    }

    static class Worker extends MessageProcess {
        final ReplicatedArray data;
        final EventGroup eg = new EventGroup(2);

        Worker(ReplicatedArray data) {
            super("replica-worker");
            this.data = data;
        }

        boolean c__isCopy() {
            return data.isCopy();
        }

        boolean c__mapsSegment(String name) throws IOException {
            return Files.readString(Path.of("/proc/self/maps")).contains(name);
        }

        long c__sum() {
            SharedArray a = data.array();
            byte[] b = new byte[(int) a.size()];
            a.copyTo(b);
            long s = 0;
            for (byte x : b) {
                s += x & 0xff;
            }
            return s;
        }

        int c__setAll(int v) {
            data.array().fill(v);
            return v;
        }

        int c__setAllAndPush(int v) {
            data.array().fill(v);
            data.push();
            return v;
        }

        long c__pullAndSum() {
            data.pull();
            return c__sum();
        }

        void c__pushThenSet(int v, int sync_index) {
            data.array().fill(v);
            data.push();
            eg.set(sync_index);
        }
    }

    @RegisterExtension
    final LoopbackLauncher launcher = LoopbackLauncher.perTest();

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    ReplicatedArray original(int n, int fill) throws IOException {
        SharedArray a = SharedArray.create("jvalkka-repl-test-" + ProcessHandle.current().pid() + "-" + (++names),
                DType.UINT8, n);
        launcher.closeFirst(() -> {
            a.unlink();
            a.close();
        });
        a.fill(fill);
        return ReplicatedArray.of(a);
    }

    Worker started(ReplicatedArray r, Placement p) {
        Worker w = new Worker(r);
        launcher.closeFirst(w.eg);
        if (p != null) {
            w.setOptions(BackendOptions.defaults().withPlacement(p));
        }
        w.start();
        launcher.closeFirst(w::stop);
        return w;
    }

    static long sum(SharedArray a) {
        byte[] b = new byte[(int) a.size()];
        a.copyTo(b);
        long s = 0;
        for (byte x : b) {
            s += x & 0xff;
        }
        return s;
    }

    @Test
    void aPlainSharedArrayFieldsStartErrorPointsToTheExplicitCopy() throws Exception {
        SharedArray a = SharedArray.create("jvalkka-repl-test-plain-" + ProcessHandle.current().pid(), DType.UINT8, 8);
        launcher.closeFirst(() -> {
            a.unlink();
            a.close();
        });
        RemoteSharedStateTest.ArrayHolder h = new RemoteSharedStateTest.ArrayHolder(a);
        h.setOptions(BackendOptions.defaults().withPlacement(NODE));
        BackendStartException e = assertThrows(BackendStartException.class, h::start);
        assertTrue(e.getMessage().contains(RemoteSharedStateTest.ArrayHolder.class.getName() + ".frames"),
                e.getMessage());
        assertTrue(e.getMessage().contains("ReplicatedArray") && e.getMessage().contains("push()"), e.getMessage());
        assertEquals(List.of(), launcher.requests, "nothing was launched");
    }

    @Test
    void aRemoteBackendGetsAPrivateCopyWithTheOriginalsContents() throws Exception {
        ReplicatedArray r = original(1000, 3);
        Worker w = started(r, NODE);
        Api api = w.proxy(Api.class);
        assertTrue(api.isCopy());
        assertFalse(api.mapsSegment(r.id()), "the copy must not map the frontend's segment");
        assertEquals(3000, api.sum(), "the copy starts with the original's contents");
        api.setAll(7);
        assertEquals(7000, api.sum());
        assertEquals(3000, sum(r.array()), "without push() the original does not change");
        assertFalse(r.isCopy());
    }

    @Test
    void pushCarriesTheCopyToTheOriginalAndPullBringsTheOriginalBack() throws Exception {
        ReplicatedArray r = original(1000, 1);
        Worker w = started(r, NODE);
        Api api = w.proxy(Api.class);
        api.setAllAndPush(5);
        assertEquals(5000, sum(r.array()), "push() wrote the copy's contents into the original");
        r.array().fill(9);
        assertEquals(5000, api.sum(), "the copy does not change by itself");
        assertEquals(9000, api.pullAndSum(), "pull() brought the original's contents");
    }

    @Test
    void aSetAfterPushWakesTheFrontendAfterThePushedBytesLanded() throws Exception {
        ReplicatedArray r = original(100_000, 0);
        Worker w = started(r, NODE);
        for (int k = 1; k <= 20; k++) {
            int v = k;
            assertTimeoutPreemptively(PROMPTLY, () -> {
                try (SyncIndex s = new SyncIndex(w.eg, Duration.ofSeconds(60))) {
                    w.sendMessageToBack(new MessageObject("pushThenSet", "v", v, "sync_index", s.index()));
                }
            });
            assertEquals(100_000L * k, sum(r.array()), "the bytes were there when the SyncIndex woke");
        }
    }

    @Test
    void anArrayOverTheMessageLimitMovesInChunksBothWays() throws Exception {
        int n = 20 << 20; // 20 MiB: over the 16 MiB limit of one message
        ReplicatedArray r = original(n, 2);
        byte[] pattern = new byte[n];
        for (int i = 0; i < n; i++) {
            pattern[i] = (byte) (i * 31 + (i >>> 20));
        }
        r.array().copyFrom(pattern);
        long expected = sum(r.array());
        Worker w = started(r, NODE);
        Api api = w.proxy(Api.class);
        assertEquals(expected, api.sum(), "the whole original arrived, every chunk in its place");
        api.setAllAndPush(4);
        assertEquals(4L * n, sum(r.array()));
        r.array().copyFrom(pattern);
        assertEquals(expected, api.pullAndSum());
        byte[] back = new byte[n];
        api.setAllAndPush(0);
        r.array().copyTo(back);
        assertArrayEquals(new byte[n], back);
    }

    @Test
    void onTheSameHostItIsTheSameSharedMemory() throws Exception {
        ReplicatedArray r = original(1000, 1);
        Worker w = started(r, null);
        Api api = w.proxy(Api.class);
        assertFalse(api.isCopy());
        assertTrue(api.mapsSegment(r.id()));
        api.setAll(6); // no push needed
        assertEquals(6000, sum(r.array()));
        r.array().fill(2);
        assertEquals(2000, api.pullAndSum(), "pull() returns at once");
    }
}
