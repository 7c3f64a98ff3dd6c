package jvalkka.multiprocess;

import java.nio.file.Files;
import java.nio.file.Path;

import jvalkka.shm.internal.ExitSequence;
import jvalkka.shm.SharedMemory;

/**
 * Starts a backend and creates a segment, then exits without stopping either:
 * the exit sequence must stop the backend, then remove the segment, then end the
 * archive trainer. A probe after each phase's own steps prints what it sees.
 */
public final class ExitOrderProgram {
    static final class Idle extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Idle() {
            super("idle");
        }
    }

    public static void main(String[] args) throws Exception {
        Idle p = new Idle();
        p.start();
        String name = "jvalkka-exit-order-" + ProcessHandle.current().pid();
        SharedMemory shm = SharedMemory.create(name, 4096);
        Path seg = SharedMemory.DIRECTORY.resolve(name);
        ExitSequence.add(ExitSequence.Phase.ARCHIVE_TRAINER, () -> System.out.println("trainer phase"));
        ExitSequence.add(ExitSequence.Phase.REMOVE_SEGMENTS,
                () -> System.out.println("segments phase: segment " + Files.exists(seg)));
        ExitSequence.add(ExitSequence.Phase.STOP_BACKENDS,
                () -> System.out.println("backends phase: backend " + p.isAlive() + ", segment " + Files.exists(seg)));
        System.out.println("backend pid " + p.pid() + ", segment " + Files.exists(seg));
        System.out.flush();
        shm.close(); // unmapped, not removed: removing it is the exit sequence's job
    }
}
