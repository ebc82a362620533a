package org.flatminima.kernels.vector;

/**
 * A strided iteration space with its dimensions simplified: size-1 dimensions dropped and neighbours merged
 * wherever every operand is contiguous across them, so that the innermost loop is as long as possible.
 * Strides are in elements. The result has rank at least 1; the output of the iteration is contiguous.
 */
final class Strided {
    /** Collapsed sizes, rank at least 1. */
    final int[] shape;
    /** Collapsed strides, one array per operand, each as long as {@link #shape}. */
    final long[][] strides;

    private Strided(int[] shape, long[][] strides) {
        this.shape = shape;
        this.strides = strides;
    }

    /** Collapses {@code shape} with the strides of each operand. */
    static Strided of(int[] shape, long[]... operandStrides) {
        int ops = operandStrides.length;
        int r = shape.length;
        int[] outShape = new int[Math.max(r, 1)];
        long[][] outStrides = new long[ops][Math.max(r, 1)];
        int rank = 0;
        // walk from the innermost dimension outwards, writing the collapsed dims in reverse order
        for (int d = r - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            if (rank > 0) {
                boolean merge = true;
                for (int o = 0; o < ops; o++) {
                    if (operandStrides[o][d] != outStrides[o][rank - 1] * outShape[rank - 1]) {
                        merge = false;
                        break;
                    }
                }
                if (merge) {
                    outShape[rank - 1] *= shape[d];
                    continue;
                }
            }
            outShape[rank] = shape[d];
            for (int o = 0; o < ops; o++) {
                outStrides[o][rank] = operandStrides[o][d];
            }
            rank++;
        }
        if (rank == 0) {
            return new Strided(new int[] {1}, new long[ops][1]);
        }
        int[] s = new int[rank];
        long[][] st = new long[ops][rank];
        for (int i = 0; i < rank; i++) {
            s[i] = outShape[rank - 1 - i];
            for (int o = 0; o < ops; o++) {
                st[o][i] = outStrides[o][rank - 1 - i];
            }
        }
        return new Strided(s, st);
    }

    /** Length of the innermost loop. */
    int inner() {
        return shape[shape.length - 1];
    }

    /** Innermost stride of operand {@code o}. */
    long innerStride(int o) {
        return strides[o][shape.length - 1];
    }

    /** Whether operand {@code o} has stride 0 along every dimension but the innermost (all its rows are one). */
    boolean outerStridesZero(int o) {
        for (int d = 0; d < shape.length - 1; d++) {
            if (strides[o][d] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Number of innermost rows (the product of all but the last size). */
    long rows() {
        long n = 1;
        for (int d = 0; d < shape.length - 1; d++) {
            n *= shape[d];
        }
        return n;
    }

    /**
     * Moves {@code offsets} (one per operand) to the start of the next innermost row, with the odometer
     * {@code idx} (length rank, all zeros at the start).
     */
    void next(int[] idx, long[] offsets) {
        for (int d = shape.length - 2; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                for (int o = 0; o < offsets.length; o++) {
                    offsets[o] += strides[o][d];
                }
                return;
            }
            idx[d] = 0;
            for (int o = 0; o < offsets.length; o++) {
                offsets[o] -= strides[o][d] * (shape[d] - 1);
            }
        }
    }
}
