package jvalkka.tutorial;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import jvalkka.testing.JavaProgram;

/** Runs Part I's steps as programs and checks the lines the seed tutorial shows, in order. */
@Timeout(300)
class PartOneTutorialTest {
    static JavaProgram.Result run(Class<?> step) throws Exception {
        JavaProgram.Result r = JavaProgram.run(step, 120);
        assertEquals(0, r.exitCode(), r.output());
        return r;
    }

    @Test
    void step1SendMessage() throws Exception {
        run(Step1SendMessage.class).assertLinesInOrder(
                "Regards from other side of the fork!  Got parameter gotcha!");
    }

    @Test
    void step2SendAndSync() throws Exception {
        run(Step2SendAndSync.class).assertLinesInOrder(
                "MyProcess.my-process - INFO - ping: callin backend to do some stuff",
                "MyProcess.my-process - INFO - c__ping: got parameter gotcha! - will do some",
                "MyProcess.my-process - INFO - c__ping: ..did that!",
                "MyProcess.my-process - INFO - ping: backend seems to be ready");
    }

    @Test
    void step3SendAndReceive() throws Exception {
        for (int i = 0; i < 3; i++) { // the order was a race once: 3 runs in 10 swapped two lines
            run(Step3SendAndReceive.class).assertLinesInOrder(
                    "main: waiting reply from multiprocessing backend",
                    "MyProcess.my-process - INFO - ping: sending ping to backend",
                    "MyProcess.my-process - INFO - c__ping: got parameter gotcha! - will do some",
                    "MyProcess.my-process - INFO - c__ping: ..did that!",
                    "main: got pong with some pudding");
        }
    }

    @Test
    void step4SharedMemory() throws Exception {
        run(Step4SharedMemory.class).assertLinesInOrder(
                "MyProcess.my-process - INFO - preRun__ :",
                "MyProcess.my-process - INFO - readWrite : calling backend",
                "MyProcess.my-process - INFO - c__readWrite: will change array values from 1.0 to 3.0",
                "MyProcess.my-process - INFO - c__readWrite: ..did that!",
                "MyProcess.my-process - INFO - readWrite: array values now 3.0",
                "MyProcess.my-process - INFO - postRun__ :");
        assertEquals(false, Files.exists(Path.of("/dev/shm/my-shm-1")));
    }

    @Test
    void step5SyncResources() throws Exception {
        run(Step5SyncResources.class).assertLinesInOrder(
                "MyProcess.my-process - INFO - c__readWrite: will change array values from 0.0 to 3.0",
                "MyProcess.my-process - INFO - c__readWrite: ..did that!",
                "MyProcess.my-process - INFO - readWrite: array values now 3.0",
                "main: array values now 3.0",
                "MyProcess.my-process - INFO - c__close: client side shmem unlinked",
                "MyProcess.my-process - INFO - close: closing server side shmem",
                "main: bye!");
        assertEquals(false, Files.exists(Path.of("/dev/shm/my-shm-1")));
    }
}
