package jvalkka.tutorial;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.event.Level;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessagePipe;
import jvalkka.multiprocess.MessageProcess;
import jvalkka.multiprocess.Select;

/**
 * Part III, streaming data: a custom {@link MessageProcess} whose backend listens
 * to an extra channel besides its pipe (a "device", here a thread writing frames
 * into a {@code java.nio} pipe, standing in for a socket or a C++ eventfd) and
 * serves every frame to another process through a shared-memory ring buffer
 * (Agrona's {@code OneToOneRingBuffer} over a {@code /dev/shm} mapping). The
 * pipes carry only control; the data never goes through them.
 *
 * <p>Argument: the number of frames (default 2000).
 */
public final class StepStreaming {
    static final int CAPACITY = 4096; // small, so that the ring wraps many times
    static final int FRAME_TYPE = 1;

    private StepStreaming() {
    }

    /** The server: its backend reads frames from the device channel and writes them into the ring. */
    static final class StreamServer extends MessageProcess {
        private final String ringName;
        private transient OneToOneRingBuffer ring__;
        private transient Pipe.SourceChannel device__;
        private transient ByteBuffer pending__;     // device bytes not yet in the ring
        private transient UnsafeBuffer frame__;
        private transient int served__;
        private transient boolean deviceEnded__;

        StreamServer(String name, String ringName) {
            super(name);
            this.ringName = ringName;
        }

        // Backend methods

        @Override
        protected void preRun__() {
            ring__ = new OneToOneRingBuffer(new UnsafeBuffer(map(ringName)));
            pending__ = ByteBuffer.allocate(64 * 1024).order(ByteOrder.nativeOrder());
            frame__ = new UnsafeBuffer(new byte[ring__.maxMsgLength()]);
            logger.info("preRun__ : serving ring {} ({} bytes)", ringName, ring__.capacity());
        }

        /** Starts the device: a thread producing {@code frames} frames of varying size into a pipe. */
        void c__startStream(int frames) throws IOException {
            Pipe device = Pipe.open();
            device__ = device.source();
            Thread t = new Thread(() -> produce(device.sink(), frames), "device");
            t.setDaemon(true);
            t.start();
            logger.info("c__startStream: device started for {} frames", frames);
        }

        /** Listens to the pipe AND the device; a full ring holds the device back (backpressure, no loss). */
        @Override
        protected void readPipes__(double timeout) {
            MessagePipe pipe = backPipe__();
            boolean ringFull = pending__ != null && pending__.position() > 0 && !drainToRing();
            List<Object> reads = device__ == null || ringFull ? List.of(pipe) : List.of(pipe, device__);
            // while frames wait for room in the ring, poll briefly instead of sleeping the whole timeout
            Select.Ready r = Select.safeSelect(reads, List.of(), List.of(), ringFull ? 0.001 : timeout);
            if (r.reads().contains(pipe)) {
                handleBackPipe__(pipe);
            }
            if (device__ != null && r.reads().contains(device__)) {
                readDevice();
            }
            if (deviceEnded__ && pending__.position() == 0) {
                deviceEnded__ = false;
                logger.info("readPipes__: the device ended; all {} frames are in the ring", served__);
                send_out__(new MessageObject("streamEnded", "frames", served__));
            }
        }

        private void readDevice() {
            try {
                if (device__.read(pending__) < 0) {
                    device__.close();
                    device__ = null;
                    deviceEnded__ = true;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            drainToRing();
        }

        /** Moves every whole frame from {@code pending__} into the ring; false when the ring is full. */
        private boolean drainToRing() {
            pending__.flip();
            try {
                while (pending__.remaining() >= 4) {
                    int len = pending__.getInt(pending__.position());
                    if (pending__.remaining() < 4 + len) {
                        break;
                    }
                    frame__.putBytes(0, pending__, pending__.position() + 4, len);
                    if (!ring__.write(FRAME_TYPE, frame__, 0, len)) {
                        return false; // the consumer is behind: keep the frame, try again soon
                    }
                    pending__.position(pending__.position() + 4 + len);
                    served__++;
                }
                return true;
            } finally {
                pending__.compact();
            }
        }

        // Frontend methods

        void startStream(int frames) {
            sendMessageToBack(new MessageObject("startStream", "frames", frames));
        }
    }

    /** Frame {@code seq}: its number, then {@code seq % 251} repeated; lengths vary so the ring wraps unevenly. */
    static int frameLength(int seq) {
        return 8 + (seq * 37) % 300;
    }

    private static void produce(Pipe.SinkChannel sink, int frames) {
        try (sink) {
            ByteBuffer b = ByteBuffer.allocate(4 + 8 + 300).order(ByteOrder.nativeOrder()); // as UnsafeBuffer reads
            for (int seq = 0; seq < frames; seq++) {
                int len = frameLength(seq);
                b.clear();
                b.putInt(len).putInt(seq).putInt(len);
                for (int k = 8; k < len; k++) {
                    b.put((byte) (seq % 251));
                }
                b.flip();
                while (b.hasRemaining()) {
                    sink.write(b);
                }
            }
        } catch (IOException e) {
            // the backend is gone
        }
    }

    /** Maps {@code /dev/shm/<name>} (a ring of CAPACITY bytes plus Agrona's trailer). */
    static MappedByteBuffer map(String name) {
        try (FileChannel ch = FileChannel.open(Path.of("/dev/shm", name), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, CAPACITY + RingBufferDescriptor.TRAILER_LENGTH);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The consumer's tally. */
    static final class Tally {
        int frames;
        int zeroReadsNotEmpty;
        String error;
    }

    public static void main(String[] args) throws Exception {
        int frames = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        MessageProcess.formatLogger(StreamServer.class, Level.DEBUG);
        String ringName = "jvalkka-ring-" + ProcessHandle.current().pid();
        Path segment = Path.of("/dev/shm", ringName);
        Files.createFile(segment, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        StreamServer server = new StreamServer("server", ringName);
        try {
            Files.write(segment, new byte[CAPACITY + RingBufferDescriptor.TRAILER_LENGTH]); // size it before mapping
            OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(map(ringName)));
            server.start();
            server.startStream(frames);
            Tally tally = new Tally();
            BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (tally.frames < frames && tally.error == null) {
                int n = ring.read((type, buffer, index, length) -> {
                    int seq = buffer.getInt(index);
                    if (seq != tally.frames || length != frameLength(seq) || buffer.getInt(index + 4) != length
                            || (length > 8 && buffer.getByte(index + length - 1) != (byte) (seq % 251))) {
                        tally.error = "frame " + tally.frames + " arrived as seq " + seq + ", " + length + " bytes";
                    }
                    tally.frames++;
                }, 8);
                if (n > 0) {
                    idle.reset();
                    continue;
                }
                if (ring.consumerPosition() != ring.producerPosition()) {
                    // 0 but not empty: read() consumed only the padding record at the wrap point, or the
                    // producer is still writing the next record; either way, read on instead of idling
                    tally.zeroReadsNotEmpty++;
                    Thread.onSpinWait();
                    continue;
                }
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    tally.error = "the server is gone or too slow after " + tally.frames + " frames";
                    break;
                }
                idle.idle();
            }
            if (tally.error != null) {
                System.out.println("consumer: ERROR " + tally.error);
                return;
            }
            MessageObject ended = server.getPipe().recv();
            System.out.println("consumer: " + tally.frames + " frames in order, " +  tally.zeroReadsNotEmpty
                    + " reads returned 0 on a ring that was not empty; server says " + ended);
        } finally {
            server.stop();
            Files.deleteIfExists(segment);
        }
    }
}
