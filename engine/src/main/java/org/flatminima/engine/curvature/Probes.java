package org.flatminima.engine.curvature;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
        boolean f32 = dtype == DType.F32;
        float[] fs = f32 ? new float[STAGE] : null;
        double[] ds = f32 ? null : new double[STAGE];
        for (int r = 0; r < k; r++) {
            long base = (long) r * p;
            for (int i0 = 0; i0 < p; i0 += STAGE) {
                int len = Math.min(STAGE, p - i0);
                for (int b = 0; b < len; b += 64) { // bit j of a word gives element b + j: -1 when set
                    long bits = rnd.nextLong();
                    int n = Math.min(64, len - b);
                    if (f32) {
                        for (int j = 0; j < n; j++) {
                            fs[b + j] = Float.intBitsToFloat(0x3f800000 | (int) (((bits >>> j) & 1L) << 31));
                        }
                    } else {
                        for (int j = 0; j < n; j++) {
                            ds[b + j] = Double.longBitsToDouble(0x3ff0000000000000L | (((bits >>> j) & 1L) << 63));
                        }
                    }
                }
                if (f32) {
                    MemorySegment.copy(fs, 0, seg, ValueLayout.JAVA_FLOAT, (base + i0) * 4, len);
                } else {
                    MemorySegment.copy(ds, 0, seg, ValueLayout.JAVA_DOUBLE, (base + i0) * 8, len);
                }
            }
        }
        return t;
    }

    /** Elements of a probe made at a time before one bulk copy into the tensor: a multiple of 64. */
    private static final int STAGE = 4096;

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
