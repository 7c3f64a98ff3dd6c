package jvalkka.tutorial;

import java.util.List;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.Select;

/**
 * Step 3: the backend answers with a message of its own ({@code send_out__}); the
 * frontend waits for it with {@link Select#safeSelect} on the process's pipe.
 */
public final class Step3SendAndReceive {
    static class MyProcess extends MessageProcess {
        MyProcess(String name) {
            super(name);
        }

        // backend
        void c__ping(String parameter) throws InterruptedException {
            logger.info("c__ping: got parameter {} - will do some", parameter);
            Thread.sleep(1000); // do something time consuming..
            logger.info("c__ping: ..did that!");
            send_out__(new MessageObject("pong", "result", "pudding"));
        }

        // frontend
        void ping(String parameter) {
            logger.info("ping: sending ping to backend");
            sendMessageToBack(new MessageObject("ping", "parameter", parameter));
        }
    }

    public static void main(String[] args) throws InterruptedException {
        MyProcess p = new MyProcess("my-process");
        p.formatLogger();
        MessagePipe pipe = p.getPipe(); // the pipe to listen to: use it for small messages only
        p.start();
        Thread.sleep(1000);
        // said before the ping leaves: printed after it, this line would race the backend's
        // first log line (two processes writing to one terminal), and come first or second
        System.out.println("main: waiting reply from multiprocessing backend");
        p.ping("gotcha!");
        Select.safeSelect(List.of(pipe), List.of(), List.of());
        MessageObject msg = pipe.recv();
        System.out.println("main: got " + msg.command() + " with some " + msg.get("result"));
        p.stop();
    }
}
