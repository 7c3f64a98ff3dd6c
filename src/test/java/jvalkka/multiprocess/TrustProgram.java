package jvalkka.multiprocess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A program for the trust tests, run in a JVM of its own with a private
 * {@code java.io.tmpdir}: {@code start} starts a backend, pings it and stops it,
 * printing {@code pong 1} and {@code stopped}, or {@code start failed: <why>} and
 * exit status 3; {@code socket-mode} does the same and prints, between launch and
 * handshake, each socket file of this JVM with its mode.
 */
public final class TrustProgram {
    private TrustProgram() {
    }

    static class Echo extends MessageProcess {
        Echo() {
            super("echo");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    public static void main(String[] args) throws Exception {
        Echo p = new Echo();
        try {
            if (args[0].equals("socket-mode")) {
                var frontend = MessageProcess.class.getDeclaredMethod("frontend", String.class);
                frontend.setAccessible(true);
                Frontend f = (Frontend) frontend.invoke(p, "start");
                f.launch();
                String pid = Long.toString(ProcessHandle.current().pid());
                try (var files = Files.list(RunDir.sockets())) {
                    for (Path s : files.filter(s -> s.getFileName().toString().replaceFirst("^\\.", "")
                            .startsWith(pid + "-")).toList()) {
                        System.out.println("socket " + s.getFileName() + " "
                                + PosixFilePermissions.toString(Files.getPosixFilePermissions(s)));
                    }
                }
                f.awaitReady();
            } else {
                p.start();
            }
        } catch (RuntimeException e) {
            System.out.println("start failed: " + e.getMessage());
            System.out.flush();
            System.exit(3);
        }
        p.sendMessageToBack(new MessageObject("ping", "i", 1));
        if (!p.getPipe().poll(30)) {
            System.out.println("no answer");
            System.exit(4);
        }
        System.out.println("pong " + p.getPipe().recv().get("i"));
        p.stop();
        System.out.println("stopped " + List.of());
    }
}
