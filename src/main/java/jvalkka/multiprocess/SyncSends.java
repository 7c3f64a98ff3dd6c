package jvalkka.multiprocess;

import java.util.Map;

import jvalkka.sync.internal.SendNotes;

/**
 * A frontend's {@link MessageProcess#sendMessageToBack} as a {@code SyncIndex} sees it: when a
 * {@code SyncIndex} block is open on the sending thread, the message's int parameters (its
 * candidate indices) are noted before the send and the send's outcome after it, so that a
 * {@code SyncIndex} waiting for an index that never left does not wait for ever, and the
 * backend can fail its event if the handler fails. Without an open block, a send is just
 * {@link Frontend#send}. Stateless.
 */
final class SyncSends {
    private SyncSends() {
    }

    /**
     * Sends {@code message} through {@code f}, noting it for an open {@code SyncIndex}.
     *
     * @param f the frontend half
     * @param message the message
     */
    static void send(Frontend f, MessageObject message) {
        if (!SendNotes.openOnThisThread()) {
            f.send(message);
            return;
        }
        // a SyncIndex waiting for an index that never left would wait for ever: tell it;
        // and arm its event, so that the backend can fail it if the handler fails
        int size = message == null ? 0 : message.parameters().size();
        String[] names = new String[size];
        int[] values = new int[size];
        int n = intParameters(message, names, values);
        SendNotes.noteSending(names, values, n, f.pid());
        try {
            f.send(message);
        } catch (RuntimeException e) {
            SendNotes.noteSend(values, n, false);
            throw e;
        }
        SendNotes.noteSend(values, n, true);
    }

    /** Fills {@code names} and {@code values} with the message's int parameters; returns how many. */
    static int intParameters(MessageObject message, String[] names, int[] values) {
        if (message == null) {
            return 0;
        }
        int n = 0;
        for (Map.Entry<String, Object> e : message.parameters().entrySet()) {
            if (e.getValue() instanceof Integer i && n < values.length) {
                names[n] = e.getKey();
                values[n++] = i;
            }
        }
        return n;
    }
}
