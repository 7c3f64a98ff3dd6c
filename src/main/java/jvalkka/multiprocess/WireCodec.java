package jvalkka.multiprocess;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

import static jvalkka.multiprocess.WireProtocol.CALL_ID_LENGTH;
import static jvalkka.multiprocess.WireProtocol.CHECK_OFFSET;
import static jvalkka.multiprocess.WireProtocol.HEADER_LENGTH;
import static jvalkka.multiprocess.WireProtocol.KIND_OFFSET;
import static jvalkka.multiprocess.WireProtocol.LENGTH_OFFSET;
import static jvalkka.multiprocess.WireProtocol.MAGIC;
import static jvalkka.multiprocess.WireProtocol.MAX_TEXT_BYTES;

/**
 * The wire protocol's codec: frames to bytes ({@link Encoder}) and bytes to frames
 * ({@link Decoder}), by the layout {@link WireProtocol} draws. Pure: neither touches a
 * socket, so the protocol is tested on byte arrays inside one JVM
 * ({@code WireProtocolTest}); {@link MessagePipe} moves the bytes.
 */
final class WireCodec {
    private WireCodec() {
    }

    /** One frame: its kind code, its raw payload (not for messages), or its decoded message. */
    record Frame(byte kind, byte[] payload, MessageObject message) {
    }

    /**
     * Writes frames ({@link WireProtocol}) into a growable byte array, which a
     * transport then writes out: {@link #buf()} from 0 to {@link #size()}. Pure: no
     * socket, no lock (the owner guards it); reused for every message, so encoding
     * allocates nothing once the array has grown to the traffic's size.
     */
    static final class Encoder extends OutputStream implements Codec.Sink {
        private byte[] buf;
        private int size;

        Encoder() {
            this(8192);
        }

        Encoder(int initialCapacity) {
            buf = new byte[initialCapacity];
        }

        /** The bytes written so far are {@code buf()[0 .. size())}. */
        byte[] buf() {
            return buf;
        }

        int size() {
            return size;
        }

        boolean isEmpty() {
            return size == 0;
        }

        void clear() {
            size = 0;
        }

        /**
         * Appends one frame: {@code m} as a {@link WireProtocol#MESSAGE}, or as a
         * {@link WireProtocol#CALL} / {@link WireProtocol#REPLY} of {@code callId}; the
         * stop marker when {@code m} is null.
         *
         * @throws IllegalArgumentException when {@code m} cannot be encoded or its frame's
         *         payload would be over {@code maxPayload} bytes; nothing is appended then
         */
        void append(byte kind, long callId, MessageObject m, int maxPayload) {
            int start = size;
            reserve(WireProtocol.HEADER_LENGTH);
            if (m == null) {
                WireProtocol.putHeader(buf, start, 0, WireProtocol.STOP);
                return;
            }
            if (kind == WireProtocol.CALL || kind == WireProtocol.REPLY) {
                reserve(WireProtocol.CALL_ID_LENGTH);
                WireProtocol.putCallId(buf, start + WireProtocol.HEADER_LENGTH, callId);
            }
            try {
                Codec.encode(m, this);
            } catch (IOException | RuntimeException e) {
                size = start;
                throw new IllegalArgumentException("cannot send " + m + ": " + e.getMessage(), e);
            }
            int len = size - start - WireProtocol.HEADER_LENGTH;
            if (len > maxPayload) {
                size = start;
                throw new IllegalArgumentException("cannot send " + shortForm(m) + ": it encodes to " + len
                        + " bytes, over this pipe's limit of " + maxPayload
                        + " bytes; carry bulk data in SharedMemory/SharedArray and send its name");
            }
            WireProtocol.putHeader(buf, start, len, kind);
        }

        /** Appends a frame of {@code kind} with a raw payload (the handshake, last words). */
        void appendRaw(byte kind, byte[] payload) {
            int start = size;
            reserve(WireProtocol.HEADER_LENGTH);
            write(payload, 0, payload.length);
            WireProtocol.putHeader(buf, start, payload.length, kind);
        }

        /** Drops the first {@code written} bytes (a transport wrote them). */
        void compactFrom(int written) {
            System.arraycopy(buf, written, buf, 0, size - written);
            size -= written;
        }

        private void reserve(int n) {
            ensure(n);
            size += n;
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(size + more, buf.length * 2));
            }
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        private static String shortForm(MessageObject m) {
            String s = String.valueOf(m);
            return s.length() > 120 ? s.substring(0, 120) + "...>" : s;
        }
    }

    /**
     * Reads frames ({@link WireProtocol}) out of the bytes a transport received.
     * Pure: no socket, no lock (the owner reads under its receive lock). The
     * transport reads into {@link #writable()}; {@link #next()} returns the next
     * whole frame, or null until more bytes come.
     *
     * <p>A reader that meets garbage, a header that fails its check, a kind or
     * length not allowed after the handshake, a frame cut short, or a message that
     * does not decode reports the fault once to its fault listener and
     * resynchronises at the next magic: it loses the bad frame and nothing after
     * it, and does not wait for bytes that a bad length claims.
     */
    static final class Decoder {

        static final Consumer<String> IGNORE_FAULTS = new Consumer<>() { // not a lambda: see Select
            @Override
            public void accept(String reason) {
            }
        };

        private static final int IN_SIZE = 64 * 1024;
        /** A receive buffer larger than this (grown to take a burst in) is let go once it is empty. */
        private static final int MAX_KEPT_IN = 4 << 20;

        private final String label;
        private ByteBuffer in = ByteBuffer.allocate(IN_SIZE); // data between position 0 and in.position()
        private int readPos;      // start of the next unread frame within in
        private int scannedTo;    // how far the partial frame at readPos was checked for an embedded magic
        private long garbageRun;  // garbage bytes skipped since the last good frame, not yet reported
        private boolean resyncing; // the bytes being skipped follow a fault that was already reported
        private Consumer<String> faultListener = IGNORE_FAULTS;
        private int maxMessageBytes = WireProtocol.DEFAULT_MAX_MESSAGE_BYTES;

        /** @param label names the channel in fault reports */
        Decoder(String label) {
            this.label = label;
        }

        void onFault(Consumer<String> listener) {
            this.faultListener = listener;
        }

        void maxMessageBytes(int max) {
            this.maxMessageBytes = max;
        }

        /** The buffer to read into: it has room (it grows when full); bytes go at its position. */
        ByteBuffer writable() {
            if (!in.hasRemaining()) {
                ensureRoom(in.capacity() + 1); // grows: a bigger buffer takes a burst in fewer reads
            }
            return in;
        }

        /** Appends bytes as a transport would (for tests and in-memory transports). */
        void feed(byte[] b, int off, int len) {
            while (len > 0) {
                ByteBuffer w = writable();
                int n = Math.min(len, w.remaining());
                w.put(b, off, n);
                off += n;
                len -= n;
            }
        }

        /** Whether at least the start of a frame (4 bytes) is waiting. */
        boolean hasBytes() {
            return in.position() - readPos >= 4;
        }

        /**
         * Whether the unread bytes start as a TLS handshake record (type 22, version
         * 3.x) rather than a frame: a TLS client at a plain endpoint (start handshake only).
         */
        boolean startsWithTlsRecord() {
            return in.position() - readPos >= 3 && in.get(readPos) == 22 && in.get(readPos + 1) == 3;
        }

        /** Whether a whole frame with a sound header starts at the read position. */
        boolean hasWholeFrame() {
            return completeFrameAt(readPos);
        }

        /**
         * The next whole frame as it is, whatever its kind (the start handshake), or
         * null when none is complete. No resynchronisation: the handshake's peer is
         * trusted, and a fault there ends the handshake by timeout.
         */
        Frame nextRaw() {
            int at = readPos;
            if (!completeFrameAt(at)) {
                return null;
            }
            int len = in.getInt(at + LENGTH_OFFSET);
            byte kind = in.get(at + KIND_OFFSET);
            byte[] payload = new byte[len];
            in.get(at + HEADER_LENGTH, payload, 0, len);
            consume(HEADER_LENGTH + len);
            return new Frame(kind, payload, null);
        }

        /** The next frame in the buffer, resynchronising past garbage; {@code null} when none is complete. */
        Frame next() {
            while (true) {
                int avail = in.position() - readPos;
                if (avail < 4) {
                    return null;
                }
                if (in.getInt(readPos) != MAGIC) {
                    skipGarbage();
                    continue;
                }
                if (avail < HEADER_LENGTH) {
                    return null;
                }
                int len = in.getInt(readPos + LENGTH_OFFSET);
                byte kind = in.get(readPos + KIND_OFFSET);
                if (!headerAccepted(len, kind)) {
                    continue;
                }
                int textAt = readPos + HEADER_LENGTH + (kind == WireProtocol.CALL || kind == WireProtocol.REPLY
                        ? CALL_ID_LENGTH : 0); // a call id may hold 0xFF; the text after it never does
                if (avail < HEADER_LENGTH + len) {
                    if (skippedTruncated(textAt, len)) {
                        continue;
                    }
                    ensureRoom(HEADER_LENGTH + len);
                    return null;
                }
                scannedTo = 0;
                Frame f = kind == WireProtocol.STOP ? stopFrame()
                        : kind == WireProtocol.EXIT ? exitFrame(len) : messageFrame(kind, len, textAt);
                if (f != null) {
                    return f;
                }
            }
        }

        /**
         * Whether the header at the read position, which holds a magic, starts a frame; if not,
         * it is skipped (garbage that holds a magic, or a frame refused for its kind or length).
         */
        private boolean headerAccepted(int len, byte kind) {
            if (in.get(readPos + CHECK_OFFSET) != WireProtocol.headerCheck(len, kind)) {
                // garbage that holds a magic: part of a run of garbage, not a frame
                garbageRun += 1;
                consume(1);
                return false;
            }
            if (garbageRun > 0 || resyncing) {
                endGarbageRun();
            }
            String refused = refusal(len, kind);
            if (refused != null) {
                faultListener.accept("a frame on " + label + " " + refused + ": skipped");
                resyncing = true;
                consume(1);
                return false;
            }
            return true;
        }

        /**
         * For a frame not wholly in the buffer yet: whether it was cut short (a magic within its
         * text, which never holds 0xFF), and then skipped up to that magic. Scans each byte once.
         */
        private boolean skippedTruncated(int textAt, int len) {
            int from = Math.max(textAt, scannedTo);
            int end = in.position();
            int cut = magicWithin(from, end);
            if (cut >= 0) {
                faultListener.accept("a truncated frame on " + label + " (" + (cut - readPos - HEADER_LENGTH)
                        + " of " + len + " bytes): skipped");
                consume(cut - readPos);
                scannedTo = 0;
                return true;
            }
            scannedTo = Math.max(textAt, end - 3);
            return false;
        }

        private Frame stopFrame() {
            consume(HEADER_LENGTH);
            return STOP_FRAME;
        }

        /** The backend's last words, whole in the buffer; null when they were cut short (skipped). */
        private Frame exitFrame(int len) {
            int payloadAt = readPos + HEADER_LENGTH;
            int cut = magicWithin(payloadAt, payloadAt + len);
            if (cut >= 0) { // last words that run over the frames after them
                faultListener.accept("a truncated frame on " + label + " (" + (cut - payloadAt)
                        + " of " + len + " bytes): skipped");
                consume(cut - readPos);
                return null;
            }
            byte[] payload = new byte[len];
            in.get(payloadAt, payload, 0, len);
            consume(HEADER_LENGTH + len);
            return new Frame(WireProtocol.EXIT, payload, null);
        }

        /** A message, call or reply, whole in the buffer, decoded; null when it cannot be (skipped). */
        private Frame messageFrame(byte kind, int len, int textAt) {
            int payloadAt = readPos + HEADER_LENGTH;
            MessageObject m;
            int bodyLen = len - (textAt - payloadAt);
            try {
                m = Codec.decode(in.array(), textAt, bodyLen);
                if (textAt != payloadAt) {
                    m = m.withCallId(in.getLong(payloadAt));
                }
            } catch (IOException | RuntimeException e) {
                String preview = new String(in.array(), textAt, Math.min(bodyLen, 80), StandardCharsets.UTF_8);
                faultListener.accept("an undecodable message on " + label + " (" + String.valueOf(e.getMessage())
                        .lines().findFirst().orElse("") + "), " + len + " bytes starting '" + preview + "': skipped");
                // resync after the bad header: a frame that was cut short hides the next one
                resyncing = true;
                consume(1);
                return null;
            }
            consume(HEADER_LENGTH + len);
            return new Frame(kind, null, m);
        }

        private static final Frame STOP_FRAME = new Frame(WireProtocol.STOP, null, null);

        /** Why a header that passed its check cannot start a frame here (after the handshake), or null. */
        private String refusal(int len, byte kind) {
            switch (kind) {
                case WireProtocol.MESSAGE:
                    return len < 0 || len > maxMessageBytes ? "claims " + Integer.toUnsignedString(len)
                            + " bytes, over the limit of " + maxMessageBytes + ": garbage or an oversized message" : null;
                case WireProtocol.CALL:
                case WireProtocol.REPLY:
                    return len < CALL_ID_LENGTH || len > maxMessageBytes ? "claims " + Integer.toUnsignedString(len)
                            + " bytes, not a call id and at most " + maxMessageBytes + ": garbage or an oversized message"
                            : null;
                case WireProtocol.STOP:
                    return len != 0 ? "is a stop marker that claims " + Integer.toUnsignedString(len) + " bytes" : null;
                case WireProtocol.EXIT:
                    return len < 0 || len > MAX_TEXT_BYTES ? "carries last words that claim "
                            + Integer.toUnsignedString(len) + " bytes, over " + MAX_TEXT_BYTES : null;
                case WireProtocol.BOOT:
                case WireProtocol.READY:
                case WireProtocol.FAIL:
                case WireProtocol.HELLO:
                    return "is of kind " + kind + ", which belongs to the start handshake";
                default:
                    return "is of unknown kind " + kind;
            }
        }

        /** The position of the first magic that starts within [from, end), or -1. */
        private int magicWithin(int from, int end) {
            byte[] a = in.array();
            for (int i = from; i + 4 <= end; i++) {
                if (a[i] == (byte) 0xFF && in.getInt(i) == MAGIC) {
                    return i;
                }
            }
            return -1;
        }

        /**
         * Skips bytes up to the next frame magic. One run of garbage is reported once,
         * with its length, when its end is found; bytes skipped to resynchronise after
         * a fault already reported are not reported again.
         */
        private void skipGarbage() {
            int end = in.position();
            int i = readPos + 1;
            byte[] a = in.array();
            while (i + 4 <= end && !(a[i] == (byte) 0xFF && in.getInt(i) == MAGIC)) {
                i++;
            }
            boolean found = i + 4 <= end;
            if (!found) {
                i = Math.max(readPos + 1, end - 3); // keep a possible partial magic
            }
            garbageRun += i - readPos;
            consume(i - readPos);
        }

        private void endGarbageRun() {
            if (garbageRun > 0 && !resyncing) {
                faultListener.accept(garbageRun + " bytes of garbage on " + label + ": skipped");
            }
            garbageRun = 0;
            resyncing = false;
        }

        /** Bytes of the frames read so far (see {@link #consumed()}). */
        private long consumed;

        /** How many bytes the frames read so far took, garbage skipped included: a receiver's measure of what it holds. */
        long consumed() {
            return consumed;
        }

        private void consume(int n) {
            consumed += n;
            readPos += n;
            if (readPos == in.position()) {
                if (in.capacity() > MAX_KEPT_IN) {
                    in = ByteBuffer.allocate(IN_SIZE); // a burst taken in is not kept for ever
                } else {
                    in.clear();
                }
                readPos = 0;
                scannedTo = 0;
            }
        }

        private void ensureRoom(int frameBytes) {
            if (in.capacity() - readPos >= frameBytes) {
                return;
            }
            int used = in.position() - readPos;
            ByteBuffer bigger = in.capacity() >= frameBytes ? in
                    : ByteBuffer.allocate(Math.max(frameBytes, in.capacity() * 2));
            int shift = readPos;
            byte[] src = in.array();
            System.arraycopy(src, readPos, bigger.array(), 0, used);
            bigger.position(used);
            in = bigger;
            readPos = 0;
            if (scannedTo > 0) {
                scannedTo -= shift;
            }
        }

        /** Whether a whole frame with a sound header starts at {@code at}. */
        private boolean completeFrameAt(int at) {
            int avail = in.position() - at;
            if (avail < HEADER_LENGTH || in.getInt(at) != MAGIC) {
                return false;
            }
            int len = in.getInt(at + LENGTH_OFFSET);
            byte kind = in.get(at + KIND_OFFSET);
            return len >= 0 && len <= maxMessageBytes && avail >= HEADER_LENGTH + len
                    && in.get(at + CHECK_OFFSET) == WireProtocol.headerCheck(len, kind);
        }
    }
}
