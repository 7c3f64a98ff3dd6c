package jvalkka.multiprocess;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One warm backend JVM's life outside the pool's books ({@link WarmPool}):
 * starting it as a backend is started (its standard input and error piped to
 * this JVM, its output inherited), waiting for its ready byte, stopping it.
 */
final class WarmJvm {
    private WarmJvm() {
    }

    /**
     * A warm JVM that is ready: the process, and its two connections to this
     * JVM, accepted while it warmed up and proven as every backend's are (the
     * peer of each is the process's pid, of this user, with the one-time token;
     * {@link BackendConnection#accept}). Nothing has been read from them since
     * and nothing is until its boot frame is answered: what a start that takes
     * it does is what a start does after the accept. As the start's
     * {@link BackendListener}, its "boot line" is the take line: the name of the
     * process that took it and the name of its class.
     */
    static final class Connected implements BackendListener {
        final Process process;
        /**
         * The copy of its standard error to ours, started when it got ready (by the
         * refill, not by the start that takes it: a thread's start costs the start
         * milliseconds on a busy machine). It ends by itself when the JVM adopts our
         * standard error, which it does right after its ready byte.
         */
        final StderrPump stderr;
        private SocketChannel[] channels;
        private String label = "";
        private String processClass = "";
        private boolean plain;

        Connected(Process process, SocketChannel[] channels, StderrPump stderr) {
            this.process = process;
            this.channels = channels;
            this.stderr = stderr;
        }

        /**
         * The process that takes this JVM is called {@code label}, its class is
         * {@code processClass}, and {@code plain} when it crosses as field values
         * ({@link ProcessTransfer}; the warm JVM then builds no serialization descriptor).
         */
        Connected takenBy(String label, String processClass, boolean plain) {
            this.label = label;
            this.processClass = processClass;
            this.plain = plain;
            return this;
        }

        /**
         * The take line: the label, URL-encoded (no space in it), a space, the
         * process's class name, and {@code " plain"} when it crosses as field values.
         */
        @Override
        public byte[] bootLine() {
            return (URLEncoder.encode(label, StandardCharsets.UTF_8) + " " + processClass + (plain ? " plain" : "")
                    + "\n").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public synchronized void acceptInto(MessagePipe main, MessagePipe internal, Process p, long deadlineNanos,
                long timeoutMillis) throws IOException {
            SocketChannel[] c = channels;
            channels = null;
            if (c == null) {
                throw new IOException("the warm JVM's connections were closed");
            }
            main.connect(c[0]);
            internal.connect(c[1]);
        }

        /** Closes the connections unless a start took them. */
        @Override
        public synchronized void close() {
            SocketChannel[] c = channels;
            channels = null;
            if (c != null) {
                for (SocketChannel ch : c) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // it is going anyway
                    }
                }
            }
        }

        /** Ends the JVM and closes its connections. */
        void stop() {
            close();
            WarmJvm.stop(process);
        }
    }

    /** What a warm JVM did until it was ready: whether it got there, and what it wrote on stderr before. */
    record Ready(boolean ready, String said) {
    }

    /** Starts {@code cmd} as a backend JVM is started, and records it for the sweep. */
    static Process spawn(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.PIPE).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        RunDir.addChild(p, "warm");
        return p;
    }

    /**
     * Reads {@code p}'s standard error up to its {@link WarmPool#READY_BYTE}
     * (the rest stays for the start's {@code StderrPump}, which reads the same
     * stream); kills it when it is not ready within {@code timeoutSeconds}.
     */
    static Ready awaitReady(Process p, long timeoutSeconds) {
        AtomicBoolean ready = new AtomicBoolean();
        CompletableFuture.runAsync(() -> {
            if (!ready.get()) {
                p.destroyForcibly(); // it never got ready: the read below ends
            }
        }, CompletableFuture.delayedExecutor(timeoutSeconds, TimeUnit.SECONDS));
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        try {
            InputStream err = p.getErrorStream();
            int c;
            while ((c = err.read()) >= 0 && c != WarmPool.READY_BYTE) {
                before.write(c);
            }
            ready.set(c == WarmPool.READY_BYTE);
        } catch (IOException e) {
            // it closed its standard error: as good as dead
        }
        return new Ready(ready.get() && p.isAlive(), before.toString(StandardCharsets.UTF_8).strip());
    }

    /**
     * Removes the names that {@code p} made in the private socket directory
     * ({@code <pid>-...} and {@code .<pid>-...}: its rehearsal's sockets and scratch
     * file, {@link WarmUp}) once it has exited (waiting up to 5 s for that): a warm
     * JVM killed during its rehearsal left them until the next JVM's sweep. Names
     * of a JVM still running are left alone.
     */
    static void removeNamesWhenGone(Process p) {
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String mine = p.pid() + "-";
        try (java.nio.file.DirectoryStream<java.nio.file.Path> ds = java.nio.file.Files.newDirectoryStream(
                RunDir.sockets())) {
            for (java.nio.file.Path f : ds) {
                String n = f.getFileName().toString();
                if (n.startsWith(mine) || n.startsWith("." + mine)) {
                    java.nio.file.Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            // a leftover name in our private directory is harmless: the next sweep removes it
        }
    }

    /** Ends {@code p}: the end of its input halts it; and forgets it in the run record. */
    static void stop(Process p) {
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // it is going anyway
        }
        p.destroyForcibly();
        RunDir.removeChild(p);
    }
}
