package jvalkka.shm;

import jvalkka.shm.internal.Crossing;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.Arrays;

import org.agrona.UnsafeAccess;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An n-dimensional array of one {@link DType} laid over a {@link SharedMemory}
 * segment, row-major (C order) and in native byte order: the stand-in for the
 * {@code np.ndarray(shape, dtype, buffer=shmem.buf)} of the valkka tutorial.
 *
 * <pre>{@code
 * SharedArray a = SharedArray.create("my-shm-1", DType.FLOAT64, 100, 100); // frontend, owns the name
 * a.fill(1.0);
 * SharedArray b = SharedArray.open("my-shm-1", DType.FLOAT64, 100, 100);   // backend
 * b.set(3.0, 0, 0);  double v = b.getDouble(0, 0);
 * }</pre>
 *
 * <p><b>Indexing.</b> {@code getDouble(i, j, ...)} takes one index per axis;
 * negative indices count from the end, as in numpy. A single {@code long}
 * argument ({@code getDouble(long)}, {@code setDouble(long, double)}) is a flat
 * (row-major) index. Bad indices throw {@link IndexOutOfBoundsException} with
 * numpy's wording. Values are converted like numpy's {@code astype}: floats to
 * integers truncate toward zero and wrap to the type's width.
 *
 * <p><b>Threads.</b> Element access is plain memory access with no ordering:
 * publish changes to another process with an {@code EventGroup} (as the
 * tutorial does) or the buffer's ordered accessors. Element accessors do not
 * allocate (except the varargs forms' index array, which the JIT usually
 * removes; the two-index forms avoid it).
 *
 * <p><b>Closing.</b> The bulk operations ({@link #fill}, {@code copyFrom},
 * {@code copyTo}) may race with {@link #close()} of the array or its segment in
 * another thread: one under way when the close begins completes, and the close
 * waits for it before it unmaps the segment; one that begins later throws
 * {@link IllegalStateException}. Element accessors have no such guard (they
 * stay plain memory accesses) and must not race with {@code close()}.
 *
 * <p><b>Ownership.</b> Arrays from {@link #create} and {@link #open} own their
 * segment view and close it on {@link #close()}; arrays from {@link #wrap} leave
 * the segment to its holder. {@link #unlink()} delegates to the segment.
 * Serializes as a handle: a child JVM re-opens the segment by name.
 */
public final class SharedArray implements AutoCloseable, Serializable {
    private static final long serialVersionUID = 1L;

    private final transient SharedMemory segment;
    private final transient DType dtype;
    private final transient int[] shape;
    private final transient long[] strides; // in elements
    private final transient long size;
    private final transient boolean ownsSegment;
    private final transient UnsafeBuffer buffer;
    private final transient long address;
    private final transient int kind;
    private transient volatile boolean closed;

    private static final int F64 = 0, F32 = 1, F16 = 2, I64 = 3, I32 = 4, I16 = 5, I8 = 6, U8 = 7, U16 = 8;

    private SharedArray(SharedMemory segment, DType dtype, int[] shape, boolean ownsSegment) {
        long n = checkShape(shape, dtype.itemSize());
        long nbytes = n * dtype.itemSize();
        if (nbytes > segment.size()) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " of " + dtype + " needs " + nbytes
                    + " bytes, but shared memory '" + segment.name() + "' has only " + segment.size());
        }
        this.segment = segment;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.size = n;
        this.strides = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= shape[d];
        }
        this.ownsSegment = ownsSegment;
        this.buffer = segment.buffer();
        this.address = segment.address();
        this.kind = dtype.ordinal();
    }

    /**
     * Creates the segment {@code name} sized for {@code shape} of {@code dtype}
     * (zero-filled) and lays the array over it. This JVM owns the name.
     *
     * @param name the segment's name (see {@link SharedMemory#create})
     * @param dtype the element type
     * @param shape the length of each axis, each at least 1 (none: a single element)
     * @return the array; it owns its segment view ({@link #close()} closes it, {@link #unlink()} removes the name)
     * @throws SegmentExistsException if the name exists
     * @throws IllegalArgumentException for a bad name, or a shape with a negative or zero length
     *     or too large for one segment; no segment is left behind
     * @throws IOException if the segment cannot be created or mapped
     */
    public static SharedArray create(String name, DType dtype, int... shape) throws IOException {
        long nbytes = checkShape(shape, dtype.itemSize()) * dtype.itemSize();
        SharedMemory shm = SharedMemory.create(name, Math.max(1, nbytes));
        try {
            return new SharedArray(shm, dtype, shape, true);
        } catch (RuntimeException e) {
            shm.close();
            shm.unlink();
            throw e;
        }
    }

    /**
     * Opens the existing segment {@code name} and lays the array over it; the segment must be large enough.
     *
     * @param name the segment's name
     * @param dtype the element type, as its creator laid it out (not checked: the segment holds no type)
     * @param shape the length of each axis, as its creator laid it out
     * @return the array; it owns its segment view, which {@link #close()} closes
     * @throws IllegalArgumentException when the segment is smaller than {@code shape} of {@code dtype},
     *     or for a bad shape; the view is closed again
     * @throws IOException if no segment of that name exists or it cannot be mapped
     */
    public static SharedArray open(String name, DType dtype, int... shape) throws IOException {
        SharedMemory shm = SharedMemory.open(name);
        try {
            return new SharedArray(shm, dtype, shape, true);
        } catch (RuntimeException e) {
            shm.close();
            throw e;
        }
    }

    /**
     * Lays an array over the start of {@code segment}; the caller keeps ownership of the segment.
     *
     * @param segment an open segment at least as large as {@code shape} of {@code dtype}
     * @param dtype the element type
     * @param shape the length of each axis
     * @return the array; its {@link #close()} leaves {@code segment} open
     * @throws IllegalArgumentException when the segment is too small or the shape is bad
     */
    public static SharedArray wrap(SharedMemory segment, DType dtype, int... shape) {
        return new SharedArray(segment, dtype, shape, false);
    }

    /**
     * The length of each axis.
     *
     * @return a copy of the shape (changing it does not change the array)
     */
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The number of axes.
     *
     * @return the number of axes (0 for a single element laid out without axes)
     */
    public int ndim() {
        return shape.length;
    }

    /**
     * The element type.
     *
     * @return the element type
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * Number of elements.
     *
     * @return the product of the shape's lengths
     */
    public long size() {
        return size;
    }

    /**
     * Bytes used by the elements.
     *
     * @return {@link #size()} times the dtype's item size; the segment may be larger
     */
    public long nbytes() {
        return size * dtype.itemSize();
    }

    /**
     * The segment under the array.
     *
     * @return the segment, owned by this array when it came from {@link #create} or {@link #open}
     */
    public SharedMemory segment() {
        return segment;
    }

    // --- indexing ---

    /**
     * The flat (row-major) index of {@code idx}, bounds-checked.
     *
     * @param idx one index per axis; negative counts from the end
     * @return the flat index, in {@code 0..size()-1}
     * @throws IndexOutOfBoundsException for the wrong number of indices or one out of bounds
     */
    public long flatIndex(int... idx) {
        if (idx.length != shape.length) {
            throw new IndexOutOfBoundsException("array of shape " + shapeString(shape) + " takes " + shape.length
                    + " indices, got " + idx.length);
        }
        long flat = 0;
        for (int d = 0; d < idx.length; d++) {
            flat += axisIndex(idx[d], d) * strides[d];
        }
        return flat;
    }

    private long flat2(int i, int j) {
        if (shape.length != 2) {
            throw new IndexOutOfBoundsException("array of shape " + shapeString(shape) + " takes " + shape.length
                    + " indices, got 2");
        }
        return axisIndex(i, 0) * strides[0] + axisIndex(j, 1);
    }

    private long axisIndex(int i, int axis) {
        int n = shape[axis];
        int k = i < 0 ? i + n : i;
        if (k < 0 || k >= n) {
            throw new IndexOutOfBoundsException("index " + i + " is out of bounds for axis " + axis + " with size "
                    + n);
        }
        return k;
    }

    private long offset(long flat) {
        if (closed || segment.isClosed()) {
            throw new IllegalStateException("SharedArray over '" + segment.name() + "' is closed");
        }
        if (flat < 0 || flat >= size) {
            throw new IndexOutOfBoundsException("flat index " + flat + " is out of bounds for size " + size);
        }
        return flat * dtype.itemSize();
    }

    // --- element access as double ---

    /**
     * The element at {@code idx}, converted to double.
     *
     * @param idx one index per axis; negative counts from the end
     * @return the element (exact but for int64 values beyond 2<sup>53</sup>)
     * @throws IndexOutOfBoundsException for bad indices
     * @throws IllegalStateException after {@link #close()}
     */
    public double getDouble(int... idx) {
        return getDouble(flatIndex(idx));
    }

    /**
     * The element at {@code (i, j)} of a 2-d array, converted to double; no index array is allocated.
     *
     * @param i the index on axis 0; negative counts from the end
     * @param j the index on axis 1; negative counts from the end
     * @return the element
     * @throws IndexOutOfBoundsException when the array is not 2-d or an index is out of bounds
     * @throws IllegalStateException after {@link #close()}
     */
    public double getDouble(int i, int j) {
        return getDouble(flat2(i, j));
    }

    /**
     * The element at flat index {@code flat}, converted to double.
     *
     * @param flat the row-major index, {@code 0..size()-1}
     * @return the element
     * @throws IndexOutOfBoundsException for a flat index out of bounds
     * @throws IllegalStateException after {@link #close()}
     */
    public double getDouble(long flat) {
        return loadDouble((int) offset(flat));
    }

    private double loadDouble(int o) {
        switch (kind) {
            case F64: return buffer.getDouble(o);
            case F32: return buffer.getFloat(o);
            case F16: return Float16.toFloat(buffer.getShort(o));
            case I64: return buffer.getLong(o);
            case I32: return buffer.getInt(o);
            case I16: return buffer.getShort(o);
            case I8: return buffer.getByte(o);
            case U8: return buffer.getByte(o) & 0xff;
            default: return buffer.getShort(o) & 0xffff;
        }
    }

    /**
     * Stores {@code v} at {@code idx}, converted to the dtype (floats to integers truncate and wrap).
     *
     * @param v the value
     * @param idx one index per axis; negative counts from the end
     * @throws IndexOutOfBoundsException for bad indices
     * @throws IllegalStateException after {@link #close()}
     */
    public void set(double v, int... idx) {
        setDouble(flatIndex(idx), v);
    }

    /**
     * Stores {@code v} at {@code (i, j)} of a 2-d array, converted to the dtype; no index array is allocated.
     *
     * @param v the value
     * @param i the index on axis 0; negative counts from the end
     * @param j the index on axis 1; negative counts from the end
     * @throws IndexOutOfBoundsException when the array is not 2-d or an index is out of bounds
     * @throws IllegalStateException after {@link #close()}
     */
    public void set(double v, int i, int j) {
        setDouble(flat2(i, j), v);
    }

    /**
     * Stores {@code v} at flat index {@code flat}, converted to the dtype.
     *
     * @param flat the row-major index, {@code 0..size()-1}
     * @param v the value (to an integer dtype: truncated toward zero, wrapped to its width)
     * @throws IndexOutOfBoundsException for a flat index out of bounds
     * @throws IllegalStateException after {@link #close()}
     */
    public void setDouble(long flat, double v) {
        storeDouble((int) offset(flat), v);
    }

    private void storeDouble(int o, double v) {
        switch (kind) {
            case F64: buffer.putDouble(o, v); break;
            case F32: buffer.putFloat(o, (float) v); break;
            case F16: buffer.putShort(o, Float16.fromDouble(v)); break;
            default: storeLong(o, (long) v); break;
        }
    }

    // --- element access as long (exact for int64) ---

    /**
     * The element at {@code idx}, converted to long (exact for every integer dtype; floats truncate).
     *
     * @param idx one index per axis; negative counts from the end
     * @return the element
     * @throws IndexOutOfBoundsException for bad indices
     * @throws IllegalStateException after {@link #close()}
     */
    public long getLong(int... idx) {
        return getLong(flatIndex(idx));
    }

    /**
     * The element at flat index {@code flat}, converted to long (floats truncate).
     *
     * @param flat the row-major index, {@code 0..size()-1}
     * @return the element
     * @throws IndexOutOfBoundsException for a flat index out of bounds
     * @throws IllegalStateException after {@link #close()}
     */
    public long getLong(long flat) {
        return loadLong((int) offset(flat));
    }

    private long loadLong(int o) {
        switch (kind) {
            case F64: return (long) buffer.getDouble(o);
            case F32: return (long) buffer.getFloat(o);
            case F16: return (long) Float16.toFloat(buffer.getShort(o));
            case I64: return buffer.getLong(o);
            case I32: return buffer.getInt(o);
            case I16: return buffer.getShort(o);
            case I8: return buffer.getByte(o);
            case U8: return buffer.getByte(o) & 0xff;
            default: return buffer.getShort(o) & 0xffff;
        }
    }

    /**
     * Stores {@code v} at {@code idx}, converted to the dtype (integers wrap to its width).
     *
     * @param v the value
     * @param idx one index per axis; negative counts from the end
     * @throws IndexOutOfBoundsException for bad indices
     * @throws IllegalStateException after {@link #close()}
     */
    public void set(long v, int... idx) {
        setLong(flatIndex(idx), v);
    }

    /**
     * Stores {@code v} at flat index {@code flat}, converted to the dtype (integers wrap to its width).
     *
     * @param flat the row-major index, {@code 0..size()-1}
     * @param v the value
     * @throws IndexOutOfBoundsException for a flat index out of bounds
     * @throws IllegalStateException after {@link #close()}
     */
    public void setLong(long flat, long v) {
        storeLongConverted((int) offset(flat), v);
    }

    private void storeLongConverted(int o, long v) {
        switch (kind) {
            case F64: buffer.putDouble(o, v); break;
            case F32: buffer.putFloat(o, v); break;
            case F16: buffer.putShort(o, Float16.fromDouble(v)); break;
            default: storeLong(o, v); break;
        }
    }

    private void storeLong(int o, long v) {
        switch (kind) {
            case I64: buffer.putLong(o, v); break;
            case I32: buffer.putInt(o, (int) v); break;
            case I16: case U16: buffer.putShort(o, (short) v); break;
            default: buffer.putByte(o, (byte) v); break;
        }
    }

    // --- bulk ---

    /**
     * Sets every element to {@code v}, converted to the dtype.
     *
     * @param v the value
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     * @throws UnsupportedOperationException when the segment is a read-only view
     */
    public void fill(double v) {
        offset(0);
        segment.enter();
        try {
            fillEntered(v);
        } finally {
            segment.exit();
        }
    }

    private void fillEntered(double v) {
        if (v == 0.0 && Double.doubleToRawLongBits(v) == 0) {
            buffer.setMemory(0, (int) nbytes(), (byte) 0);
            return;
        }
        int item = dtype.itemSize();
        int end = (int) nbytes();
        switch (kind) {
            case F64: for (int o = 0; o < end; o += 8) { buffer.putDouble(o, v); } break;
            case F32: { float f = (float) v; for (int o = 0; o < end; o += 4) { buffer.putFloat(o, f); } break; }
            case F16: { short h = Float16.fromDouble(v); for (int o = 0; o < end; o += 2) { buffer.putShort(o, h); }
                break; }
            case I8: case U8: buffer.setMemory(0, end, (byte) (long) v); break;
            default: for (int o = 0; o < end; o += item) { storeLong(o, (long) v); } break;
        }
    }

    /**
     * Copies {@code src} (one value per element, row-major) in, converting to the dtype.
     *
     * @param src exactly {@link #size()} values, row-major
     * @throws IllegalArgumentException when {@code src} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     * @throws UnsupportedOperationException when the segment is a read-only view; nothing is copied
     */
    public void copyFrom(double[] src) {
        copyIn(src, src.length, DType.FLOAT64);
    }

    /**
     * Copies every element out into {@code dst}, converted to double.
     *
     * @param dst exactly {@link #size()} places, filled row-major
     * @throws IllegalArgumentException when {@code dst} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     */
    public void copyTo(double[] dst) {
        copyOut(dst, dst.length, DType.FLOAT64);
    }

    /**
     * Copies in; a raw copy for float32, a converting one otherwise.
     *
     * @param src exactly {@link #size()} values, row-major
     * @throws IllegalArgumentException when {@code src} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     * @throws UnsupportedOperationException when the segment is a read-only view; nothing is copied
     */
    public void copyFrom(float[] src) {
        copyIn(src, src.length, DType.FLOAT32);
    }

    /**
     * Copies every element out into {@code dst}; a raw copy for float32, a converting one otherwise.
     *
     * @param dst exactly {@link #size()} places, filled row-major
     * @throws IllegalArgumentException when {@code dst} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     */
    public void copyTo(float[] dst) {
        copyOut(dst, dst.length, DType.FLOAT32);
    }

    /**
     * Copies in; a raw copy for int32, a converting one otherwise.
     *
     * @param src exactly {@link #size()} values, row-major
     * @throws IllegalArgumentException when {@code src} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     * @throws UnsupportedOperationException when the segment is a read-only view; nothing is copied
     */
    public void copyFrom(int[] src) {
        copyIn(src, src.length, DType.INT32);
    }

    /**
     * Copies every element out into {@code dst}; a raw copy for int32, a converting (wrapping) one otherwise.
     *
     * @param dst exactly {@link #size()} places, filled row-major
     * @throws IllegalArgumentException when {@code dst} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     */
    public void copyTo(int[] dst) {
        copyOut(dst, dst.length, DType.INT32);
    }

    /**
     * Copies in; a raw copy for int64, a converting one otherwise.
     *
     * @param src exactly {@link #size()} values, row-major
     * @throws IllegalArgumentException when {@code src} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     * @throws UnsupportedOperationException when the segment is a read-only view; nothing is copied
     */
    public void copyFrom(long[] src) {
        copyIn(src, src.length, DType.INT64);
    }

    /**
     * Copies every element out into {@code dst}; a raw copy for int64, a converting one otherwise.
     *
     * @param dst exactly {@link #size()} places, filled row-major
     * @throws IllegalArgumentException when {@code dst} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     */
    public void copyTo(long[] dst) {
        copyOut(dst, dst.length, DType.INT64);
    }

    /**
     * Copies in; a raw copy for int8 and uint8 (so byte -1 becomes uint8 255), a converting one otherwise.
     *
     * @param src exactly {@link #size()} values, row-major
     * @throws IllegalArgumentException when {@code src} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     * @throws UnsupportedOperationException when the segment is a read-only view; nothing is copied
     */
    public void copyFrom(byte[] src) {
        copyIn(src, src.length, DType.INT8);
    }

    /**
     * Copies every element out into {@code dst}; a raw copy for int8 and uint8, a converting (wrapping) one otherwise.
     *
     * @param dst exactly {@link #size()} places, filled row-major
     * @throws IllegalArgumentException when {@code dst} has another length; nothing is copied
     * @throws IllegalStateException after {@link #close()}, or when a close in another thread began first
     */
    public void copyTo(byte[] dst) {
        copyOut(dst, dst.length, DType.INT8);
    }

    // The one body of the bulk copies. A Java array is seen as an array of the dtype of its
    // layout (double[] float64, float[] float32, long[] int64, int[] int32, byte[] int8): same
    // layout, a raw memory copy; otherwise one element at a time through the double accessors
    // for a floating array and the long ones for an integer array (numpy's astype). No boxing:
    // the array travels as an Object and is cast back to its type per element.

    // Each copy runs entered in the segment (SharedMemory.enter/exit): a close() in another
    // thread waits for it before it unmaps, and one that began first makes the copy throw
    // before it begins. The element loops inside use the unchecked loads and stores (the
    // bounds are the array's, checked once; the segment stays mapped while entered).

    private void copyIn(Object array, int length, DType arrayType) {
        checkLength(length);
        if (segment.isReadOnly()) {
            throw new UnsupportedOperationException("SharedArray over '" + segment.name()
                    + "' is read-only (its segment was opened with SharedMemory.openReadOnly)");
        }
        int item = dtype.itemSize();
        segment.enter();
        try {
            if (sameLayout(arrayType)) {
                UnsafeAccess.UNSAFE.copyMemory(array, arrayBase(arrayType), null, address, nbytes());
            } else if (arrayType.isFloating()) {
                for (int k = 0; k < length; k++) {
                    storeDouble(k * item, arrayDouble(array, arrayType, k));
                }
            } else {
                for (int k = 0; k < length; k++) {
                    storeLongConverted(k * item, arrayLong(array, arrayType, k));
                }
            }
        } finally {
            segment.exit();
        }
    }

    private void copyOut(Object array, int length, DType arrayType) {
        checkLength(length);
        int item = dtype.itemSize();
        segment.enter();
        try {
            if (sameLayout(arrayType)) {
                UnsafeAccess.UNSAFE.copyMemory(null, address, array, arrayBase(arrayType), nbytes());
            } else if (arrayType.isFloating()) {
                for (int k = 0; k < length; k++) {
                    setArrayDouble(array, arrayType, k, loadDouble(k * item));
                }
            } else {
                for (int k = 0; k < length; k++) {
                    setArrayLong(array, arrayType, k, loadLong(k * item));
                }
            }
        } finally {
            segment.exit();
        }
    }

    /** Whether a raw copy converts as numpy would: same layout (and a byte[] is uint8's raw bytes). */
    private boolean sameLayout(DType arrayType) {
        return dtype == arrayType || (arrayType == DType.INT8 && dtype == DType.UINT8);
    }

    private static long arrayBase(DType arrayType) {
        switch (arrayType) {
            case FLOAT64: return UnsafeAccess.UNSAFE.arrayBaseOffset(double[].class);
            case FLOAT32: return UnsafeAccess.UNSAFE.arrayBaseOffset(float[].class);
            case INT64: return UnsafeAccess.UNSAFE.arrayBaseOffset(long[].class);
            case INT32: return UnsafeAccess.UNSAFE.arrayBaseOffset(int[].class);
            case INT8: return UnsafeAccess.UNSAFE.arrayBaseOffset(byte[].class);
            default: throw new AssertionError(arrayType);
        }
    }

    // t is loop-invariant in the callers' loops, so the JIT unswitches these tests out of them

    private static double arrayDouble(Object a, DType t, int k) {
        return t == DType.FLOAT64 ? ((double[]) a)[k] : ((float[]) a)[k];
    }

    private static void setArrayDouble(Object a, DType t, int k, double v) {
        if (t == DType.FLOAT64) {
            ((double[]) a)[k] = v;
        } else {
            ((float[]) a)[k] = (float) v;
        }
    }

    private static long arrayLong(Object a, DType t, int k) {
        return t == DType.INT64 ? ((long[]) a)[k] : t == DType.INT32 ? ((int[]) a)[k] : ((byte[]) a)[k];
    }

    private static void setArrayLong(Object a, DType t, int k, long v) {
        if (t == DType.INT64) {
            ((long[]) a)[k] = v;
        } else if (t == DType.INT32) {
            ((int[]) a)[k] = (int) v;
        } else {
            ((byte[]) a)[k] = (byte) v;
        }
    }

    private void checkLength(int n) {
        offset(0);
        if (n != size) {
            throw new IllegalArgumentException("array of shape " + shapeString(shape) + " has " + size
                    + " elements; a bulk copy needs exactly that many, got " + n);
        }
    }

    // --- lifecycle ---

    /**
     * Unlinks the segment's name (see {@link SharedMemory#unlink()}).
     *
     * @return whether this call removed the name (false when it was gone already or names another segment now)
     */
    public boolean unlink() {
        return segment.unlink();
    }

    /** Detaches the array; closes the segment view too if this array opened it. Idempotent. */
    @Override
    public void close() {
        closed = true;
        if (ownsSegment) {
            segment.close();
        }
    }

    /** A short numpy-like rendering, summarised with {@code ...} past 1000 elements. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("array(");
        if (closed || segment.isClosed()) {
            sb.append("<closed>");
        } else {
            int indent = "array(".length();
            appendAxis(sb, 0, 0, size > 1000, indent);
        }
        return sb.append(", dtype=").append(dtype).append(", shm='").append(segment.name()).append("')")
                .toString();
    }

    private void appendAxis(StringBuilder sb, int axis, long base, boolean summarise, int indent) {
        if (shape.length == 0) {
            appendValue(sb, base);
            return;
        }
        sb.append('[');
        int n = shape[axis];
        for (int i = 0; i < n; i++) {
            if (summarise && n > 6 && i == 3) {
                sb.append(axis == shape.length - 1 ? "..., " : "...,\n" + " ".repeat(indent + axis + 1));
                i = n - 4;
                continue;
            }
            long at = base + i * strides[axis];
            if (axis == shape.length - 1) {
                appendValue(sb, at);
                if (i < n - 1) {
                    sb.append(", ");
                }
            } else {
                appendAxis(sb, axis + 1, at, summarise, indent);
                if (i < n - 1) {
                    sb.append(",\n").append(" ".repeat(indent + axis + 1));
                }
            }
        }
        sb.append(']');
    }

    private void appendValue(StringBuilder sb, long flat) {
        if (dtype.isFloating()) {
            double v = getDouble(flat);
            if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e16) {
                sb.append((long) v).append('.');
            } else if (Double.isNaN(v)) {
                sb.append("nan");
            } else if (Double.isInfinite(v)) {
                sb.append(v > 0 ? "inf" : "-inf");
            } else {
                sb.append(kind == F64 ? Double.toString(v) : Float.toString((float) v));
            }
        } else {
            sb.append(getLong(flat));
        }
    }

    /**
     * The number of elements of {@code shape}, checked: no negative or zero length, and
     * {@code itemSize} bytes each fit one segment ({@link SharedMemory#MAX_SIZE}; the products
     * are taken in {@code long} and checked at every axis, so none overflows).
     *
     * @throws IllegalArgumentException naming the shape otherwise
     */
    static long checkShape(int[] shape, int itemSize) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + shapeString(shape));
            }
            n *= d;
            if (n * itemSize > SharedMemory.MAX_SIZE) {
                throw new IllegalArgumentException("shape " + shapeString(shape) + " of " + itemSize + "-byte items"
                        + " needs at least " + n * itemSize + " bytes, more than one segment holds (at most "
                        + SharedMemory.MAX_SIZE + " bytes)");
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " has no elements;"
                    + " a shared array needs at least one");
        }
        return n;
    }

    static String shapeString(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        String s = Arrays.toString(shape);
        return "(" + s.substring(1, s.length() - 1) + ")";
    }

    // --- serialization: as a handle ---

    /**
     * Serializes the array as a handle (segment, dtype, shape), never its elements.
     *
     * @return the handle that the stream writes instead of this array
     * @throws ObjectStreamException ({@link InvalidObjectException}) when the array is closed
     */
    private Object writeReplace() throws ObjectStreamException {
        if (closed) {
            throw new InvalidObjectException("SharedArray over '" + segment.name() + "' is closed");
        }
        Crossing.note(this);
        return new Handle(segment, dtype, shape, ownsSegment);
    }

    /**
     * Refuses a stream that holds a SharedArray itself: only its handle is ever written.
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    private void readObject(java.io.ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("SharedArray crosses as a Handle");
    }

    /** The serialized form: the segment (itself a handle, so one shared view per stream), dtype, shape. */
    static final class Handle implements Serializable {
        private static final long serialVersionUID = 1L;
        private final SharedMemory segment;
        private final DType dtype;
        private final int[] shape;
        private final boolean ownsSegment;

        Handle(SharedMemory segment, DType dtype, int[] shape, boolean ownsSegment) {
            this.segment = segment;
            this.dtype = dtype;
            this.shape = shape;
            this.ownsSegment = ownsSegment;
        }

        private Object readResolve() throws ObjectStreamException {
            try {
                return new SharedArray(segment, dtype, shape, ownsSegment);
            } catch (RuntimeException e) {
                InvalidObjectException ioe = new InvalidObjectException("cannot re-open SharedArray over '"
                        + segment.name() + "': " + e.getMessage());
                ioe.initCause(e);
                throw ioe;
            }
        }
    }
}
