package jvalkka.multiprocess;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The backend half's start, as {@link BackendMain} calls it with the connected pipes
 * (through {@link MessageProcess#runBackend}): attaches a {@link Backend} to the restored
 * process, applies its SIGINT choice, runs its {@code run()} and turns the outcome into
 * the exit status; a loop that ended with an exception sends its last words (the
 * {@code EXIT} frame the frontend's {@code "exited"} event carries) before logging it.
 * Stateless.
 */
final class BackendRunner {
    private BackendRunner() {
    }

    /**
     * Runs {@code p}'s backend on its pipes.
     *
     * @param p the process, restored in this JVM
     * @param main the backend's end of the main pipe
     * @param internal the backend's end of the internal pipe ({@code return_out__})
     * @return the exit status: 0, or 1 when {@code run()} threw
     */
    static int run(MessageProcess p, MessagePipe main, MessagePipe internal) {
        p.allowHandlerTypes(); // before the first message is decoded
        Backend back = new Backend(p, p.logger(), main, internal);
        p.attach(back, List.of(main));
        main.onFault(back.faultReporter());
        if (p.ignoresSigint()) {
            Signals.ignore("INT");
        }
        try {
            p.run();
            p.preRunEnded(null);
            return 0;
        } catch (Throwable t) {
            p.preRunEnded(t); // a run() of its own that failed before it read its pipe
            // last words first: the frontend's "exited" event carries them, and logging may fail after an OOM
            try {
                main.sendRaw(WireProtocol.EXIT, ("the backend loop ended with " + t).getBytes(StandardCharsets.UTF_8));
            } catch (Throwable ignored) {
                // the frontend is gone; nobody to tell
            }
            p.logger().error("the backend loop ended with {}", t.toString(), t);
            return 1;
        }
    }
}
