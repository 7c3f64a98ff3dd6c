package jvalkka.multiprocess;

/**
 * The wire protocol between a frontend and its backend, declared in one place:
 * the frame header, the frame kinds, and the reserved events that travel as
 * messages. {@link WireCodec.Encoder} writes frames, {@link WireCodec.Decoder} reads them;
 * neither touches a socket. No other class holds these numbers or names.
 *
 * <h2>The frame header</h2>
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+---------------+---------------+
 *  |     0xFF      |     0xFE      |      'J'      |      'V'      |  MAGIC            @ 0
 *  +---------------+---------------+---------------+---------------+
 *  |               payload length L (int32, big-endian)            |  LENGTH_OFFSET    @ 4
 *  +---------------+---------------+---------------+---------------+
 *  |     kind      | header check  |       payload (L bytes)      ...  KIND_OFFSET @ 8, CHECK_OFFSET @ 9
 *  +---------------+---------------+-------------------------------+
 *                                    HEADER_LENGTH = 10
 *
 *  CALL and REPLY payloads start with the call id:
 *  +---------------+---------------+---------------+---------------+
 *  |                  call id (int64, big-endian)                  |  @ HEADER_LENGTH
 *  +                                                               +
 *  |                                                               |
 *  +---------------+---------------+---------------+---------------+
 *  |               message, as a MESSAGE frame carries it         ...
 *  +---------------------------------------------------------------+
 *
 *  The call id's top bit says which pipe carries the REPLY:
 *   id > 0   the internal pipe (an asynchronous call: nobody reads the main pipe for it)
 *   id < 0   the pipe the CALL came on, the main pipe (a synchronous call over TCP: its
 *            caller reads the main pipe for it, so that call and reply share one connection
 *            and the reply carries the call's acknowledgement). When the handler sent on the
 *            internal pipe meanwhile (return_out__, an event), the REPLY goes there instead,
 *            behind what it sent, and a REPLY of that id whose message is MOVED_COMMAND goes
 *            on the main pipe, telling the caller to look there: what a handler sends reaches
 *            the frontend before its call returns, as when every reply took the internal pipe.
 * </pre>
 *
 * <p>The header check is a hash of the length and the kind ({@link #headerCheck}),
 * so that bytes that merely contain the magic are not taken for a frame. Text and
 * JSON never contain the byte {@code FF}, so a magic inside a payload (past a call
 * id) means that its frame was cut short. See {@link Kind} for what each kind
 * carries and when it is allowed.
 *
 * <h2>Reserved events</h2>
 *
 * <p>Besides frames of their own kind, the protocol reserves a few message
 * commands, made and recognised only here: {@link #ERROR} (a handler or the
 * channel failed, sent up the main pipe), {@link #EXITED} (made by the
 * frontend's main pipe when its backend ended unasked), the started event on
 * the internal pipe, and replies to proxy calls. The stop marker is the
 * {@code null} message ({@link Kind#STOP}).
 */
final class WireProtocol {
    private WireProtocol() {
    }

    // ---------------------------------------------------------------- header

    static final int MAGIC = 0xFFFE4A56;
    static final int MAGIC_OFFSET = 0;
    static final int LENGTH_OFFSET = 4;
    static final int KIND_OFFSET = 8;
    static final int CHECK_OFFSET = 9;
    static final int HEADER_LENGTH = 10;
    /** Bytes of the call id that opens a {@link Kind#CALL} or {@link Kind#REPLY} payload. */
    static final int CALL_ID_LENGTH = 8;

    /** Bytes of the one-time token a backend proves itself with (the boot line carries it in hex). */
    static final int TOKEN_BYTES = 16;

    /** The longest payload of a text frame ({@link Kind#EXIT}, {@link Kind#FAIL}). */
    static final int MAX_TEXT_BYTES = 64 * 1024;
    /** Default limit of one encoded message; bulk data belongs in shared memory. */
    static final int DEFAULT_MAX_MESSAGE_BYTES = 16 << 20;

    // kind codes: constants, for switch statements and annotations; the enum below names them
    static final byte MESSAGE = 1;
    static final byte STOP = 2;
    static final byte BOOT = 3;
    static final byte READY = 4;
    static final byte FAIL = 5;
    static final byte EXIT = 6;
    static final byte CALL = 7;
    static final byte REPLY = 8;
    static final byte HELLO = 9;

    /** The kinds of frame, with the code each has in the header's kind byte. */
    enum Kind {
        /** A {@link MessageObject}, encoded by {@link Codec}, at most the pipe's message limit. Any time. */
        MESSAGE(WireProtocol.MESSAGE, false),
        /** The {@code null} stop marker; no payload (L = 0). Any time. */
        STOP(WireProtocol.STOP, false),
        /** The process object (binary), frontend to backend. Handshake only. */
        BOOT(WireProtocol.BOOT, true),
        /** The backend is ready; no payload. Handshake only. */
        READY(WireProtocol.READY, true),
        /** The backend could not start: UTF-8 text. Handshake only. */
        FAIL(WireProtocol.FAIL, true),
        /** The backend's last words, why its loop ended: UTF-8 text of at most {@link WireProtocol#MAX_TEXT_BYTES}. Any time. */
        EXIT(WireProtocol.EXIT, false),
        /** A proxy call: call id, then the message; the backend answers with a {@link #REPLY} of that id. */
        CALL(WireProtocol.CALL, false),
        /** The answer to a {@link #CALL}: call id, then a message holding the value or the error. */
        REPLY(WireProtocol.REPLY, false),
        /**
         * A backend on another host proves itself: the first frame on each TCP
         * connection, backend to frontend, carrying the boot line's one-time token
         * ({@link WireProtocol#TOKEN_BYTES} bytes), then the pipe's number (0 main,
         * 1 internal). Handshake only; see {@code RemoteConnection}.
         */
        HELLO(WireProtocol.HELLO, true);

        private static final Kind[] BY_CODE = new Kind[16];

        static {
            for (Kind k : values()) {
                BY_CODE[k.code] = k;
            }
        }

        final byte code;
        final boolean handshakeOnly;

        Kind(byte code, boolean handshakeOnly) {
            this.code = code;
            this.handshakeOnly = handshakeOnly;
        }

        /** The kind of a code, or null for an unknown code. */
        static Kind of(byte code) {
            return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        }

        /** Whether the payload starts with a call id. */
        boolean hasCallId() {
            return this == CALL || this == REPLY;
        }

        /** Whether the payload is a message encoded by {@link Codec} (after a call id, if any). */
        boolean carriesMessage() {
            return this == MESSAGE || this == CALL || this == REPLY;
        }
    }

    /**
     * The check byte of a frame header: a hash of the length and the kind, so that
     * bytes that merely contain the magic are not taken for a frame.
     */
    static byte headerCheck(int len, byte kind) {
        int h = len * 0x9E3779B1 + kind * 0x7FEB352D;
        h ^= h >>> 15;
        h *= 0x2C1B3C6D;
        return (byte) (h >>> 24);
    }

    /** Writes a frame header at {@code at}: see the diagram above. */
    static void putHeader(byte[] buf, int at, int len, byte kind) {
        buf[at + MAGIC_OFFSET] = (byte) (MAGIC >>> 24);
        buf[at + MAGIC_OFFSET + 1] = (byte) (MAGIC >>> 16);
        buf[at + MAGIC_OFFSET + 2] = (byte) (MAGIC >>> 8);
        buf[at + MAGIC_OFFSET + 3] = (byte) MAGIC;
        buf[at + LENGTH_OFFSET] = (byte) (len >>> 24);
        buf[at + LENGTH_OFFSET + 1] = (byte) (len >>> 16);
        buf[at + LENGTH_OFFSET + 2] = (byte) (len >>> 8);
        buf[at + LENGTH_OFFSET + 3] = (byte) len;
        buf[at + KIND_OFFSET] = kind;
        buf[at + CHECK_OFFSET] = headerCheck(len, kind);
    }

    /** A frame header on its own (for tests that forge frames). */
    static byte[] header(int len, byte kind) {
        byte[] h = new byte[HEADER_LENGTH];
        putHeader(h, 0, len, kind);
        return h;
    }

    /** Writes a call id at {@code at} (big-endian). */
    static void putCallId(byte[] buf, int at, long id) {
        for (int i = 0; i < CALL_ID_LENGTH; i++) {
            buf[at + i] = (byte) (id >>> (56 - 8 * i));
        }
    }

    // ------------------------------------------------------- reserved events

    /** Command of the event a backend sends up its main pipe when a message failed or the channel faulted. */
    static final String ERROR = "error";
    /** Command of the event the frontend's main pipe gives once when its backend ended unasked. */
    static final String EXITED = "exited";
    /** Command of the internal pipe's once-per-backend event: {@code preRun__} returned or threw. */
    static final String STARTED = "__started";
    /** Command of the message inside a {@link Kind#REPLY} frame. */
    static final String REPLY_COMMAND = "__reply";
    /**
     * Command of the message inside a {@link Kind#REPLY} frame on the main pipe that stands for
     * a reply sent on the internal pipe instead (see {@link #answeredOnCallPipe}).
     */
    static final String MOVED_COMMAND = "__moved";
    /**
     * Command of the internal pipe's event from a backend on another host: it set or
     * failed an event of an {@code EventGroup} that crossed from the frontend (there
     * is no shared memory across hosts); see {@link #eventSet}, {@link #eventFailed}.
     */
    static final String EVENT = "__event";
    /**
     * Command of the internal pipe's messages about a {@code ReplicatedArray} that
     * crossed to a backend on another host: from the backend a {@code push} (bytes for
     * the frontend's array) or a {@code pull} (a request for its contents), from the
     * frontend the {@code data} that answers a pull; see {@link RemoteCrossing}.
     */
    static final String REPLICA = "__replica";
    /** Parameter names start with this are the protocol's; a handler never binds them. */
    static final String RESERVED_PREFIX = "__";

    /** Whether {@code m} is an {@link #ERROR} event. */
    static boolean isError(MessageObject m) {
        return m != null && ERROR.equals(m.command());
    }

    /** Whether {@code m} is an {@link #EXITED} event. */
    static boolean isExited(MessageObject m) {
        return m != null && EXITED.equals(m.command());
    }

    /** Whether {@code m} is the stop marker. */
    static boolean isStop(MessageObject m) {
        return m == null;
    }

    /** Whether {@code m} is the internal pipe's started event. */
    static boolean isStarted(MessageObject m) {
        return m != null && STARTED.equals(m.command());
    }

    /** Whether {@code m} came in a {@link Kind#REPLY} frame. */
    static boolean isReply(MessageObject m) {
        return m != null && m.callId() != 0 && REPLY_COMMAND.equals(m.command());
    }

    /**
     * Whether the reply to call {@code id} comes back on the pipe the call came on (the top bit of
     * the id: a synchronous call whose caller reads that pipe), not on the internal pipe.
     */
    static boolean answeredOnCallPipe(long id) {
        return id < 0;
    }

    /** The id of a call answered on the pipe it came on ({@link #answeredOnCallPipe}), for call number {@code n > 0}. */
    static long onCallPipe(long n) {
        return -n;
    }

    /** Whether {@code m} says that the reply of its call was sent on the internal pipe ({@link #MOVED_COMMAND}). */
    static boolean isMoved(MessageObject m) {
        return m != null && m.callId() != 0 && MOVED_COMMAND.equals(m.command());
    }

    /** The message inside a reply frame that stands for a reply sent on the internal pipe. */
    static MessageObject replyMoved() {
        return new MessageObject(MOVED_COMMAND);
    }

    /** The call a proxy call message ({@link Kind#CALL}) or a reply answers, or 0 for none. */
    static long replyId(MessageObject m) {
        return m == null ? 0 : m.callId();
    }

    /** The error a handler failed with: an error event. */
    static MessageObject errorEvent(String command, String parameters, String reason, Throwable t, String trace) {
        return new MessageObject(ERROR, "command", command, "parameters", parameters, "reason", reason,
                "exception", t == null ? null : t.getClass().getName(), "trace", trace);
    }

    /** A fault of the channel itself (no command): an error event. */
    static MessageObject faultEvent(String reason) {
        return errorEvent(null, null, reason, null, null);
    }

    /** The frontend's event for a backend that ended unasked. */
    static MessageObject exitedEvent(String name, long pid, int status, String reason) {
        return new MessageObject(EXITED, "name", name, "pid", pid, "status", status, "reason", reason);
    }

    /** The started event: {@code failure} is the encoded exception of a {@code preRun__} that threw, or null. */
    static MessageObject startedEvent(byte[] failure) {
        return new MessageObject(STARTED, "error", failure);
    }

    /** The encoded exception of a failed {@code preRun__} in a started event, or null when it returned. */
    static byte[] startFailure(MessageObject started) {
        return started.get("error") instanceof byte[] b ? b : null;
    }

    /** Whether {@code m} is an {@link #EVENT}. */
    static boolean isEvent(MessageObject m) {
        return m != null && EVENT.equals(m.command());
    }

    /** Whether {@code m} is a {@link #REPLICA} message. */
    static boolean isReplica(MessageObject m) {
        return m != null && REPLICA.equals(m.command());
    }

    /** A remote backend set event {@code index} of the frontend's group {@code group}. */
    static MessageObject eventSet(String group, int index) {
        return new MessageObject(EVENT, "group", group, "index", index);
    }

    /**
     * A remote backend failed event {@code index} of {@code group}: the handler of a
     * message that carried it in {@code parameter} (null: failed by hand) failed, as
     * {@code report} (encoded by {@code jvalkka.sync.FailureReport}) says.
     */
    static MessageObject eventFailed(String group, int index, String parameter, byte[] report) {
        return new MessageObject(EVENT, "group", group, "index", index, "parameter", parameter, "report", report);
    }

    /** The failure report of an {@link #EVENT}, or null when the event was set. */
    static byte[] eventFailure(MessageObject m) {
        return m.get("report") instanceof byte[] b ? b : null;
    }

    /** The message inside a reply frame that carries a value. */
    static MessageObject replyValue(Object value) {
        return new MessageObject(REPLY_COMMAND, "value", value);
    }

    /** The message inside a reply frame that carries an encoded exception. */
    static MessageObject replyError(byte[] error) {
        return new MessageObject(REPLY_COMMAND, "error", error);
    }

    /** The encoded exception of a failed call's reply, or null when the call returned. */
    static byte[] replyFailure(MessageObject reply) {
        return reply.get("error") instanceof byte[] b ? b : null;
    }

    /** The value a call returned (check {@link #replyFailure} first). */
    static Object replyValue(MessageObject reply) {
        return reply.get("value");
    }
}
