package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class GemmProbeTest {

    @Test
    void gemmProbeMeasuresACorrectProduct() {
        for (DType t : DType.values()) {
            GemmProbe.Result res = new GemmProbe(0, 3, 0).run(new ScalarBackend(), t, 17);
            assertThat(res.n()).isEqualTo(17);
            assertThat(res.gflops()).isPositive().isFinite();
            assertThat(res.correct()).as("error %s", res.maxRelError()).isTrue();
            assertThat(res.maxRelError()).isLessThan(res.tolerance());
        }
    }

    @Test
    void gemmCheckDetectsAWrongProduct() {
        // a "backend" that forgets the last term of every dot product
        var broken = new ScalarBackend() {
            @Override
            public void gemm(DType t, boolean ta, boolean tb, int m, int n, int k, double alpha,
                             MemorySegment a, int lda, MemorySegment b,
                             int ldb, double beta, MemorySegment c, int ldc) {
                super.gemm(t, ta, tb, m, n, k - 1, alpha, a, lda, b, ldb, beta, c, ldc);
            }
        };
        GemmProbe.Result res = new GemmProbe(0, 1, 0).run(broken, DType.F64, 9);
        assertThat(res.correct()).isFalse();
    }
}
