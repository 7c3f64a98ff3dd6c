package jvalkka.sgn.subprocess;

import java.util.ArrayList;
import java.util.List;

import jvalkka.sgn.Frame;
import jvalkka.sgn.SignalEOS;
import jvalkka.sgn.SinkElement;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourceElement;
import jvalkka.sgn.SourcePad;

/** Elements shared by the subprocess tests and programs (top-level nested statics: they cross to worker JVMs). */
final class TestElements {
    private TestElements() {
    }

    /** 1..count as Integer frames, EOS on the last; with count < 0, until SIGINT/SIGTERM. */
    static final class Numbers extends SourceElement {
        final int count;
        int n;

        Numbers(int count) {
            super("numbers", "out");
            this.count = count;
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            if (n > 0 && (count >= 0 ? n >= count : SignalEOS.signaledEos())) {
                return Frame.eos();
            }
            n++;
            return new Frame(n, count >= 0 && n >= count, false);
        }
    }

    /** Frames whose data is a new byte[size] filled with the frame number. */
    static final class Blobs extends SourceElement {
        final int count;
        final int size;
        int n;

        Blobs(int count, int size) {
            super("blobs", "out");
            this.count = count;
            this.size = size;
        }

        @Override
        public Frame newFrame(SourcePad pad) {
            if (n >= count) {
                return Frame.eos();
            }
            n++;
            byte[] b = new byte[size];
            java.util.Arrays.fill(b, (byte) n);
            return new Frame(b, n >= count, false);
        }
    }

    /** Squares Integer data in the worker; the main side passes frames through one by one. */
    static class Squarer extends ParallelizeTransformElement {
        int failAt = -1;
        long slowNanos;
        transient int inFlight;
        transient int maxInFlight;
        /** Frames in flight before newFrame waits; 1 for frames larger than a ring. */
        transient int window = 8;
        /** Take nothing back before EOS: every frame is put before any result is taken. */
        transient boolean batch;

        Squarer() {
            this("squarer");
        }

        Squarer(String name) {
            super(name, List.of("in"), List.of("out"));
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (atEos) {
                return;
            }
            inQueue.put(frame);
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            if (frame.isEOS()) {
                atEos = true;
            }
        }

        @Override
        public Frame newFrame(SourcePad pad) throws Exception {
            if (inFlight == 0) {
                return Frame.eos();
            }
            // pipelined: take what is ready; wait only when the queues are full or the stream has ended
            if (batch && !atEos) {
                return Frame.gap();
            }
            Frame f;
            if (atEos || inFlight >= bound()) {
                f = outQueue.get();
            } else {
                try {
                    f = outQueue.getNowait();
                } catch (Empty e) {
                    return Frame.gap();
                }
            }
            inFlight--;
            return f;
        }

        /** At most this many frames in the worker's queues before newFrame waits for a result. */
        int bound() {
            return window;
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            Frame f;
            try {
                f = ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            if (f.data() instanceof Integer i) {
                if (i == failAt) {
                    throw new IllegalArgumentException("cannot square " + i);
                }
                f.setData(i * i);
            } else if (f.data() instanceof byte[] b && b.length > 0) {
                b[0] = (byte) ~b[0]; // a change made by the worker, checked by the test
            }
            if (slowNanos > 0) {
                long until = System.nanoTime() + slowNanos;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            ctx.outputQueue().put(f);
        }
    }

    static final class ThreadSquarer extends Squarer {
        @Override
        protected Boolean useThreadingOverride() {
            return true;
        }
    }

    static class ProcessSquarer extends Squarer {
        ProcessSquarer() {
        }

        ProcessSquarer(String name) {
            super(name);
        }

        @Override
        protected Boolean useThreadingOverride() {
            return false;
        }
    }

    /**
     * A slow sink whose worker checks each byte[] frame and answers with its number: the main
     * side counts the frames not yet answered, which the queue bound must keep small.
     */
    static class SlowSink extends ParallelizeSinkElement {
        long slowNanos = 200_000;
        transient int put;
        transient int acked;
        transient int maxInFlight;
        transient int lastAck;
        transient boolean inOrder = true;

        SlowSink() {
            super("slow", List.of("in"));
        }

        private void ack(Object a) {
            int n = (Integer) a;
            inOrder &= n == lastAck + 1;
            lastAck = n;
            acked++;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) throws Exception {
            if (atEos()) {
                return;
            }
            while (!outQueue.isEmpty()) {
                ack(outQueue.getNowait());
            }
            if (frame.data() != null) {
                inQueue.put(frame.data());
                put++;
                maxInFlight = Math.max(maxInFlight, put - acked);
            }
            if (frame.isEOS()) {
                markEos(pad);
                for (Object a : subProcessShutdown(60)) {
                    ack(a);
                }
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            byte[] b;
            try {
                b = ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            long until = System.nanoTime() + slowNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            ctx.outputQueue().put(b[0] == b[b.length - 1] ? (int) b[0] & 0xff : -1);
        }
    }

    static final class ThreadSlowSink extends SlowSink {
        @Override
        protected Boolean useThreadingOverride() {
            return true;
        }
    }

    /**
     * For each Integer frame i, its worker reads int slot i-1 of the {@code toShm} segment
     * {@code shmName} (of {@code metadata "slots"} slots), sends what it read back, and writes
     * i*i there. The main side keeps what came back in {@link #read}.
     */
    static final class ShmSquarer extends ParallelizeSinkElement {
        final String shmName;
        transient List<Object> read = new ArrayList<>();

        ShmSquarer(String shmName) {
            super("shm-squarer", List.of("in"));
            this.shmName = shmName;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) throws Exception {
            while (!outQueue.isEmpty()) {
                read.add(outQueue.getNowait());
            }
            if (frame.data() != null) {
                inQueue.put(frame.data());
            }
            if (frame.isEOS()) {
                markEos(pad);
                read.addAll(subProcessShutdown(60));
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) throws Exception {
            int i;
            try {
                i = ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            ShmRef ref = ctx.shm(shmName);
            int slots = (Integer) ref.metadata().get("slots");
            if (i < 1 || i > slots) {
                throw new IndexOutOfBoundsException("slot " + i + " of " + slots);
            }
            org.agrona.concurrent.UnsafeBuffer b = ref.shm().buffer();
            ctx.outputQueue().put(b.getInt((i - 1) * Integer.BYTES));
            b.putInt((i - 1) * Integer.BYTES, i * i);
        }
    }

    /** Keeps the data of non-gap frames; EOS ends it. */
    static final class Collect extends SinkElement {
        final List<Object> got = new ArrayList<>();

        Collect() {
            super("collect", "in");
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (!frame.isGap() && frame.data() != null) {
                got.add(frame.data());
            }
            if (frame.isEOS()) {
                markEos(pad);
            }
        }
    }
}
