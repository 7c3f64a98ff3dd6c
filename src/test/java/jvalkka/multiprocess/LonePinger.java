package jvalkka.multiprocess;

/**
 * A process class with no nest mates, so that a test can define it in a class
 * loader of its own ({@link BackendClassPathTest}).
 */
public final class LonePinger extends MessageProcess {
    private static final long serialVersionUID = 1L;

    public LonePinger() {
        super("lone-pinger");
    }

    void c__ping(int i) {
        send_out__(new MessageObject("pong", "i", i));
    }
}
