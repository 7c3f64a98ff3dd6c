package jvalkka.sgn.control;

/**
 * An element whose state {@link HTTPControl} serves and changes: the three
 * {@code HTTPControl*Element} classes implement it, and so may any element that holds a
 * {@link ControlState} of its own.
 */
public interface Controlled {
    /**
     * The element's name: its routes are {@code /get/<name>} and {@code /post/<name>}.
     *
     * @return the element's name: its routes are {@code /get/<name>} and {@code /post/<name>}
     */
    String name();

    /**
     * The element's mailbox with the HTTP side.
     *
     * @return the element's mailbox with the HTTP side
     */
    ControlState controlState();
}
