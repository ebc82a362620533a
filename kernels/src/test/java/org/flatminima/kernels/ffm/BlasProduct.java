package org.flatminima.kernels.ffm;

import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.DType;

/** For the GEMM tests: OpenBLAS's product ({@code cblas_sgemm}, {@code cblas_dgemm}), a {@code GemmChecks.Product}. */
final class BlasProduct {

    private BlasProduct() {
    }

    static void gemm(DType t, boolean ta, boolean tb, int m, int n, int k, double alpha, MemorySegment a, int lda,
                     MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        if (t == DType.F32) {
            OpenBlas.sgemm(ta, tb, m, n, k, (float) alpha, a, lda, b, ldb, (float) beta, c, ldc);
        } else {
            OpenBlas.dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }
}
