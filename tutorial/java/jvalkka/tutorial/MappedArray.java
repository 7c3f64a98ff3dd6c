package jvalkka.tutorial;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * TEMPORARY stand-in for {@code jvalkka.shm.SharedArray} (being built on the shm
 * branch): a float64 matrix in a {@code /dev/shm/<name>} file mapped with
 * {@code FileChannel.map}, the Java analogue of the tutorial's numpy array over
 * {@code multiprocessing.shared_memory}. When the shm layer is merged, step 7
 * uses {@code SharedArray.create(name, DType.FLOAT64, rows, cols)} /
 * {@code SharedArray.open(...)} instead, whose run record also lets a stale
 * sweep remove segments left by a crashed program; this class has no such record.
 */
final class MappedArray implements AutoCloseable {
    private final Path path;
    private final int rows;
    private final int cols;
    private final DoubleBuffer data;

    private MappedArray(Path path, int rows, int cols, MappedByteBuffer map) {
        this.path = path;
        this.rows = rows;
        this.cols = cols;
        this.data = map.order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }

    /** Creates {@code /dev/shm/<name>} (mode 0600; fails if it exists) holding a zeroed rows x cols array. */
    static MappedArray create(String name, int rows, int cols) {
        Path p = Path.of("/dev/shm", name);
        try {
            Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            return map(p, rows, cols);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create shared memory " + p, e);
        }
    }

    /** Maps the existing {@code /dev/shm/<name>}. */
    static MappedArray open(String name, int rows, int cols) {
        Path p = Path.of("/dev/shm", name);
        try {
            return map(p, rows, cols);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open shared memory " + p, e);
        }
    }

    private static MappedArray map(Path p, int rows, int cols) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // the mapping outlives the channel
            return new MappedArray(p, rows, cols, ch.map(FileChannel.MapMode.READ_WRITE, 0, 8L * rows * cols));
        }
    }

    double get(int i, int j) {
        return data.get(i * cols + j);
    }

    /** Elements {@code [i, from:to]} of a row, like numpy's {@code a[i, from:to]}. */
    double[] row(int i, int from, int to) {
        double[] r = new double[to - from];
        for (int j = from; j < to; j++) {
            r[j - from] = get(i, j);
        }
        return r;
    }

    void fill(double v) {
        for (int k = 0; k < rows * cols; k++) {
            data.put(k, v);
        }
    }

    /** Removes the name; mappings stay valid until closed. Returns whether it was still there. */
    boolean unlink() {
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            return false;
        }
    }

    /** Nothing to release explicitly: the mapping goes with the buffer. Kept for the SharedArray shape. */
    @Override
    public void close() {
    }
}
