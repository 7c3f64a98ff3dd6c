package jvalkka.tutorial;

import java.io.IOException;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.shm.DType;
import jvalkka.shm.SharedArray;
import jvalkka.sync.EventGroup;
import jvalkka.sync.SyncIndex;

/**
 * Step 5: resources on demand. The frontend creates shared memory whenever it
 * likes and tells the backend its name, dtype and shape in a message; the
 * backend opens its mirror in {@code c__create}. Parameters arrive with their
 * types: the {@link DType} as an enum, the shape as an {@code int[]}.
 */
public final class Step5SyncResources {
    static class MyProcess extends MessageProcess {
        final EventGroup eg = new EventGroup(10);
        transient SharedArray array;   // frontend side
        transient SharedArray array__; // backend side

        MyProcess(String name) {
            super(name);
        }

        // backend: create, modify and close shared memory in the backend
        void c__create(String name, DType dtype, int[] shape, int sync_index) throws IOException {
            array__ = SharedArray.open(name, dtype, shape);
            eg.set(sync_index);
        }

        void c__close(int sync_index) {
            array__.unlink();
            logger.info("c__close: client side shmem unlinked");
            eg.set(sync_index);
        }

        void c__readWrite(int sync_index) {
            logger.info("c__readWrite: will change array values from {} to {}", array__.getDouble(0, 0), 3.0);
            array__.fill(3.0);
            logger.info("c__readWrite: ..did that!");
            eg.set(sync_index); // tell frontend that it's done
        }

        // frontend: create and close shared memory here, and tell the backend to do the same
        void create(int... shape) throws IOException {
            String name = "my-shm-1";
            DType dtype = DType.FLOAT16;
            array = SharedArray.create(name, dtype, shape);
            array.fill(0.0);
            try (SyncIndex i = new SyncIndex(eg)) {
                sendMessageToBack(new MessageObject("create", "name", name, "dtype", dtype, "shape", shape,
                        "sync_index", i.index()));
            }
        }

        SharedArray getArray() {
            return array;
        }

        void readWrite() {
            try (SyncIndex i = new SyncIndex(eg)) {
                sendMessageToBack(new MessageObject("readWrite", "sync_index", i.index()));
            }
            logger.info("readWrite: array values now {}", array.getDouble(0, 0));
        }

        // valkka's close(): releases the shared memory; main() stops the backend after it
        // (MessageProcess.close() = stop(): call super.close() to have try-with-resources stop it)
        @Override
        public void close() {
            try (SyncIndex i = new SyncIndex(eg)) {
                sendMessageToBack(new MessageObject("close", "sync_index", i.index()));
            }
            logger.info("close: closing server side shmem");
            array.close();
        }
    }

    public static void main(String[] args) throws Exception {
        MyProcess p = new MyProcess("my-process");
        p.formatLogger();
        p.start();
        Thread.sleep(1000);
        p.create(200, 200);
        p.readWrite();
        System.out.println("main: array values now " + p.getArray().getDouble(0, 0));
        p.close();
        Thread.sleep(100);
        p.stop();
        System.out.println("main: bye!");
    }
}
