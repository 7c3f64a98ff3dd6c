package jvalkka.sync.internal;

/**
 * What a sender tells the {@code SyncIndex}es open on its thread, without the sync
 * package exporting it: {@code SyncIndex} installs its {@link Hooks} when its class
 * initialises, and {@code MessageProcess.sendMessageToBack} calls the static methods
 * here. Before any {@code SyncIndex} exists none is open, so the methods do nothing.
 * Internal: not part of jvalkka's API.
 */
public final class SendNotes {
    /** The sync package's side; see {@code SyncIndex}'s methods of the same names. */
    public interface Hooks {
        /**
         * Whether this thread has open SyncIndexes whose sends are worth noting.
         *
         * @return whether it has
         */
        boolean openOnThisThread();

        /**
         * A message with these int parameters is about to leave for backend {@code peerPid}.
         *
         * @param names the parameter names
         * @param values the int parameter values
         * @param count how many of them are valid
         * @param peerPid the backend's pid
         */
        void noteSending(String[] names, int[] values, int count, long peerPid);

        /**
         * A message with these int parameters was sent, or failed to send.
         *
         * @param values the int parameter values
         * @param count how many of them are valid
         * @param sent whether it went out
         */
        void noteSend(int[] values, int count, boolean sent);
    }

    private static volatile Hooks hooks;

    private SendNotes() {
    }

    /**
     * Installs the sync package's hooks; the first installation stays.
     *
     * @param h the hooks
     */
    public static synchronized void install(Hooks h) {
        if (hooks == null) {
            hooks = h;
        }
    }

    /**
     * See {@link Hooks#openOnThisThread()}; false before any SyncIndex exists.
     *
     * @return whether this thread has open SyncIndexes
     */
    public static boolean openOnThisThread() {
        Hooks h = hooks;
        return h != null && h.openOnThisThread();
    }

    /**
     * See {@link Hooks#noteSending}.
     *
     * @param names the parameter names
     * @param values the int parameter values
     * @param count how many of them are valid
     * @param peerPid the backend's pid
     */
    public static void noteSending(String[] names, int[] values, int count, long peerPid) {
        Hooks h = hooks;
        if (h != null) {
            h.noteSending(names, values, count, peerPid);
        }
    }

    /**
     * See {@link Hooks#noteSend}.
     *
     * @param values the int parameter values
     * @param count how many of them are valid
     * @param sent whether it went out
     */
    public static void noteSend(int[] values, int count, boolean sent) {
        Hooks h = hooks;
        if (h != null) {
            h.noteSend(values, count, sent);
        }
    }
}
