package jvalkka.shm;

import java.util.Locale;

/**
 * Element types of a {@link SharedArray}, named as in numpy. Elements are stored
 * in the machine's native byte order, as numpy does by default, so a Python
 * process can map the same segment with {@code np.ndarray(shape, dtype, buffer)}.
 */
public enum DType {
    /** A double-precision float (8 bytes). */
    FLOAT64("float64", 8, true),
    /** A single-precision float (4 bytes). */
    FLOAT32("float32", 4, true),
    /** A half-precision float (2 bytes). */
    FLOAT16("float16", 2, true),
    /** A signed 64-bit integer (8 bytes). */
    INT64("int64", 8, false),
    /** A signed 32-bit integer (4 bytes). */
    INT32("int32", 4, false),
    /** A signed 16-bit integer (2 bytes). */
    INT16("int16", 2, false),
    /** A signed 8-bit integer (1 byte). */
    INT8("int8", 1, false),
    /** An unsigned 8-bit integer (1 byte). */
    UINT8("uint8", 1, false),
    /** An unsigned 16-bit integer (2 bytes). */
    UINT16("uint16", 2, false);

    private final String numpyName;
    private final int itemSize;
    private final boolean floating;

    DType(String numpyName, int itemSize, boolean floating) {
        this.numpyName = numpyName;
        this.itemSize = itemSize;
        this.floating = floating;
    }

    /**
     * Bytes per element.
     *
     * @return the bytes per element
     */
    public int itemSize() {
        return itemSize;
    }

    /**
     * Whether elements are floating point.
     *
     * @return whether elements are floating point
     */
    public boolean isFloating() {
        return floating;
    }

    /**
     * The numpy name, for example {@code float64}.
     *
     * @return the numpy name, for example {@code float64}
     */
    public String numpyName() {
        return numpyName;
    }

    /**
     * The dtype for a numpy-like name: {@code "float64"}, {@code "float"} (numpy's
     * default float, float64), {@code "double"}, {@code "half"}, {@code "uint8"}, ...
     * Case-insensitive; also accepts the enum constant's name.
     *
     * @throws IllegalArgumentException naming the known dtypes when {@code name} is none of them
     * @param name the name
     * @return the dtype for a numpy-like name: {@code "float64"}, {@code "float"} (numpy's default float, float64), {@code "double"}, {@code "half"}, {@code "uint8"}, 
     */
    public static DType of(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "float": case "double": case "f8": case "d": return FLOAT64;
            case "single": case "f4": case "f": return FLOAT32;
            case "half": case "f2": case "e": return FLOAT16;
            case "int": case "long": case "i8": return INT64;
            case "i4": case "intc": return INT32;
            case "short": case "i2": return INT16;
            case "byte": case "i1": return INT8;
            case "ubyte": case "u1": return UINT8;
            case "ushort": case "u2": return UINT16;
            default:
                for (DType t : values()) {
                    if (t.numpyName.equals(n)) {
                        return t;
                    }
                }
                StringBuilder known = new StringBuilder();
                for (DType t : values()) {
                    known.append(known.length() == 0 ? "" : ", ").append(t.numpyName);
                }
                throw new IllegalArgumentException("unknown dtype '" + name + "'; known: " + known);
        }
    }

    @Override
    public String toString() {
        return numpyName;
    }
}
