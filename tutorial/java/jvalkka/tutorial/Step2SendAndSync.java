package jvalkka.tutorial;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;

/**
 * Step 2: send a message and wait until the backend has done the work. The
 * {@link EventGroup} is created before {@code start()}, so both halves see it;
 * the frontend reserves an event with {@link SyncIndex}, sends its index, and
 * {@code close()} (the end of the try block) waits until the backend sets it.
 */
public final class Step2SendAndSync {
    static class MyProcess extends MessageProcess {
        final EventGroup eg = new EventGroup(10);

        MyProcess(String name) {
            super(name);
        }

        // backend
        void c__ping(String parameter, int sync_index) throws InterruptedException {
            logger.info("c__ping: got parameter {} - will do some", parameter);
            Thread.sleep(1000); // do something time consuming..
            logger.info("c__ping: ..did that!");
            eg.set(sync_index); // tell frontend that it's done
        }

        // frontend
        void ping(String parameter) {
            logger.info("ping: callin backend to do some stuff");
            try (SyncIndex i = new SyncIndex(eg)) {
                sendMessageToBack(new MessageObject("ping", "parameter", parameter, "sync_index", i.index()));
            }
            logger.info("ping: backend seems to be ready");
        }
    }

    public static void main(String[] args) throws InterruptedException {
        MyProcess p = new MyProcess("my-process");
        p.formatLogger();
        p.start();
        Thread.sleep(1000);
        p.ping("gotcha!");
        p.stop();
    }
}
