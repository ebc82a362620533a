package org.flatminima.kernels;

/** Small index arithmetic shared by the kernels: sizes, row-major strides, odometer increments. */
public final class Shapes {
    private Shapes() {
    }

    /** Number of elements of a shape (1 for rank 0). */
    public static long size(int[] shape) {
        long s = 1;
        for (int d : shape) {
            s *= d;
        }
        return s;
    }

    /** Row-major (C-contiguous) strides, in elements. */
    public static long[] contiguousStrides(int[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= shape[d];
        }
        return st;
    }

    /** {@code sum_d idx[d] * strides[d]}. */
    public static long offset(int[] idx, long[] strides) {
        long o = 0;
        for (int d = 0; d < idx.length; d++) {
            o += idx[d] * strides[d];
        }
        return o;
    }

    /** Advances a row-major index tuple by one (an odometer); wraps to all zeros after the last element. */
    public static void increment(int[] idx, int[] shape) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                return;
            }
            idx[d] = 0;
        }
    }
}
