package jvalkka.tutorial;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.slf4j.event.Level;

import jvalkka.multiprocess.AsyncBackMessageProcess;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;

/**
 * Part III, asynchronous backend (valkka's asyncio): an
 * {@link AsyncBackMessageProcess} whose handlers return a {@code CompletionStage}.
 * {@code c__square} returns at once; its result waits for an outside event (here
 * the {@code go} command, standing in for an I/O completion), while the loop keeps
 * answering {@code ping}. A stage that fails reaches the frontend as an
 * {@code "error"} message.
 */
public final class StepAsync {
    private StepAsync() {
    }

    static final class AsyncWorker extends AsyncBackMessageProcess {
        private transient CompletableFuture<Void> go__;

        AsyncWorker(String name) {
            super(name);
        }

        // Backend methods

        @Override
        protected CompletionStage<?> asyncPre__() {
            go__ = new CompletableFuture<>();
            return CompletableFuture.completedFuture(null);
        }

        /** Asynchronous: the answer leaves when {@code go} has come, computed on the backend's executor. */
        CompletionStage<Void> c__square(int x) {
            logger.info("c__square: {} accepted, answer after 'go'", x);
            return go__.thenApplyAsync(v -> x * x, executor__())
                    .thenAccept(v -> send_out__(new MessageObject("square", "x", x, "value", v)));
        }

        /** Asynchronous and failing: the frontend gets MessageObject("error", ...). */
        CompletionStage<Void> c__divide(int x, int y) {
            return CompletableFuture.runAsync(() -> send_out__(new MessageObject("quotient", "value", x / y)),
                    executor__());
        }

        /** Synchronous, as in any MessageProcess. */
        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i, "pending", pending__()));
        }

        void c__go() {
            go__.complete(null);
        }

        // Frontend methods

        void square(int x) {
            sendMessageToBack(new MessageObject("square", "x", x));
        }
    }

    public static void main(String[] args) {
        MessageProcess.formatLogger(AsyncWorker.class, Level.INFO);
        AsyncWorker p = new AsyncWorker("async");
        p.start();
        try {
            for (int x = 1; x <= 3; x++) {
                p.square(x);
            }
            p.sendMessageToBack(new MessageObject("ping", "i", 1));
            System.out.println("got " + p.getPipe().recv()); // the pong: the loop was not blocked
            p.sendMessageToBack(new MessageObject("go"));
            for (int k = 0; k < 3; k++) {
                System.out.println("got " + p.getPipe().recv());
            }
            p.sendMessageToBack(new MessageObject("divide", "x", 1, "y", 0));
            MessageObject error = p.getPipe().recv();
            System.out.println("got " + error.command() + ": " + error.get("reason"));
        } finally {
            p.stop();
        }
    }
}
