package jvalkka.multiprocess;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.slf4j.LoggerFactory;

import jvalkka.log.LogConfig;

/**
 * Walks the code paths a backend JVM takes at start (restore, pipes, select,
 * dispatch, the codec with the common value types), so that a JVM run with
 * {@code -XX:ArchiveClassesAtExit} archives the classes a backend needs. Run by
 * {@link ClassDataSharing}; not for users.
 */
public final class CdsTrainer {
    private CdsTrainer() {
    }

    static final class Trainee extends MessageProcess {
        private static final long serialVersionUID = 1L;
        private long count;

        Trainee() {
            super("trainer");
        }

        void c__ping(int i, String s, double d, boolean b) {
            count += i;
        }

        void c__whole(MessageObject m) {
            count++;
        }
    }

    public static void main(String[] args) throws Exception {
        LogConfig.setOutput(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())); // walks error paths
        LogConfig.apply(LogConfig.snapshot());
        LoggerFactory.getLogger("trainer").debug("warming up");
        Trainee t = new Trainee();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(LogConfig.snapshot());
            out.writeObject(t);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            in.readObject();
            t = (Trainee) in.readObject();
        }
        Path dir = Files.createTempDirectory("jvalkka-cds");
        Path sock = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            SocketChannel a = SocketChannel.open(StandardProtocolFamily.UNIX);
            a.connect(UnixDomainSocketAddress.of(sock));
            SocketChannel b = server.accept();
            MessagePipe front = new MessagePipe("trainer front");
            MessagePipe back = new MessagePipe("trainer back");
            front.connect(a);
            back.connect(b);
            front.sendRaw(MessagePipe.KIND_READY, new byte[0]);
            back.recvFrame(1000);
            Backend be = new Backend(t, back, back);
            for (int i = 0; i < 200; i++) {
                // plain values only: classes a backend may never use would cost every backend memory
                front.send(new MessageObject("ping", "i", i, "s", "x", "d", 1.5, "b", true));
                front.send(new MessageObject("whole", "x", 1));
                front.send(new MessageObject("nosuch"));
                front.flush();
                Select.safeSelect(List.of(back), List.of(), List.of(), 1.0);
                while (back.poll(0)) {
                    MessageObject m = back.recv();
                    if (m != null) {
                        be.dispatch(m);
                    }
                }
                while (front.poll(0)) {
                    front.recv();
                }
            }
            front.close();
            back.close();
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
}
