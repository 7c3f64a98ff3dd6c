package jvalkka.pool;

/**
 * One item on its way through the pool: its position, the input, and how many
 * workers died while holding it. Owned by one thread at a time (the producer,
 * then the distributor).
 */
final class Task {
    final long index;
    final Object input;
    int crashes;
    String deaths = "";

    Task(long index, Object input) {
        this.index = index;
        this.input = input;
    }
}
