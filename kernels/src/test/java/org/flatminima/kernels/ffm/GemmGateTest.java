package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.CheckedBackend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GemmChecks;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.vector.VectorBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#gemmGate}, a product gated by a matrix of C's shape ({@code g > 0 ? c : +0}, a ReLU's backward gate):
 * on every backend and dtype, to the bit the same backend's {@link Backend#gemm} followed by that gate computed here,
 * at beta 0 (C filled with NaN before: not read) and beta 1; gates positive, negative, +0, -0 and NaN; C's rows
 * packed and padded (the padding left as it was), G's rows as far apart as C's and, on the native backend, farther
 * (not the packed GEMM's route); shapes the native backend sends to the packed GEMM (which gates in its last store:
 * {@code fm_packed_gemm_gate_f32} and {@code _f64}), to its other kernels and to OpenBLAS; one to three threads
 * (bands of rows and of columns, each band its part of G).
 */
class GemmGateTest {

    /** W2's input-gradient products (the one with ten rows of depth too) besides {@link GemmOntoRowTest#SHAPES}. */
    static final int[][] LARGE = {{1000, 512, 512, 0, 0}, {1000, 512, 10, 0, 0}};

    @Test
    void everyBackendGivesTheBitsOfItsGemmThenTheGate() throws Exception {
        check(new ScalarBackend(), GemmOntoRowTest.SHAPES, 1);
        check(VectorBackend.create(), GemmOntoRowTest.SHAPES, 2);
        check(CheckedBackend.wrap(VectorBackend.create()), GemmOntoRowTest.SHAPES, 1);
    }

    @Test
    void theNativeBackendGivesTheBitsOfItsGemmThenTheGate() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        CKernelBackend cb = new CKernelBackend();
        int before = cb.threads();
        try {
            for (int threads = 1; threads <= 3; threads++) {
                cb.setThreads(threads);
                check(cb, GemmOntoRowTest.SHAPES, threads);
                check(CheckedBackend.wrap(cb), LARGE, threads);
            }
        } finally {
            cb.setThreads(before);
        }
    }

    @Test
    void thePackedGemmsGateFormIsItsProductThenTheGate() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.avx2Kernels(), "this CPU has no AVX2 and FMA");
        for (DType t : DType.values()) {
            for (int[] s : GemmOntoRowTest.SHAPES) {
                for (double beta : new double[] {0.0, 1.0}) {
                    for (int pad : new int[] {0, 2}) {
                        compare(PackedGemms::packedGemm, (tt, ta, tb, m, n, k, al, a, lda, b, ldb, be, g, ldg, c, ldc)
                                -> PackedGemms.packedGemmGate(tt, ta, tb, m, n, k, al, a, lda, b, ldb, be, g, ldg, c,
                                ldc), t, s, beta, pad, 0, "fm_packed_gemm_gate");
                    }
                }
            }
        }
    }

    /** One gated product, as {@link Backend#gemmGate}. */
    @FunctionalInterface
    interface GateProduct {
        void run(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
                 MemorySegment b, int ldb, double beta, MemorySegment gate, int ldg, MemorySegment c, int ldc);
    }

    private static void check(Backend be, int[][] shapes, int threads) {
        String what = be.getClass().getSimpleName() + " at " + threads + " threads";
        for (DType t : DType.values()) {
            for (int[] s : shapes) {
                for (double beta : new double[] {0.0, 1.0}) {
                    compare(be::gemm, be::gemmGate, t, s, beta, 0, 0, what);
                    compare(be::gemm, be::gemmGate, t, s, beta, 2, 0, what);
                    compare(be::gemm, be::gemmGate, t, s, beta, 0, 3, what + ", G's rows apart");
                }
            }
        }
    }

    /**
     * {@code gated} against {@code gemm} then the gate, bit for bit; C's rows {@code n + pad} apart (the padding must
     * be left as it was), G's {@code n + pad + gpad}.
     */
    private static void compare(GemmChecks.Product gemm, GateProduct gated, DType t, int[] s, double beta, int pad,
                                int gpad, String what) {
        int m = s[0];
        int n = s[1];
        int k = s[2];
        boolean ta = s[3] == 1;
        boolean tb = s[4] == 1;
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom r = new SplittableRandom(7L * m + 13L * n + k);
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            int ldc = n + pad;
            int ldg = ldc + gpad;
            MemorySegment a = GemmChecks.random(arena, t, (long) (ta ? k : m) * lda, r);
            MemorySegment b = GemmChecks.random(arena, t, (long) (tb ? n : k) * ldb, r);
            MemorySegment g = GemmChecks.random(arena, t, (long) m * ldg, r);
            double[] edges = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-300};
            for (long i = 0; i < (long) m * ldg; i += 5) {
                t.set(g, i, edges[(int) (i / 5 % edges.length)]);
            }
            MemorySegment want = arena.allocate((long) m * ldc * t.byteSize(), 64);
            MemorySegment got = arena.allocate((long) m * ldc * t.byteSize(), 64);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < ldc; j++) {
                    double c0 = j >= n ? -7.0 : beta == 0 ? Double.NaN : r.nextDouble(-1, 1);
                    t.set(want, (long) i * ldc + j, c0);
                    t.set(got, (long) i * ldc + j, c0);
                }
            }
            gemm.run(t, ta, tb, m, n, k, 0.75, a, lda, b, ldb, beta, want, ldc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    if (!(t.get(g, (long) i * ldg + j) > 0)) {
                        t.set(want, (long) i * ldc + j, 0.0);
                    }
                }
            }
            gated.run(t, ta, tb, m, n, k, 0.75, a, lda, b, ldb, beta, g, ldg, got, ldc);
            for (long i = 0; i < (long) m * ldc; i++) {
                long e = i;
                // bits, NaN canonical: -0 is not +0
                assertThat(Double.doubleToLongBits(t.get(got, i))).as(() -> what + ", " + t + " " + m + " x " + n
                        + " x " + k + " ta=" + ta + " tb=" + tb + " beta=" + beta + " ldc=" + ldc + " ldg=" + ldg
                        + ": element " + e + ", " + t.get(got, e) + " for " + t.get(want, e))
                        .isEqualTo(Double.doubleToLongBits(t.get(want, i)));
            }
        }
    }
}
