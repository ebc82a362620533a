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

    /**
     * {@code a_i . b_i} for the rows of two {@code [k, p]} tensors of one dtype, as doubles: each product rounded
     * to the dtype (as {@link TensorOps#mul} would), the products summed in double in eight interleaved partial
     * sums (element j into sum {@code j mod 8}), which are then added in order. One sequential sum would wait on
     * each addition in turn: for a probe of a few hundred thousand parameters that took as long as the
     * Hessian-vector product's own kernels.
     */
    static double[] rowDots(Tensor a, Tensor b) {
        int k = a.dim(0);
        int p = a.dim(1);
        MemorySegment as = a.contiguous().segment();
        MemorySegment bs = b.contiguous().segment();
        boolean f32 = a.dtype() == DType.F32;
        float[] fa = f32 ? new float[STAGE] : null;
        float[] fb = f32 ? new float[STAGE] : null;
        double[] da = new double[STAGE];
        double[] db = new double[STAGE];
        double[] out = new double[k];
        for (int r = 0; r < k; r++) {
            double[] s = new double[8];
            for (int i0 = 0; i0 < p; i0 += STAGE) {
                int len = Math.min(STAGE, p - i0);
                long at = (long) r * p + i0;
                if (f32) {
                    MemorySegment.copy(as, ValueLayout.JAVA_FLOAT, at * 4, fa, 0, len);
                    MemorySegment.copy(bs, ValueLayout.JAVA_FLOAT, at * 4, fb, 0, len);
                    for (int j = 0; j < len; j++) {
                        da[j] = fa[j] * fb[j]; // rounded to float, then widened
                    }
                } else {
                    MemorySegment.copy(as, ValueLayout.JAVA_DOUBLE, at * 8, da, 0, len);
                    MemorySegment.copy(bs, ValueLayout.JAVA_DOUBLE, at * 8, db, 0, len);
                    for (int j = 0; j < len; j++) {
                        da[j] *= db[j];
                    }
                }
                addInterleaved(da, len, s);
            }
            double t = 0;
            for (double v : s) {
                t += v;
            }
            out[r] = t;
        }
        return out;
    }

    /** {@code s[j mod 8] += x[j]} for {@code j < len}, in eight independent chains. */
    private static void addInterleaved(double[] x, int len, double[] s) {
        double s0 = s[0];
        double s1 = s[1];
        double s2 = s[2];
        double s3 = s[3];
        double s4 = s[4];
        double s5 = s[5];
        double s6 = s[6];
        double s7 = s[7];
        int j = 0;
        for (; j + 8 <= len; j += 8) {
            s0 += x[j];
            s1 += x[j + 1];
            s2 += x[j + 2];
            s3 += x[j + 3];
            s4 += x[j + 4];
            s5 += x[j + 5];
            s6 += x[j + 6];
            s7 += x[j + 7];
        }
        double[] t = {s0, s1, s2, s3, s4, s5, s6, s7};
        for (; j < len; j++) {
            t[j & 7] += x[j];
        }
        System.arraycopy(t, 0, s, 0, 8);
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
