package jvalkka.sgn.subprocess;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.shm.SharedMemory;
import jvalkka.sgn.Element;

/**
 * Process mode: the worker of one element, a {@link MessageProcess} whose backend JVM restores
 * the element from its fields and calls {@code workerProcess} on a worker thread, while the
 * backend's main thread serves the process channel in the standard backend loop:
 * {@code c__shutdown} and {@code c__stop} set the flags the worker sees; when the worker
 * ends, its thread sends {@code MessageObject("terminated", error=<serialized exception or null>)}
 * to the frontend (so the loop waits for messages only, without polling).
 * Frames travel through the two rings of {@link #segment}, not through the channel.
 */
final class WorkerProcess extends MessageProcess {
    private static final long serialVersionUID = 1L;

    private final String segment;
    /** Where this worker's control block and rings start in {@link #segment}. */
    private final int segmentOffset;
    private final int ringBytes;
    private final String elementClass;
    private final String elementName;
    /** The element's fields and the toShm segments ({@link WorkerParams}): a string, so that this object crosses plain. */
    private final String params;

    /** Backend: {@link #params} read back, in {@code preRun__}. */
    private transient Map<String, Object> fields;
    private transient List<String> shmNames;
    private transient List<Map<String, Object>> shmMetadata;

    private transient SharedMemory shm;
    private transient List<SharedMemory> userShm;
    private transient DeadlineQueue in;
    private transient DeadlineQueue out;
    /** A placed worker (no segment): its queues over the pipe; else null. */
    private transient PipeQueue pipeIn;
    private transient PipeQueue pipeOut;
    private transient WorkerContext.Control control;
    private transient Thread worker;
    private transient Element element;
    /** A placed worker: its read-only views of the toShm copies on its host, one per segment. */
    private transient SharedMemory[] copies;
    /** A placed worker that holds copies: the writable views it fills, until they are complete. */
    private transient SharedMemory[] filling;
    /** A placed worker: the names of copies that another worker on its host holds. */
    private transient String[] toOpen;
    private transient volatile Throwable workerFailure;
    private transient java.util.concurrent.atomic.AtomicBoolean reported;

    WorkerProcess(Element element, String segment, int segmentOffset, int ringBytes, List<ShmRef> shm) {
        super("worker-" + element.name());
        this.segment = segment;
        this.segmentOffset = segmentOffset;
        this.ringBytes = ringBytes;
        this.elementClass = element.getClass().getName();
        this.elementName = element.name();
        this.params = WorkerParams.encode(ParallelState.captureFields(element), shm);
    }

    // ------------------------------------------------------------------ backend

    @Override
    protected void preRun__() throws Exception {
        WorkerParams p = WorkerParams.decode(params, Thread.currentThread().getContextClassLoader());
        fields = p.fields;
        shmNames = p.shmNames;
        shmMetadata = p.shmMetadata;
        control = new WorkerContext.Control();
        OtherEnd workerView = new OtherEnd(control, false);
        if (segment == null) { // placed on another host: frames over the pipe
            pipeIn = new PipeQueue(false, this::send_out__, workerView, ringBytes, "in of " + elementName);
            pipeOut = new PipeQueue(true, this::send_out__, workerView, ringBytes, "out of " + elementName);
            in = pipeIn;
            out = pipeOut;
        } else {
            shm = SharedMemory.open(segment);
            in = new RingQueue(shm, segmentOffset, ringBytes, 0, false, workerView, "in of " + elementName);
            out = new RingQueue(shm, segmentOffset, ringBytes, 1, true, workerView, "out of " + elementName);
        }
        userShm = new ArrayList<>();
        reported = new java.util.concurrent.atomic.AtomicBoolean();
        element = ParallelState.restore(elementClass, elementName, fields);
        if (segment == null && !shmNames.isEmpty()) {
            copies = new SharedMemory[shmNames.size()];
            filling = new SharedMemory[shmNames.size()];
            toOpen = new String[shmNames.size()];
            return; // the worker starts once the copies of the toShm segments have arrived (c__sgnshmdone)
        }
        List<ShmRef> refs = new ArrayList<>();
        for (int i = 0; i < shmNames.size(); i++) {
            SharedMemory s = SharedMemory.open(shmNames.get(i));
            userShm.add(s);
            refs.add(new ShmRef(shmNames.get(i), s, shmMetadata.get(i)));
        }
        startWorker(refs);
    }

    private void startWorker(List<ShmRef> refs) {
        Element e = element;
        WorkerContext ctx = new WorkerContext(in, out, control, refs);
        worker = new Thread(new WorkerLoop(e, ctx), "sgn-worker-" + elementName);
        worker.start();
    }

    /**
     * The worker thread's body. A class rather than a lambda, like the rest of a
     * backend's start path: the first lambda a backend links costs it some 40 ms
     * of CPU (a taken warm JVM too: the call site's forms are its own), which was
     * most of a process-mode element's start.
     */
    private final class WorkerLoop implements Runnable {
        private final Element e;
        private final WorkerContext ctx;

        WorkerLoop(Element e, WorkerContext ctx) {
            this.e = e;
            this.ctx = ctx;
        }

        @Override
        public void run() {
            workerFailure = Worker.loop(e, ctx);
            report(); // from this thread (sends are thread-safe): the loop need not poll for the end
        }
    }

    /**
     * Backend of a placed worker that holds the copy of toShm segment {@code i} on its host: a
     * piece of it ({@code size} bytes in all), written at {@code at}; the first creates the copy
     * as {@code name}, a segment of this JVM (its run record unlinks it when this JVM ends).
     */
    private void shmPiece(int i, String name, long size, long at, byte[] b) throws java.io.IOException {
        if (filling[i] == null) {
            filling[i] = SharedMemory.create(name, Math.max(1, size));
        }
        filling[i].buffer().putBytes((int) at, b);
    }

    /**
     * Backend of a placed worker: every toShm copy has arrived, or is held by another worker on
     * this host: each is mapped read-only. A holder tells the frontend its copies are complete;
     * a copy that cannot be opened (its holder ended) is asked for again, and the worker starts
     * once it has arrived.
     */
    private void shmDone() throws java.io.IOException {
        List<String> made = new ArrayList<>();
        List<Integer> need = new ArrayList<>();
        for (int i = 0; i < copies.length; i++) {
            if (copies[i] != null) {
                continue;
            }
            if (filling[i] != null) {
                copies[i] = SharedMemory.openReadOnly(filling[i].name());
                filling[i].close();
                made.add(filling[i].name());
                filling[i] = null;
            } else if (toOpen[i] != null) {
                try {
                    copies[i] = SharedMemory.openReadOnly(toOpen[i]);
                } catch (java.nio.file.NoSuchFileException e) {
                    need.add(i);
                    continue;
                }
            } else {
                need.add(i);
                continue;
            }
            userShm.add(copies[i]);
        }
        if (!made.isEmpty()) {
            send_out__(new MessageObject(SHM_READY, "names", String.join("/", made)));
        }
        if (!need.isEmpty()) {
            send_out__(new MessageObject(SHM_NEED, "i", need.stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining("/"))));
            return;
        }
        List<ShmRef> refs = new ArrayList<>();
        for (int i = 0; i < shmNames.size(); i++) {
            refs.add(new ShmRef(shmNames.get(i), copies[i], shmMetadata.get(i)));
        }
        startWorker(refs);
    }

    /** Backend: the close phase of the loop: the worker stops, and its end is reported if it was not yet. */
    @Override
    protected void onClose__() throws InterruptedException {
        control.stop = true;
        wakeQueues();
        if (worker != null) {
            worker.join(5_000);
        } else {
            report(); // stopped before the toShm copies arrived: the worker never ran
        }
    }

    /** Sends {@code terminated} once, when the worker has ended. */
    private void report() {
        if (!reported.compareAndSet(false, true)) {
            return;
        }
        Throwable t = workerFailure;
        if (t != null) {
            logger.debug("workerProcess of {} failed: {}", elementName, t.toString(), t);
        }
        try {
            send_out__(new MessageObject("terminated", "error",
                    t == null ? null : jvalkka.multiprocess.Throwables.encode(t)));
        } catch (RuntimeException e) {
            logger.debug("could not report the end of {}: {}", elementName, e.toString()); // the frontend is gone
        }
    }

    @Override
    protected void postRun__() {
        for (int i = userShm.size() - 1; i >= 0; i--) {
            userShm.get(i).close();
        }
        if (shm != null) {
            // through the rings: a worker thread that did not stop in onClose__'s wait may be inside one
            RingQueue.close(shm, (RingQueue) in, (RingQueue) out);
        }
    }

    /** Backend: orderly shutdown: the worker drains its input, then ends. */
    void c__shutdown() {
        control.shutdown = true;
        wakeQueues();
    }

    /** Backend: the worker stops now. */
    void c__stop() {
        control.stop = true;
        wakeQueues();
    }

    private void wakeQueues() {
        in.wakeAll();
        out.wakeAll();
    }

    /** Backend: a placed worker's frame pieces and acknowledgements go to its queues, without reflection; the rest to its handlers. */
    @Override
    protected void routeMainPipe__(MessageObject obj) {
        if (pipeIn != null && obj != null) {
            String c = obj.command();
            if (PipeQueue.FRAME.equals(c)) {
                pipeIn.receive(PipeQueue.bytes(obj.get("b")), Boolean.TRUE.equals(obj.get("last")));
                return;
            } else if (PipeQueue.ACK.equals(c)) {
                pipeOut.acked(((Number) obj.get("n")).longValue());
                return;
            } else if (SHM_PIECE.equals(c)) {
                try {
                    shmPiece(((Number) obj.get("i")).intValue(), (String) obj.get("name"),
                            ((Number) obj.get("size")).longValue(), ((Number) obj.get("at")).longValue(),
                            PipeQueue.bytes(obj.get("b")));
                } catch (java.io.IOException | RuntimeException e) {
                    shmFailed(e);
                }
                return;
            } else if (SHM_OPEN.equals(c)) {
                toOpen[((Number) obj.get("i")).intValue()] = (String) obj.get("name");
                return;
            } else if (SHM_DONE.equals(c)) {
                if (worker == null && !reported.get()) {
                    try {
                        shmDone();
                    } catch (java.io.IOException | RuntimeException e) {
                        shmFailed(e);
                    }
                }
                return;
            }
        }
        super.routeMainPipe__(obj);
    }

    private void shmFailed(Exception e) {
        workerFailure = new IllegalStateException("the worker of " + elementName + " could not map the toShm"
                + " segments " + shmNames + " on its host: " + e, e);
        control.stop = true;
        report();
    }

    // ------------------------------------------------------------------ frontend

    /** Command of a piece of a toShm segment copied to a placed worker that holds the copy on its host. */
    static final String SHM_PIECE = "sgnshm";
    /** Command naming the copy another worker on the same host holds: map it. */
    static final String SHM_OPEN = "sgnshmopen";
    /** Command that ends the copies: the placed worker maps them and starts. */
    static final String SHM_DONE = "sgnshmdone";
    /** A holder's message: its copies (names joined by '/') are complete on its host. */
    static final String SHM_READY = "sgnshmready";
    /** A worker's message: the copies of these segments (indices joined by '/') could not be opened: send them. */
    static final String SHM_NEED = "sgnshmneed";

    /**
     * Frontend of a placed worker: gives it each toShm segment in {@code shm} on its host, read-only,
     * one copy per host ({@code host}: the placement) and segment ({@link HostCopies}): the copy
     * another worker there holds, once that one has it whole (waiting for it at most
     * {@code waitMillis}), or else the bytes, in pieces of {@link PipeQueue#PIECE}, for a copy this
     * worker holds. Then lets the worker start. Sent before any frame (the pipe keeps the order),
     * so the worker never sees a frame without its data.
     */
    void copyShm(List<ShmRef> shm, String host, long waitMillis) {
        if (shm.isEmpty()) {
            return;
        }
        for (int i = 0; i < shm.size(); i++) {
            HostCopies.Copy c = HostCopies.claim(host, shm.get(i).name(), this);
            if (c.holder != this) {
                try {
                    c.ready.get(waitMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
                    sendMessageToBack(new MessageObject(SHM_OPEN, "i", i, "name", c.name));
                    continue;
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    c = HostCopies.replace(host, shm.get(i).name(), this); // its holder ended, or is stuck
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while the toShm copy on " + host + " was made", e);
                }
            }
            sendPieces(i, c.name, shm.get(i).shm());
        }
        sendMessageToBack(new MessageObject(SHM_DONE));
    }

    /** Frontend: the worker could not open the copies of segments {@code need} ({@link #SHM_NEED}): it holds new ones. */
    void resendShm(List<ShmRef> shm, String host, String need) {
        for (String s : need.split("/")) {
            int i = Integer.parseInt(s);
            sendPieces(i, HostCopies.replace(host, shm.get(i).name(), this).name, shm.get(i).shm());
        }
        sendMessageToBack(new MessageObject(SHM_DONE));
    }

    private void sendPieces(int i, String name, SharedMemory s) {
        int size = s.size();
        for (int at = 0; at < size; at += PipeQueue.PIECE) {
            byte[] b = new byte[Math.min(PipeQueue.PIECE, size - at)];
            s.buffer().getBytes(at, b);
            sendMessageToBack(new MessageObject(SHM_PIECE, "i", i, "name", name, "size", size, "at", at,
                    "b", PipeQueue.text(b)));
        }
    }

    void shutdown() {
        sendMessageToBack(new MessageObject("shutdown"));
    }

    void stopWorker() {
        sendMessageToBack(new MessageObject("stop"));
    }
}
