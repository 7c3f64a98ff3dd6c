package jvalkka.tutorial;

import jvalkka.multiprocess.BackendStartException;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;

/**
 * What does the backend see of its frontend? The JVM answers to the article's
 * fork/spawn questions. A backend is a new JVM (like Python's "spawn") that
 * gets a copy of the process object as it stood at {@code start()} (Java
 * serialization, like pickling):
 *
 * <ul>
 * <li>a field set before {@code start()} is there; one set after is not;</li>
 * <li>static fields are not carried: the backend's classes are freshly loaded;</li>
 * <li>a {@code transient} field is not carried (it is null, 0 or false there);</li>
 * <li>a change in the backend does not reach the frontend (send a message);</li>
 * <li>a field that cannot be serialized fails {@code start()} with an error that
 *     names it, as the article's rasterio dataset fails to pickle; the fix is the
 *     article's too: pass an identifier, open the resource in the backend.</li>
 * </ul>
 */
public final class ProcessQueueBackendSees {
    private ProcessQueueBackendSees() {
    }

    /** Static state: each JVM has its own. */
    static int counter = 1;

    static class Show extends MessageProcess {
        int a;
        double b;
        transient String cache = "frontend-only";

        Show(String name) {
            super(name);
        }

        // backend
        void c__show() {
            System.out.println("Child process: pid " + ProcessHandle.current().pid() + ", a=" + a + ", b=" + b
                    + ", cache=" + cache + ", static counter=" + counter);
            a = 5; // changes the backend's copy only
            System.out.println("Child process: set a=" + a);
            System.out.flush();
            send_out__(new MessageObject("shown", "a", a));
        }
    }

    /** Like rasterio's DatasetReader: a handle that cannot be serialized. */
    static final class DatasetReader {
        final String path;

        DatasetReader(String path) {
            this.path = path;
        }

        String read() {
            return "pixels of " + path + " read in pid " + ProcessHandle.current().pid();
        }
    }

    static class Reader extends MessageProcess {
        final DatasetReader dataset;

        Reader(String name, DatasetReader dataset) {
            super(name);
            this.dataset = dataset;
        }
    }

    /** The fix: carry the identifier, open the dataset in the backend. */
    static class FixedReader extends MessageProcess {
        final String path;
        transient DatasetReader dataset;

        FixedReader(String name, String path) {
            super(name);
            this.path = path;
        }

        @Override
        protected void preRun__() {
            dataset = new DatasetReader(path);
        }

        void c__read() {
            send_out__(new MessageObject("read", "text", dataset.read()));
        }
    }

    public static void main(String[] args) {
        Show p = new Show("show");
        p.a = 10;
        counter = 2;
        System.out.println("Main process: pid " + ProcessHandle.current().pid() + ", a=" + p.a + ", b=" + p.b
                + ", cache=" + p.cache + ", static counter=" + counter);
        p.start();
        p.b = 10.0; // after start(): the backend never sees it
        System.out.println("Main process: set b=" + p.b + " after start()");
        p.sendMessageToBack(new MessageObject("show"));
        MessageObject reply = p.getPipe().recv();
        System.out.println("After the child ran: main process a=" + p.a + " (the child's a=" + reply.get("a") + ")");
        p.stop();

        Reader r = new Reader("reader", new DatasetReader("test_read.tiff"));
        try {
            r.start();
            System.out.println("unexpected: the reader started");
            r.stop();
        } catch (BackendStartException e) {
            System.out.println("start() failed: " + e.getMessage());
        }

        FixedReader f = new FixedReader("fixed-reader", "test_read.tiff");
        f.start();
        f.sendMessageToBack(new MessageObject("read"));
        System.out.println("Fixed: " + f.getPipe().recv().get("text"));
        f.stop();
        System.out.println("Program ends.");
    }
}
