package org.flatminima.engine.curvature;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/** Random probes and row-wise helpers shared by the stochastic estimators (package-private). */
final class Probes {
    private Probes() {
    }

    /**
     * A {@code [k, p]} tensor of independent Rademacher signs (+1 or -1 with probability 1/2 each), row by row,
     * each row from the bits of {@code ceil(p / 64)} calls of {@code rnd.nextLong()}: the same generator state gives
     * the same probes, however they are split into blocks.
     */
    static Tensor rademacher(DType dtype, SplittableRandom rnd, int k, int p) {
        Tensor t = Tensor.zeros(dtype, k, p);
        MemorySegment seg = t.segment();
        for (int r = 0; r < k; r++) {
            long base = (long) r * p;
            long bits = 0;
            for (int i = 0; i < p; i++) {
                if ((i & 63) == 0) {
                    bits = rnd.nextLong();
                }
                dtype.set(seg, base + i, (bits & 1L) == 0 ? 1.0 : -1.0);
                bits >>>= 1;
            }
        }
        return t;
    }

    /** {@code a_i . b_i} for the rows of two {@code [k, p]} tensors, as doubles. */
    static double[] rowDots(Tensor a, Tensor b) {
        return TensorOps.sum(TensorOps.mul(a, b), 1, false).toDoubleArray();
    }

    /**
     * {@code H v_i} for every row of {@code vs} ({@code [n, P]}), {@code block} rows per batched pass; the result
     * {@code [n, P]} is allocated in the caller's scope, the passes' temporaries are freed per block.
     */
    static Tensor applyRows(HessianOperator op, Tensor vs, int block) {
        int n = vs.dim(0);
        Tensor out = Tensor.zeros(vs.dtype(), vs.shape());
        for (int a = 0; a < n; a += block) {
            int b = Math.min(n, a + block);
            Tensor dst = out.slice(0, a, b);
            try (Scope s = Scope.open()) {
                TensorOps.assign(dst, op.applyBatch(vs.slice(0, a, b).contiguous()));
            }
        }
        return out;
    }

    /** A generator for item {@code i} of a family seeded with {@code seed}, independent of the order of use. */
    static SplittableRandom forItem(long seed, long i) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L);
    }

    static void checkBlock(int block) {
        if (block < 1) {
            throw new IllegalArgumentException("block (probes per batched pass) must be >= 1, got " + block);
        }
    }
}
