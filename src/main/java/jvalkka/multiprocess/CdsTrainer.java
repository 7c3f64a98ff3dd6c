package jvalkka.multiprocess;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import jvalkka.log.LogConfig;

/**
 * A backend's start and first messages for the archive's training: the training
 * JVM (run with {@code -XX:ArchiveClassesAtExit}, or in the AOT cache's record mode)
 * runs {@link BackendMain#serve} as a backend JVM does, and only that, while its parent,
 * {@link CdsTraining} in the frontend's JVM, plays the frontend with a frontend's own
 * {@link BackendConnection} (the accept with its peer and token checks, the boot
 * frame), then a few messages and the stop ({@link #playTrainee}). Both ways of carrying
 * the process object are walked. A warm JVM's warm-up plays both sides in one JVM
 * ({@link #rehearseStart}). Not for users.
 */
final class CdsTrainer {
    private CdsTrainer() {
    }

    /** Plain: travels as field values. */
    static final class Trainee extends MessageProcess {
        private static final long serialVersionUID = 1L;
        private long count;

        Trainee() {
            super("trainer");
        }

        void c__ping(int i, String s, double d, boolean b) {
            count += i;
            send_out__(new MessageObject("pong", "i", i));
        }

        void c__whole(MessageObject m) {
            count++;
        }
    }

    /** Not plain (a list): travels by Java serialization. */
    static final class SerializedTrainee extends MessageProcess {
        private static final long serialVersionUID = 1L;
        private final ArrayList<Integer> seen = new ArrayList<>(List.of(1));

        SerializedTrainee() {
            super("trainer-serialized");
        }

        void c__ping(int i, String s, double d, boolean b) {
            seen.add(i);
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    /**
     * The class-data-sharing training run in a child JVM: plays the backend only, so that the archive holds
     * what a backend loads and nothing of the frontend's side (every class an AOT cache holds is loaded at each
     * backend's start). Its parent ({@link CdsTraining}) plays the frontend of each start
     * ({@link #playTrainee}). Not for direct use.
     *
     * @param args the two starts' boot lines' parts (socket, token, the parent's pid; {@link #BOOTS} starts),
     *     then the process classes to load as a backend's restore does (never initialised)
     * @throws Exception whatever the training run throws
     */
    public static void main(String[] args) throws Exception {
        LogConfig.setOutput(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())); // walks error paths
        for (int i = 0; i < BOOTS; i++) {
            String[] boot = {args[3 * i], args[3 * i + 1], args[3 * i + 2]};
            if (BackendMain.serve("trainer", boot, false) != 0) {
                System.exit(1);
            }
        }
        // the process classes frontends started: loaded and reflected on as a backend's restore does, never
        // initialised (their code does not run here)
        for (int i = 3 * BOOTS; i < args.length; i++) {
            WarmUp.prefetch(args[i], false);
            WarmUp.prefetch(args[i], true);
        }
        // what serve() does not run here: the parent watch (it would end this JVM with its standard input)
        Class.forName(BackendMain.class.getName() + "$ParentWatch");
        // nor its adoption of the parent's stderr, which reads this when that is a regular file (a log)
        Files.readAllLines(Path.of("/proc/self/fdinfo/2"));
    }

    /** How many starts a training run plays: both ways of carrying the process object. */
    static final int BOOTS = 2;

    /** The processes of a training run's starts, in order. */
    static MessageProcess[] trainees() {
        return new MessageProcess[] {new Trainee(), new SerializedTrainee()};
    }

    /** The rounds of messages of each start of {@link #trainees}. */
    static final int[] ROUNDS = {200, 1};

    /**
     * The prefix of the scratch directory where the trainings of earlier versions had their listeners (now in the
     * run directory, as any start's); the frontend's pid and a random part follow.
     */
    static final String SCRATCH_PREFIX = "jvalkka-cds-";

    /**
     * Removes the scratch directories that trainings of earlier versions left in {@code tmp}
     * when they were ended before they could (the frontend that played a training's starts
     * made it; a JVM killed cannot remove it): those
     * named for a pid that no longer runs, that are this user's directories and not
     * links, holding only the trainer's socket names. Anything else is left alone.
     */
    static void sweepDeadTrainers(Path tmp) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp, SCRATCH_PREFIX + "*")) {
            Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            for (Path d : ds) {
                String rest = d.getFileName().toString().substring(SCRATCH_PREFIX.length());
                int dash = rest.indexOf('-');
                String pid = dash > 0 ? rest.substring(0, dash) : "";
                if (!pid.matches("[0-9]{1,10}") || ProcessHandle.of(Long.parseLong(pid)).isPresent()
                        || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)
                        || !me.equals(Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                    continue;
                }
                for (String sock : List.of("s", "s0", "s1")) { // s: the trainers of earlier versions
                    PeerCheck.deleteNames(d.resolve(sock));
                }
                Files.deleteIfExists(d); // fails, and is left, if it holds anything else
            }
        } catch (IOException | RuntimeException e) {
            // a scratch directory left over costs a few bytes; the next trainer tries again
        }
    }

    /**
     * A backend's whole start and {@code rounds} messages, in this JVM: listens
     * at {@code sock} as a frontend does, runs {@link BackendMain#serve} on a
     * thread, boots {@code process}, exchanges pings (and, with
     * {@code unknownCommand}, a command no handler takes), then stops it. The
     * class-data trainer and a warm JVM's warm-up ({@link WarmUp}) both run it,
     * so that what they load is what a real start loads.
     *
     * @param requireStop fail when the backend thread has not ended 10 s after the stop
     */
    static void rehearseStart(String who, Path sock, MessageProcess process, int rounds, boolean unknownCommand,
            boolean requireStop) throws IOException, InterruptedException {
        byte[] token = new byte[16];
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            PeerCheck.bindListener(server, sock); // as Frontend does
            String[] boot = bootLine(sock, token);
            Thread backend = new Thread(() -> BackendMain.serve(who, boot, false), "jvalkka-" + who + "-backend");
            backend.setDaemon(true);
            backend.start();
            MessagePipe[] pipes = playFrontend(who, server, token, process, rounds, unknownCommand);
            try {
                backend.join(10_000);
                if (requireStop && backend.isAlive()) {
                    throw new IOException("the " + who + "'s backend did not stop");
                }
            } finally {
                close(pipes);
            }
        } finally {
            PeerCheck.deleteNames(sock);
        }
    }

    /** The boot line's parts for a backend that connects to {@code sock} with {@code token}. */
    static String[] bootLine(Path sock, byte[] token) {
        return new String[] {sock.toString(), HexFormat.of().formatHex(token),
            Long.toString(ProcessHandle.current().pid())};
    }

    /**
     * The frontend's side of a start on {@code server}, a listener its backend, a thread of this JVM (so no
     * pid to check), proves itself to with {@code token}: takes its two connections, then
     * {@link #playBooted}. Returns the main and internal pipes, for the caller to close once the backend has
     * ended (closed on a failure).
     */
    static MessagePipe[] playFrontend(String who, ServerSocketChannel server, byte[] token, MessageProcess process,
            int rounds, boolean unknownCommand) throws IOException {
        SocketChannel[] channels = new SocketChannel[2];
        for (int k = 0; k < 2; k++) {
            SocketChannel c = server.accept();
            ByteBuffer hello = ByteBuffer.allocate(17);
            while (hello.hasRemaining()) {
                if (c.read(hello) < 0) {
                    throw new IOException("the " + who + "'s backend hung up");
                }
            }
            if (!java.util.Arrays.equals(hello.array(), 0, 16, token, 0, 16) || hello.get(16) < 0 || hello.get(16) > 1
                    || channels[hello.get(16)] != null) {
                c.close();
                throw new IOException("the " + who + "'s listener was reached by something else than its backend");
            }
            channels[hello.get(16)] = c;
        }
        MessagePipe[] pipes = {new MessagePipe(who + " main pipe"), new MessagePipe(who + " internal pipe")};
        pipes[0].connect(channels[0]);
        pipes[1].connect(channels[1]);
        try {
            pipes[0].sendRaw(WireProtocol.BOOT, BackendConnection.bootPayload(ProcessTransfer.encode(process)));
            WireCodec.Frame ready = pipes[0].recvFrame(30_000);
            if (ready == null || ready.kind() != WireProtocol.READY) {
                throw new IOException("the " + who + "'s backend did not start");
            }
            playBooted(who, pipes[0], rounds, unknownCommand);
            return pipes;
        } catch (IOException | RuntimeException e) {
            close(pipes);
            throw e;
        }
    }

    /** How long a training JVM may take to connect and be ready, for each of its starts. */
    static final long TRAINEE_START_MILLIS = 60_000;

    /**
     * The frontend's side of a training JVM's start, {@code trainer} being that JVM, on {@code connection}
     * (whose boot line it was given): a frontend's own accept ({@link BackendConnection#acceptInto}: each
     * connection's peer must be the trainer, then its token) and boot ({@link BackendConnection#boot}), then
     * {@link #playBooted}. Returns the main and internal pipes, for the caller to close once the trainer has
     * ended (closed on a failure).
     *
     * @throws BackendConnection.Failed when the trainer exits, is not ready in time or something else connects
     */
    static MessagePipe[] playTrainee(BackendListener connection, Process trainer, MessageProcess process, int rounds,
            boolean unknownCommand) throws IOException {
        MessagePipe[] pipes = {new MessagePipe("trainer main pipe"), new MessagePipe("trainer internal pipe")};
        long deadline = System.nanoTime() + TRAINEE_START_MILLIS * 1_000_000;
        try {
            connection.acceptInto(pipes[0], pipes[1], trainer, deadline, TRAINEE_START_MILLIS);
            BackendConnection.boot(pipes[0], ProcessTransfer.encode(process), trainer, deadline,
                    TRAINEE_START_MILLIS);
            playBooted("trainer", pipes[0], rounds, unknownCommand);
            return pipes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close(pipes);
            throw new IOException("interrupted while the trainer started", e);
        } catch (IOException | RuntimeException e) {
            close(pipes);
            throw e;
        } finally {
            connection.close();
        }
    }

    /**
     * A booted backend's first messages: {@code rounds} pings (each after a whole message, and, with
     * {@code unknownCommand}, a command no handler takes), each answered, then the stop.
     */
    private static void playBooted(String who, MessagePipe main, int rounds, boolean unknownCommand)
            throws IOException {
        for (int i = 0; i < rounds; i++) {
            // plain values only: classes a backend may never use would cost every backend memory
            main.send(new MessageObject("whole", "x", 1));
            if (unknownCommand) {
                main.send(new MessageObject("nosuch"));
            }
            main.send(new MessageObject("ping", "i", i, "s", "x", "d", 1.5, "b", true));
            MessageObject m;
            do {
                if (!main.poll(10)) {
                    throw new IOException("the " + who + "'s backend does not answer");
                }
                m = main.recv();
            } while (m == null || !m.command().equals("pong"));
        }
        main.send(null);
        main.flush();
    }

    /** Closes {@code pipes}. */
    static void close(MessagePipe[] pipes) {
        for (MessagePipe p : pipes) {
            p.close();
        }
    }
}
