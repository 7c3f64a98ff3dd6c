package jvalkka.sync.internal;

/**
 * How an {@code EventGroup} reaches across hosts, where there is no shared
 * memory: in a backend on another host, each group that crossed from the
 * frontend is a local copy whose {@code set} and {@code fail} also go to the
 * frontend through the {@link Link} (a message on the backend's internal pipe);
 * the frontend applies them to its own group through the {@link Receiver} that
 * {@code EventGroup} installs. Internal: not part of jvalkka's API.
 */
public final class RemoteEvents {
    /** The backend's side: where a remote group's sets and failures go. */
    public interface Link {
        /**
         * Event {@code index} of the frontend's group {@code group} was set.
         *
         * @param group the group's name
         * @param index the event
         */
        void set(String group, int index);

        /**
         * Event {@code index} will not be set: a handler failed.
         *
         * @param group the group's name
         * @param index the event
         * @param parameter the message parameter that carried the index, or null (failed by hand)
         * @param report the encoded failure report
         */
        void fail(String group, int index, String parameter, byte[] report);
    }

    /** The frontend's side: {@code EventGroup}'s methods for what a remote backend sent. */
    public interface Receiver {
        /**
         * Sets event {@code index} of {@code group} (an {@code EventGroup}).
         *
         * @param group the group
         * @param index the event
         */
        void set(Object group, int index);

        /**
         * Fails event {@code index} of {@code group} with {@code report}, if it was armed for
         * {@code peerPid} in {@code parameter} (any arming when {@code parameter} is null) and not set.
         *
         * @param group the group
         * @param index the event
         * @param parameter the parameter that carried the index, or null
         * @param peerPid the backend's pid
         * @param report the encoded failure report
         */
        void fail(Object group, int index, String parameter, long peerPid, byte[] report);

        /**
         * Whether a thread sleeps waiting for an event of {@code group}.
         *
         * @param group the group
         * @return whether one does
         */
        boolean hasSleepingWaiter(Object group);
    }

    private static volatile Link link;
    private static volatile Receiver receiver;

    private RemoteEvents() {
    }

    /**
     * Makes this JVM a remote backend: from now on a group that crosses here is a
     * copy whose sets and failures go to {@code l}. Called once, before the process
     * object is restored.
     *
     * @param l the link to the frontend
     */
    public static void connect(Link l) {
        link = l;
    }

    /**
     * The link of a remote backend, or null in a frontend or a local backend.
     *
     * @return the link, or null
     */
    public static Link link() {
        return link;
    }

    /**
     * Installs {@code EventGroup}'s receiver; the first installation stays.
     *
     * @param r the receiver
     */
    public static synchronized void install(Receiver r) {
        if (receiver == null) {
            receiver = r;
        }
    }

    /**
     * The receiver; {@code EventGroup} installs it when its class initialises, so it
     * is there once a group exists.
     *
     * @return the receiver, or null before any group exists
     */
    public static Receiver receiver() {
        return receiver;
    }
}
