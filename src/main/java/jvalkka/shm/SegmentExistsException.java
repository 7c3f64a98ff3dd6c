package jvalkka.shm;

import java.nio.file.FileAlreadyExistsException;

/**
 * A shared memory segment of that name already exists: the Java counterpart of
 * the {@code FileExistsError} that Python's {@code SharedMemory(create=True)}
 * raises. The message says what to do about it.
 */
public final class SegmentExistsException extends FileAlreadyExistsException {
    private static final long serialVersionUID = 1L;

    /** The name of the segment that exists. */
    private final String segmentName;

    /**
     * A segment of that name exists already.
     *
     * @param segmentName the segment's name
     * @param file its file under {@code /dev/shm}
     */
    public SegmentExistsException(String segmentName, String file) {
        super(file, null, "shared memory segment '" + segmentName + "' already exists. Another program may be"
                + " using this name (pick another), or a crashed run left it behind: remove it with"
                + " SharedMemory.open(\"" + segmentName + "\").unlink(), or run scripts/cleanup to remove"
                + " what crashed jvalkka runs left");
        this.segmentName = segmentName;
    }

    /**
     * The segment name that was asked for.
     *
     * @return the segment name that was asked for
     */
    public String segmentName() {
        return segmentName;
    }
}
