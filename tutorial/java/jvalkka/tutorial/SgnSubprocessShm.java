package jvalkka.tutorial;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import jvalkka.sgn.Frame;
import jvalkka.sgn.Pipeline;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.sources.IterSource;
import jvalkka.sgn.subprocess.Empty;
import jvalkka.sgn.subprocess.Parallelize;
import jvalkka.sgn.subprocess.ParallelizeSinkElement;
import jvalkka.sgn.subprocess.WorkerContext;
import jvalkka.shm.SegmentExistsException;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * SGN subprocess tutorial, "Sharing Memory Between Processes": the main process puts an array
 * of doubles into shared memory with {@link Parallelize#toShm}; a sink whose worker is another
 * JVM reads it and adds 1 to every element for each frame it receives; the main process then
 * sees the changes in the same memory. Argument: {@code process} (the default) or {@code thread}.
 */
public final class SgnSubprocessShm {
    private SgnSubprocessShm() {
    }

    /** Adds 1 to every element of the shared array per frame, in its worker. */
    static final class ArraySink extends ParallelizeSinkElement {
        /** A worker parameter: which segment to use. */
        String shmName;

        ArraySink(String shmName) {
            super("array", List.of("ticks"));
            this.shmName = shmName;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (frame.data() != null) {
                inQueue.put(frame.data());
            }
            if (frame.isEOS()) {
                markEos(pad);
                subProcessShutdown(10); // the worker finishes every tick before the main process looks
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            try {
                int tick = ctx.inputQueue().get(0.1);
                // the segment is mapped in the worker too: the same bytes, not a copy
                UnsafeBuffer array = ctx.shm(shmName).shm().buffer();
                System.out.println("Worker (pid " + ProcessHandle.current().pid() + "), tick " + tick
                        + ": shared array: " + toString(array));
                for (int i = 0; i < array.capacity() / Double.BYTES; i++) {
                    array.putDouble(i * Double.BYTES, array.getDouble(i * Double.BYTES) + 1);
                }
                System.out.println("Worker (pid " + ProcessHandle.current().pid() + "), tick " + tick
                        + ": modified array: " + toString(array));
            } catch (Empty e) {
                // nothing this time
            }
        }

        static String toString(UnsafeBuffer array) {
            double[] d = new double[array.capacity() / Double.BYTES];
            for (int i = 0; i < d.length; i++) {
                d[i] = array.getDouble(i * Double.BYTES);
            }
            return Arrays.toString(d);
        }
    }

    public static void main(String[] args) throws SegmentExistsException {
        boolean threads = args.length > 0 && args[0].equals("thread");
        System.out.println("Main process ID: " + ProcessHandle.current().pid() + ", mode: "
                + (threads ? "thread" : "process"));
        // SGN's example: np.array([1, 2, 3, 4, 5], dtype=np.float64).tobytes(), in native byte order
        double[] data = {1, 2, 3, 4, 5};
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Double.BYTES).order(ByteOrder.nativeOrder());
        for (double d : data) {
            bytes.putDouble(d);
        }
        // one name per run (SGN's example says "shared_array_example"): /dev/shm is shared by
        // every program on the machine, and a second toShm of a name fails
        String name = "shared_array_example-" + ProcessHandle.current().pid();
        Parallelize.toShm(name, bytes.array());
        System.out.println("Main: shared array " + Arrays.toString(data) + " in segment " + name);

        IterSource ticks = new IterSource("ticks", List.of("ticks"), java.util.Map.of("ticks", List.of(1, 2, 3)));
        ArraySink sink = new ArraySink(name);
        Pipeline pipeline = new Pipeline();
        pipeline.connect(ticks, sink);
        try (Parallelize parallelize = new Parallelize(pipeline, threads)) {
            parallelize.run();
            // still open: the segment exists until close, and holds what the worker wrote
            UnsafeBuffer array = Parallelize.shmList().get(0).shm().buffer();
            System.out.println("Main sees: " + ArraySink.toString(array));
        }
        System.out.println("segment removed on close: " + !jvalkka.shm.SharedMemory.exists(name));
    }
}
