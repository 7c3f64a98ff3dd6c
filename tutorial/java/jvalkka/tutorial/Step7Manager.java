package jvalkka.tutorial;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.event.Level;

import jvalkka.multiprocess.MainContext;
import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.PipeClosedException;
import jvalkka.multiprocess.Restarter;
import jvalkka.multiprocess.Select;
import jvalkka.shm.DType;
import jvalkka.shm.SharedArray;

/**
 * Step 7 (Part II): a {@code Manager} main process and N {@code WorkerProcess}
 * workers that compute into a shared-memory array and tell the manager when they
 * are done. Run {@code scripts/tutorial 7 main} (Ctrl+C to end) or
 * {@code scripts/tutorial 7 test} (the manager runs in a thread for a few seconds).
 *
 * <p>Arguments: {@code main|test [workers (5)] [test seconds (4)] [-v]}: log lines at INFO, or
 * at DEBUG with {@code -v} (or {@code JVALKKA_DEMO_DEBUG=1}). The manager ends with a summary
 * line (workers, jobs done, messages, seconds).
 */
public final class Step7Manager {
    private Step7Manager() {
    }

    /** A worker: {@code doWork()} makes its backend fill the shared array and answer "ready". */
    static final class WorkerProcess extends MessageProcess {
        private static final int ROWS = 100;
        private static final int COLS = 100;
        private final String shmemName;
        private transient SharedArray array;    // frontend view
        private transient SharedArray array__;  // backend view

        WorkerProcess(String name) {
            super(name);
            // the manager's pid keeps two runs (or two tests) from sharing a segment name
            this.shmemName = "shm-" + name + "-" + ProcessHandle.current().pid();
            try {
                this.array = SharedArray.create(shmemName, DType.FLOAT64, ROWS, COLS); // frontend-side shared memory
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.array.fill(0.0);
        }

        // Backend methods

        @Override
        protected void preRun__() throws IOException {
            logger.info("preRun__ : ");
            array__ = SharedArray.open(shmemName, DType.FLOAT64, ROWS, COLS); // backend-side view of the same memory
        }

        @Override
        protected void postRun__() {
            logger.info("postRun__ : ");
            array__.unlink();
            array__.close();
        }

        void c__doWork() throws InterruptedException {
            int r = ThreadLocalRandom.current().nextInt(1, 6);
            logger.info("c__doWork: will fill the array with {} and take {} s", (double) r, r);
            array__.fill(r);
            Thread.sleep(r * 1000L); // wait random secs
            logger.info("c__doWork: ..did that!");
            send_out__(new MessageObject("ready")); // send message when ready
        }

        // Frontend methods

        void doWork() {
            logger.info("doWork : calling backend");
            sendMessageToBack(new MessageObject("doWork"));
        }

        SharedArray getArray() {
            return array;
        }

        /** Frontend: after the backend stopped, removes the segment if the backend could not (it crashed). */
        void release() {
            array.unlink();
            array.close();
        }
    }

    /** The main process: starts the workers, hands out work, and hands it out again when a worker is ready. */
    static final class Manager extends MainContext {
        private final int nWorkers;
        private final double timeout;
        private List<WorkerProcess> cache;                 // all multiprocesses
        private List<WorkerProcess> availCache;            // available multiprocesses for work
        private Map<MessagePipe, WorkerProcess> processByPipe;
        private List<Object> readPipes;                    // pipes and channels to listen to
        private final Restarter<WorkerProcess> restarter =
                new Restarter<>(Manager::newWorker, 3, Duration.ofMinutes(1));
        private long startedAt;                            // for the closing summary
        private int messages;                              // messages received from the workers
        private int jobsDone;                              // "ready" messages among them

        Manager(int nWorkers) {
            this.nWorkers = nWorkers;
            this.timeout = 2.0;
            start(); // fields are set: now startProcesses() and startThreads()
        }

        private static WorkerProcess newWorker(String name) {
            WorkerProcess p = new WorkerProcess(name);
            p.ignoreSIGINT(); // SIGINT is for the manager, which stops the workers cleanly
            return p;
        }

        @Override
        protected void startProcesses() {
            logger.debug("startProcesses:");
            cache = new ArrayList<>();
            availCache = new ArrayList<>();
            processByPipe = new HashMap<>();
            readPipes = new ArrayList<>(List.of(auxPipeRead));
            for (int i = 0; i < nWorkers; i++) {
                WorkerProcess p = newWorker("worker-" + i);
                cache.add(p);
                availCache.add(p);
                processByPipe.put(p.getPipe(), p);
                readPipes.add(p.getPipe());
            }
            logger.info("startProcesses: starting multiprocesses");
            MessageProcess.startAll(cache); // spawns! (the JVMs boot in parallel)
            logger.info("startProcesses: all multiprocesses running");
        }

        @Override
        protected void startThreads() {
            logger.debug("startThreads:");
            // no threads in this app
        }

        @Override
        public void close() {
            if (closed) {
                return; // the loop closed already; stopThread() calls close() once more
            }
            logger.debug("close: stopping processes");
            if (cache != null) {
                for (WorkerProcess p : cache) {
                    p.requestStop();
                }
                for (WorkerProcess p : cache) {
                    p.waitStop();
                    p.release();
                }
            }
            logger.debug("close: processes stopped");
            super.close();
        }

        @Override
        public void run() {
            for (int i = 0; i < 3 && !availCache.isEmpty(); i++) {
                availCache.remove(0).doWork();
            }
            loop = true;
            startedAt = System.nanoTime();
            logger.debug("starting main loop");
            while (loop) {
                Select.Ready r = Select.safeSelect(readPipes, List.of(), List.of(), timeout);
                if (r.reads().isEmpty()) { // reading operation timeout
                    logger.debug("still alive");
                    continue;
                }
                for (Object pipe : r.reads()) {
                    if (pipe == auxPipeRead) {
                        if (readAux() == Aux.STOP) {
                            logger.info("stop requested: leaving the loop");
                        } else {
                            logger.warn("SIGTERM or CTRL-C: will exit asap");
                        }
                        loop = false;
                        continue;
                    }
                    WorkerProcess p = processByPipe.get(pipe);
                    if (p == null) {
                        logger.error("unknown pipe {}", pipe);
                        continue;
                    }
                    MessageObject obj;
                    try {
                        obj = p.getPipe().recv();
                    } catch (PipeClosedException e) {
                        forget(p); // its exit was reported already
                        continue;
                    }
                    messages++;
                    logger.debug("got message {}", obj);
                    handleMessage__(p, obj);
                }
            }
            close();
            logger.info("summary: {} workers, {} jobs done, {} messages received, {} s", nWorkers, jobsDone,
                    messages, String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - startedAt) / 1e9));
            logger.debug("bye!");
        }

        void handleMessage__(WorkerProcess p, MessageObject msg) {
            if (msg == null) {
                logger.debug("handleMessage__ : {} ended its loop", p);
                return;
            }
            if (Restarter.isExited(msg)) {
                logger.error("handleMessage__ : {} died: {}", p, msg);
                forget(p);
                p.release();
                WorkerProcess fresh = restarter.restart(p, msg);
                if (fresh != null) {
                    remember(fresh);
                    fresh.doWork();
                }
                return;
            }
            jobsDone++;
            double[] vals = new double[5]; // read the sharedmem
            for (int j = 0; j < vals.length; j++) {
                vals[j] = p.getArray().getDouble(0, j);
            }
            logger.info("handleMessage__ : subprocess {} returned {} with values {}", p, msg.command(),
                    Arrays.toString(vals));
            availCache.add(p); // return the process back to cache
            if (availCache.isEmpty()) {
                logger.error("handleMessage__ : no more processes available!");
                return;
            }
            availCache.remove(0).doWork(); // take a new process from the cache and tell it to do some work
        }

        private void forget(WorkerProcess p) {
            cache.remove(p);
            availCache.remove(p);
            processByPipe.remove(p.getPipe());
            readPipes.remove(p.getPipe());
        }

        private void remember(WorkerProcess p) {
            cache.add(p);
            processByPipe.put(p.getPipe(), p);
            readPipes.add(p.getPipe());
        }
    }

    /** INFO, or DEBUG with {@code -v} or {@code JVALKKA_DEMO_DEBUG=1}. */
    static void formatLoggers(boolean debug) {
        Level level = debug ? Level.DEBUG : Level.INFO;
        MainContext.formatLogger(Manager.class, level);       // of course in a real app, in some other way
        MessageProcess.formatLogger(WorkerProcess.class, level);
    }

    static void main(int nWorkers, boolean debug) {
        formatLoggers(debug);
        Manager manager = new Manager(nWorkers);
        manager.run();
    }

    static void test(int nWorkers, double seconds, boolean debug) throws InterruptedException {
        formatLoggers(debug);
        Manager manager = new Manager(nWorkers);
        manager.runAsThread();
        System.out.println("running manager for " + seconds + " secs");
        Thread.sleep((long) (seconds * 1000));
        // .. or instead, interact with the manager as it runs in the background thread
        System.out.println("stopping manager");
        manager.stopThread();
        System.out.println("bye!");
    }

    public static void main(String[] argv) throws InterruptedException {
        List<String> all = new ArrayList<>(Arrays.asList(argv));
        boolean debug = all.remove("-v") | "1".equals(System.getenv("JVALKKA_DEMO_DEBUG"));
        String[] args = all.toArray(new String[0]);
        if (args.length < 1 || !(args[0].equals("main") || args[0].equals("test"))) {
            System.out.println("please give 'main' or 'test'");
            return;
        }
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        if (args[0].equals("main")) {
            main(n, debug);
        } else {
            test(n, args.length > 2 ? Double.parseDouble(args[2]) : 4.0, debug);
        }
    }
}
