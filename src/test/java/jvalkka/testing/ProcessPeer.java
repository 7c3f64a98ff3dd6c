package jvalkka.testing;

import jvalkka.sync.internal.Peer;

/** A {@link Peer} backed by a child process the test started. */
public final class ProcessPeer implements Peer {
    private final Process process;

    public ProcessPeer(Process process) {
        this.process = process;
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public String deathReport() {
        return "test child (pid " + process.pid() + ") exited with status "
                + (process.isAlive() ? "?" : Integer.toString(process.exitValue()));
    }

    @Override
    public void onDeath(Runnable action) {
        process.onExit().thenRun(action);
    }
}
