package jvalkka.tutorial;

import java.io.IOException;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.shm.DType;
import jvalkka.shm.SharedArray;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;

/**
 * Step 4: shared memory. The frontend creates the "server side" array under the
 * name {@code my-shm-1}; {@code preRun__} (in the backend) opens the "client
 * side" by the same name; {@code postRun__} unlinks it when the backend ends.
 * The arrays are {@code transient}: each half has its own view of the same memory.
 */
public final class Step4SharedMemory {
    static class MyProcess extends MessageProcess {
        final EventGroup eg = new EventGroup(10);
        final String shmemName = "my-shm-1";
        final int[] shape = {100, 100};
        transient SharedArray array;   // frontend side
        transient SharedArray array__; // backend side

        MyProcess(String name) throws IOException {
            super(name);
            array = SharedArray.create(shmemName, DType.FLOAT64, shape); // "server side", in the frontend
            array.fill(1.0);
        }

        // frontend: release the server side (Python does it in __del__)
        @Override
        public void close() { // overrides MessageProcess.close() (= stop()); main() stops the backend first
            array.close();
        }

        // backend
        @Override
        protected void preRun__() throws IOException {
            logger.info("preRun__ : ");
            array__ = SharedArray.open(shmemName, DType.FLOAT64, shape); // "client side", in the backend
        }

        @Override
        protected void postRun__() {
            logger.info("postRun__ : ");
            array__.unlink();
        }

        void c__readWrite(int sync_index) {
            logger.info("c__readWrite: will change array values from {} to {}", array__.getDouble(0, 0), 3.0);
            array__.fill(3.0);
            logger.info("c__readWrite: ..did that!");
            eg.set(sync_index); // tell frontend that it's done
        }

        // frontend
        void readWrite() {
            logger.info("readWrite : calling backend");
            try (SyncIndex i = new SyncIndex(eg)) {
                sendMessageToBack(new MessageObject("readWrite", "sync_index", i.index()));
            }
            logger.info("readWrite: array values now {}", array.getDouble(0, 0));
        }
    }

    public static void main(String[] args) throws Exception {
        MyProcess p = new MyProcess("my-process");
        p.formatLogger();
        p.start();
        Thread.sleep(1000);
        p.readWrite();
        p.stop();
        p.close();
    }
}
