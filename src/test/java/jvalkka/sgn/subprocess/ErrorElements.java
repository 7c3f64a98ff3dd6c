package jvalkka.sgn.subprocess;

import java.util.List;

import jvalkka.sgn.Frame;
import jvalkka.sgn.SinkPad;
import jvalkka.sgn.SourcePad;

/** Elements whose workers fail in the ways {@link WorkerErrorsTest} checks (static nested: they cross to worker JVMs). */
final class ErrorElements {
    private ErrorElements() {
    }

    /**
     * A sink whose main side puts each Integer up to {@code last} and waits for the worker's
     * acknowledgement, and is at EOS once {@code last} is acknowledged: its last queue operation
     * is that wait. The worker acknowledges {@code last}, then throws.
     */
    static final class FailsAfterLast extends ParallelizeSinkElement {
        final int last;
        final boolean threads;
        final String label;

        FailsAfterLast(String name, int last, boolean threads) {
            super(name, List.of("in"));
            this.last = last;
            this.threads = threads;
            this.label = name;
        }

        @Override
        protected Boolean useThreadingOverride() {
            return threads;
        }

        @Override
        public void pull(SinkPad pad, Frame frame) {
            if (atEos()) {
                return;
            }
            int i = (Integer) frame.data();
            inQueue.put(i);
            outQueue.get(); // the acknowledgement
            if (i >= last || frame.isEOS()) {
                markEos(pad);
            }
        }

        @Override
        public void workerProcess(WorkerContext ctx) {
            int i;
            try {
                i = ctx.inputQueue().get(0.1);
            } catch (Empty e) {
                return;
            }
            ctx.outputQueue().put(i);
            if (i == last) {
                throw new IllegalStateException("failed after the last item " + i + " in " + label);
            }
        }
    }

    /** A source whose main side polls {@code outQueue.isEmpty()}; its worker fails on its first call. */
    static final class PollingSource extends ParallelizeSourceElement {
        final boolean threads;
        /** Set by the test to end a run that did not notice the failure. */
        transient volatile boolean abort;

        PollingSource(boolean threads) {
            super("polling", List.of("out"));
            this.threads = threads;
        }

        @Override
        protected Boolean useThreadingOverride() {
            return threads;
        }

        @Override
        public Frame newFrame(SourcePad pad) throws Exception {
            if (abort) {
                return Frame.eos();
            }
            if (outQueue.isEmpty()) {
                return Frame.gap();
            }
            return new Frame(outQueue.getNowait());
        }

        @Override
        public void workerProcess(WorkerContext ctx) {
            throw new IllegalStateException("the source's worker fails at once");
        }
    }
}
