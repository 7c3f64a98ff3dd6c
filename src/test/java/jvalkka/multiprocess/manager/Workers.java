package jvalkka.multiprocess.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import jvalkka.multiprocess.MessageObject;
import jvalkka.multiprocess.MessageProcess;

/** Test workers and the leak checks every test of this package ends with. */
final class Workers {
    private Workers() {
    }

    /** Answers pings; can be made to die in each way a worker can. */
    static class Echo extends MessageProcess {
        private boolean crashLoop;

        Echo(String name) {
            super(name);
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }

        /** The next loop iteration throws: an exception escaping the backend loop. */
        void c__crashLoop() {
            crashLoop = true;
        }

        void c__exit(int status) {
            System.exit(status);
        }

        /** Runs out of heap inside a handler: the backend ends (an OutOfMemoryError is not reported and ignored). */
        void c__oom() {
            List<long[]> hog = new ArrayList<>();
            while (true) {
                hog.add(new long[1 << 20]);
            }
        }

        void c__endLoop() {
            loop = false;
        }

        @Override
        protected void readPipes__(double timeout) {
            if (crashLoop) {
                throw new IllegalStateException("boom from the loop");
            }
            super.readPipes__(timeout);
        }
    }

    /** Fails unless every child process of this JVM has ended within {@code seconds}. */
    static void assertNoChildren(double seconds) {
        jvalkka.multiprocess.WarmPool.stopAll(); // the spare a Restarter keeps for the next replacement
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        List<ProcessHandle> left;
        while (!(left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()).isEmpty()) {
            if (System.nanoTime() > deadline) {
                String what = left.stream().map(h -> h.pid() + " " + jvalkka.testing.CommandLines.of(h)).toList()
                        .toString();
                left.forEach(ProcessHandle::destroyForcibly);
                throw new AssertionError("child processes left behind: " + what);
            }
            left.forEach(h -> {
                try {
                    h.onExit().get(100, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    // look again
                }
            });
        }
    }

    /** The /dev/shm files whose name contains {@code tag}. */
    static List<Path> segments(String tag) {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.filter(p -> p.getFileName().toString().contains(tag)).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Stops them all in parallel (request, then wait), ignoring any already gone. */
    static void stopAll(List<? extends MessageProcess> ps) {
        for (MessageProcess p : ps) {
            p.requestStop();
        }
        for (MessageProcess p : ps) {
            p.waitStop();
        }
    }
}
