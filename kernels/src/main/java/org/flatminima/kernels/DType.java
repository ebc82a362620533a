package org.flatminima.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The element types the engine computes in. Storage is always native byte order.
 *
 * <p>{@link #get} and {@link #set} widen to and narrow from {@code double}; they are meant for the scalar
 * oracle, tests and I/O, never for a hot loop.
 */
public enum DType {
    /** IEEE 754 binary32; the default for training. */
    F32(ValueLayout.JAVA_FLOAT, "float32"),
    /** IEEE 754 binary64; used wherever second-order math is checked. */
    F64(ValueLayout.JAVA_DOUBLE, "float64");

    private final ValueLayout layout;
    private final String longName;

    DType(ValueLayout layout, String longName) {
        this.layout = layout;
        this.longName = longName;
    }

    /** Size of one element in bytes (4 or 8). */
    public int byteSize() {
        return (int) layout.byteSize();
    }

    /** The element's memory layout (aligned, native order). */
    public ValueLayout layout() {
        return layout;
    }

    /** "float32" or "float64". */
    public String longName() {
        return longName;
    }

    /** Reads element {@code i} (an element index, not a byte offset), widened to double. */
    public double get(MemorySegment s, long i) {
        return this == F32
                ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i)
                : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    /** Writes element {@code i}, rounding to this type. */
    public void set(MemorySegment s, long i, double v) {
        if (this == F32) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
        } else {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
        }
    }

    /** Machine epsilon of this type (2^-23 or 2^-52). */
    public double epsilon() {
        return this == F32 ? Math.ulp(1.0f) : Math.ulp(1.0);
    }

    /** Parses "f32", "float32", "f64", "float64" (case-insensitive). */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float32", "float" -> F32;
            case "f64", "float64", "double" -> F64;
            default -> throw new IllegalArgumentException(
                    "unknown dtype '" + s + "': use f32 or f64");
        };
    }
}
