package jvalkka.multiprocess.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import jvalkka.multiprocess.AsyncBackMessageProcess;
import jvalkka.multiprocess.MessageObject;
import jvalkka.testing.JavaProgram;

/** Part III: the streaming step (custom MessageProcess + ring buffer) and asynchronous backends. */
class PartThreeTest {

    @AfterEach
    void noChildren() {
        Workers.assertNoChildren(15);
    }

    @Test
    void theStreamingStepServesEveryFrameInOrderThroughTheRingAndRemovesIt() throws Exception {
        JavaProgram program = JavaProgram.start("jvalkka.tutorial.StepStreaming", List.of(), "3000");
        try {
            JavaProgram.Result r = program.waitFor(120);
            assertEquals(0, r.exitCode(), r.output());
            assertFalse(r.output().contains("ERROR"), r.output());
            r.assertLinesInOrder(
                    "StreamServer.server - INFO - preRun__ : serving ring jvalkka-ring-" + program.pid(),
                    "StreamServer.server - INFO - c__startStream: device started for 3000 frames",
                    "consumer: 3000 frames in order");
            assertTrue(r.output().contains("server says <MessageObject: streamEnded: {frames=3000}>"), r.output());
            assertEquals(List.of(), Workers.segments("jvalkka-ring-" + program.pid()));
        } finally {
            program.destroyTree();
        }
    }

    @Test
    void theAsyncStepAnswersWhileStagesArePendingAndReportsAFailedStage() throws Exception {
        JavaProgram.Result r = JavaProgram.start("jvalkka.tutorial.StepAsync", List.of()).waitFor(120);
        assertEquals(0, r.exitCode(), r.output());
        r.assertLinesInOrder(
                "c__square: 3 accepted",
                "got <MessageObject: pong: {i=1, pending=3}>",
                "got <MessageObject: square:",
                "got <MessageObject: square:",
                "got <MessageObject: square:",
                "got error: c__divide completed with java.lang.ArithmeticException: / by zero");
    }

    /** Completes its stage only when told to: shows that a stop waits for pending stages. */
    static final class Slow extends AsyncBackMessageProcess {
        private transient CompletableFuture<Void> gate__;

        Slow(String name) {
            super(name);
        }

        @Override
        protected CompletionStage<?> asyncPre__() {
            gate__ = new CompletableFuture<>();
            return CompletableFuture.completedFuture(null);
        }

        CompletionStage<Void> c__later(int i) {
            return gate__.thenRunAsync(() -> send_out__(new MessageObject("done", "i", i)), executor__());
        }

        void c__open() {
            gate__.complete(null);
        }

        CompletionStage<Void> c__fails() {
            return CompletableFuture.failedFuture(new IllegalStateException("async trouble"));
        }
    }

    @Test
    void aFailedStageBecomesAnErrorMessageAndAStopDrainsPendingStages() {
        Slow p = new Slow("slow");
        p.start();
        try {
            p.sendMessageToBack(new MessageObject("fails"));
            MessageObject error = p.getPipe().recv();
            assertEquals("error", error.command(), error.toString());
            assertEquals("fails", error.get("command"));
            assertTrue(String.valueOf(error.get("reason")).contains("async trouble"), error.toString());
            assertEquals(IllegalStateException.class.getName(), error.get("exception"));

            p.sendMessageToBack(new MessageObject("later", "i", 5));
            p.sendMessageToBack(new MessageObject("open"));
            p.requestStop(); // the loop ends; the pending stage still completes before the backend exits
            p.waitStop();
            MessageObject done = p.getPipe().recv();
            assertEquals("done", done.command(), String.valueOf(done));
            assertEquals(null, p.getPipe().recv(), "then the stop marker");
            assertEquals(0, p.exitCode());
        } finally {
            p.stop();
        }
    }
}
