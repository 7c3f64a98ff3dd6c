package jvalkka.sgn.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import jvalkka.multiprocess.BackendOptions;
import jvalkka.multiprocess.LoopbackLauncher;
import jvalkka.multiprocess.Placement;
import jvalkka.sgn.Frame;
import jvalkka.sgn.SinkPad;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 13 item 4: "Parallelize.toShm data is copied once, read-only, to each host that runs a
 * worker". Two placed workers on one node map one copy there (the name it has on that host is
 * the same), every write to it fails naming it read-only, the frontend's segment stays as it was,
 * and nothing is left in /dev/shm afterwards (the "node" is this host, {@link LoopbackLauncher}).
 */
@Timeout(120)
class PlacedToShmPerHostTest {
    static final Placement NODE = Placement.node("test-node");
    static final BackendOptions HEAP = BackendOptions.defaults().withExtraJvmArgs("-Xmx200m");

    LoopbackLauncher launcher;

    @BeforeEach
    void install() {
        launcher = LoopbackLauncher.install();
    }

    @AfterEach
    void nothingLeft() throws Exception {
        launcher.close();
        new ParallelizeTest().nothingLeft(); // no worker JVM, no jvsgn-<pid>- segment (the host copies included)
    }

    /** What a worker saw of toShm segment {@code name}: its copy's name there, a checksum, and what a write did. */
    static List<Object> look(WorkerContext ctx, String name) {
        jvalkka.shm.SharedMemory m = ctx.shm(name).shm();
        org.agrona.concurrent.UnsafeBuffer b = m.buffer();
        long sum = 0;
        for (int i = 0; i < b.capacity(); i++) {
            sum = sum * 31 + b.getByte(i);
        }
        String write;
        try {
            b.putByte(0, (byte) 99);
            write = "written";
        } catch (UnsupportedOperationException e) {
            write = e.getMessage();
        }
        return List.of(m.name(), sum, write);
    }

    /** A placed transform whose worker replaces each frame's data by {@link #look}. */
    static final class LookTransform extends TestElements.ProcessSquarer {
        final String shmName;

        LookTransform(String shmName) {
            super("look-transform");
            this.shmName = shmName;
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            Frame f;
            try {
                f = ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            if (f.data() != null) {
                f.setData(look(ctx, shmName));
            }
            ctx.outputQueue().put(f);
        }
    }

    /** A placed sink whose worker answers each frame with [the transform's look, its own look]. */
    static final class LookSink extends ParallelizeSinkElement {
        final String shmName;
        transient List<Object> answers = new ArrayList<>();

        LookSink(String shmName) {
            super("look-sink", List.of("in"));
            this.shmName = shmName;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) throws Exception {
            if (frame.data() != null) {
                inQueue.put(frame.data());
                answers.add(outQueue.get());
            }
            if (frame.isEOS()) {
                markEos(pad);
                answers.addAll(subProcessShutdown(60));
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            Object upstream;
            try {
                upstream = ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            ctx.outputQueue().put(List.of(upstream, look(ctx, shmName)));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void twoWorkersOnOneNodeMapOneReadOnlyCopyThereAndItGoesWithThem() throws Exception {
        String name = ParallelizeTest.testShm("perhost");
        byte[] data = new byte[(5 << 20) / 2 + 7]; // several pieces
        new java.util.Random(11).nextBytes(data);
        data[0] = 1;
        long sum = 0;
        for (byte x : data) {
            sum = sum * 31 + x;
        }
        ShmRef ref = Parallelize.toShm(name, data);
        LookTransform t = new LookTransform(name);
        t.setBackendOptions(HEAP);
        t.setPlacement(NODE);
        LookSink snk = new LookSink(name);
        snk.setBackendOptions(HEAP);
        snk.setPlacement(NODE);
        try (Parallelize par = new Parallelize(ParallelizeTest.chain(new TestElements.Numbers(2), t, snk))) {
            par.run();
            assertEquals(2, snk.answers.size(), String.valueOf(snk.answers));
            for (Object a : snk.answers) {
                List<Object> both = (List<Object>) a;
                List<Object> fromT = (List<Object>) both.get(0);
                List<Object> fromSink = (List<Object>) both.get(1);
                assertEquals(fromT.get(0), fromSink.get(0), "one copy on the host, mapped by both workers");
                assertNotEquals(name, fromT.get(0), "a copy, not the frontend's segment");
                assertEquals(sum, ((Number) fromT.get(1)).longValue(), "the whole content");
                assertEquals(sum, ((Number) fromSink.get(1)).longValue(), "the whole content");
                for (List<Object> look : List.of(fromT, fromSink)) {
                    String w = String.valueOf(look.get(2));
                    assertTrue(w.contains("read-only") && w.contains(String.valueOf(fromT.get(0))), w);
                }
            }
            assertEquals(1, ref.shm().buffer().getByte(0), "nothing was written to ours");
        }
    }
}
