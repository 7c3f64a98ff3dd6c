package jvalkka.pool;

/**
 * The outcome of one item: its position in put order, the input, and either the
 * function's value or the reason it failed. Immutable (the input and value are
 * the objects the pool received and decoded, not copies).
 *
 * @param index the item's position: 0 for the first {@code put} of the queue, then 1, 2, ...
 * @param input the item as it was put
 * @param value the function's result ({@code null} when it failed, or when the function returned null)
 * @param failure why the item failed, or {@code null} when it succeeded
 * @param <I> the item type
 * @param <O> the result type
 */
public record Result<I, O>(long index, I input, O value, ItemFailedException failure) {
    /**
     * Whether the function returned normally for this item.
     *
     * @return whether the function returned normally for this item
     */
    public boolean ok() {
        return failure == null;
    }

    /**
     * The value, or the failure thrown.
     *
     * @throws ItemFailedException when the item failed
     * @return the value, or the failure thrown
     */
    public O getOrThrow() {
        if (failure != null) {
            throw failure;
        }
        return value;
    }
}
