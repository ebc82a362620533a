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
 * {@link Backend#gemmOntoRow}, a product onto a row added to every row of C (a linear layer's bias): on every backend
 * and dtype, to the bit the same backend's {@link Backend#gemm} at beta 1 onto C holding the row in every row, with C
 * filled with NaN before (it must not be read); shapes that the native backend sends to the packed GEMM (which reads
 * the row in its first store: {@code fm_packed_gemm_row_f32} and {@code _f64}), to its other kernels and to OpenBLAS;
 * NN, TN and NT; a padded C; one to three threads (bands of rows and of columns, each band its slice of the row).
 * {@link Backend#gemmOntoRowRelu} likewise against that product followed by {@code x > 0 ? x : +0} on every entry
 * (the packed GEMM writes it in its last store), on entries negative, positive, zero (a zero row of op(A) onto
 * a -0) and NaN (a NaN in the row).
 */
class GemmOntoRowTest {

    /** {m, n, k, transA, transB}: around the packed GEMM's tiles and blocks, both band orientations, W2's shapes. */
    static final int[][] SHAPES = {{13, 37, 9, 0, 0}, {13, 37, 9, 1, 0}, {13, 37, 9, 0, 1}, {250, 40, 300, 0, 1},
        {130, 40, 256, 1, 0}, {9, 1030, 600, 0, 0}, {64, 1100, 300, 0, 1}, {301, 130, 100, 0, 0}, {7, 25, 513, 0, 1},
        {1, 1, 1, 0, 0}, {1000, 10, 784, 0, 1}, {32, 512, 784, 0, 1}};

    /** W2's two large forward products, on the backends with fast GEMMs only. */
    static final int[][] LARGE = {{1000, 512, 784, 0, 1}, {1000, 512, 512, 0, 1}};

    @Test
    void everyBackendGivesTheBitsOfItsGemmOntoTheBroadcastRow() throws Exception {
        check(new ScalarBackend(), SHAPES, 1);
        check(VectorBackend.create(), SHAPES, 2);
        check(CheckedBackend.wrap(VectorBackend.create()), SHAPES, 1);
    }

    @Test
    void theNativeBackendGivesTheBitsOfItsGemmOntoTheBroadcastRow() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        CKernelBackend cb = new CKernelBackend();
        int before = cb.threads();
        try {
            for (int threads = 1; threads <= 3; threads++) {
                cb.setThreads(threads);
                check(cb, SHAPES, threads);
                check(cb, LARGE, threads);
                check(CheckedBackend.wrap(cb), LARGE, threads);
            }
        } finally {
            cb.setThreads(before);
        }
    }

    @Test
    void thePackedGemmsRowFormIsItsProductAtBetaOneOntoTheRow() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.avx2Kernels(), "this CPU has no AVX2 and FMA");
        for (DType t : DType.values()) {
            for (int[] s : SHAPES) {
                compare(PackedGemms::packedGemm, (tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, c, ldc) ->
                        PackedGemms.packedGemmRow(tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, false, c, ldc), t, s,
                        0.75, "fm_packed_gemm_row");
                compare(PackedGemms::packedGemm, (tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, c, ldc) ->
                        PackedGemms.packedGemmRow512(tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, false, c, ldc), t,
                        s, 0.75, "fm_packed_gemm_row512 against the AVX2 build's product");
            }
        }
    }

    /** One product onto a row, as {@link Backend#gemmOntoRow}. */
    @FunctionalInterface
    interface RowProduct {
        void run(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
                 MemorySegment b, int ldb, MemorySegment row, MemorySegment c, int ldc);
    }

    @Test
    void thePackedGemmsReluFormIsItsRowFormThenTheRelu() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.avx2Kernels(), "this CPU has no AVX2 and FMA");
        for (DType t : DType.values()) {
            for (int[] s : SHAPES) {
                compare(relu(PackedGemms::packedGemm), (tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, c, ldc) ->
                        PackedGemms.packedGemmRow(tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, true, c, ldc), t, s,
                        0.75, "fm_packed_gemm_row with relu");
                compare(relu(PackedGemms::packedGemm), (tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, c, ldc) ->
                        PackedGemms.packedGemmRow512(tt, ta, tb, m, n, k, al, a, lda, b, ldb, row, true, c, ldc), t, s,
                        0.75, "fm_packed_gemm_row512 with relu against the AVX2 build's product");
            }
        }
    }

    private static void check(Backend be, int[][] shapes, int threads) {
        String what = be.getClass().getSimpleName() + " at " + threads + " threads";
        for (DType t : DType.values()) {
            for (int[] s : shapes) {
                compare(be::gemm, be::gemmOntoRow, t, s, 1.0, what);
                compare(relu(be::gemm), be::gemmOntoRowRelu, t, s, 1.0, what + ", with relu");
            }
        }
    }

    /** {@code gemm}, then each entry of C's m rows of n replaced by {@code x > 0 ? x : +0} (UnaryOp.RELU). */
    private static GemmChecks.Product relu(GemmChecks.Product gemm) {
        return (t, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) -> {
            gemm.run(t, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double x = t.get(c, (long) i * ldc + j);
                    t.set(c, (long) i * ldc + j, x > 0 ? x : 0.0);
                }
            }
        };
    }

    /**
     * {@code ontoRow} against {@code gemm} at beta 1 onto C holding the row in every row (ldc = n, and n + 2 with
     * padding that must be left as it was), bit for bit, C filled with NaN before {@code ontoRow}.
     */
    private static void compare(GemmChecks.Product gemm, RowProduct ontoRow, DType t, int[] s, double alpha,
                                String what) {
        compare(gemm, ontoRow, t, s, alpha, 0, what);
        compare(gemm, ontoRow, t, s, alpha, 2, what);
    }

    private static void compare(GemmChecks.Product gemm, RowProduct ontoRow, DType t, int[] s, double alpha, int pad,
                                String what) {
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
            MemorySegment a = GemmChecks.random(arena, t, (long) (ta ? k : m) * lda, r);
            MemorySegment b = GemmChecks.random(arena, t, (long) (tb ? n : k) * ldb, r);
            MemorySegment row = GemmChecks.random(arena, t, n, r);
            // edges: a -0 in the row, a zero row of op(A) (C's row 1 is the row itself), for the ReLU a NaN in the
            // row's last column (the other forms leave it out: C is NaN before, so a column not written would pass)
            t.set(row, 0, -0.0);
            if (n >= 3 && what.endsWith("relu")) {
                t.set(row, n - 1, Double.NaN);
            }
            for (int p = 0; m >= 2 && p < k; p++) {
                t.set(a, ta ? (long) p * lda + 1 : lda + p, 0.0);
            }
            MemorySegment want = arena.allocate((long) m * ldc * t.byteSize(), 64);
            MemorySegment got = arena.allocate((long) m * ldc * t.byteSize(), 64);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < ldc; j++) {
                    t.set(want, (long) i * ldc + j, j < n ? t.get(row, j) : -7.0);
                    t.set(got, (long) i * ldc + j, j < n ? Double.NaN : -7.0);
                }
            }
            gemm.run(t, ta, tb, m, n, k, alpha, a, lda, b, ldb, 1.0, want, ldc);
            ontoRow.run(t, ta, tb, m, n, k, alpha, a, lda, b, ldb, row, got, ldc);
            for (long i = 0; i < (long) m * ldc; i++) {
                long e = i;
                // bits, NaN canonical: -0 is not +0
                assertThat(Double.doubleToLongBits(t.get(got, i))).as(() -> what + ", " + t + " " + m + " x " + n + " x "
                        + k + " ta=" + ta + " tb=" + tb + " ldc=" + ldc + ": element " + e + ", " + t.get(got, e)
                        + " for " + t.get(want, e)).isEqualTo(Double.doubleToLongBits(t.get(want, i)));
            }
        }
    }
}
