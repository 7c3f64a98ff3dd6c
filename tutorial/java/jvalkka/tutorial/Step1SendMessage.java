package jvalkka.tutorial;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;

/**
 * Step 1: send a message to the backend. Calling the frontend method {@code ping}
 * sends a {@link MessageObject}; the backend runs {@code c__ping} in its own JVM.
 */
public final class Step1SendMessage {
    static class MyProcess extends MessageProcess {
        MyProcess(String name) {
            super(name);
        }

        // backend
        void c__ping(String parameter) {
            System.out.println("Regards from other side of the fork!  Got parameter " + parameter);
        }

        // frontend
        void ping(String parameter) {
            sendMessageToBack(new MessageObject("ping", "parameter", parameter));
        }
    }

    public static void main(String[] args) throws InterruptedException {
        MyProcess p = new MyProcess("my-process");
        p.start();                  // spawns the backend JVM
        Thread.sleep(1000);         // let the backend run on its own for a second
        p.ping("gotcha!");          // runs c__ping in the backend
        Thread.sleep(1000);
        p.stop();                   // tell the backend to stop and wait for it
    }
}
