package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * {@link IndexOps#embedRowsMany}: sources land at their columns, and columns no source covers are zero. The test
 * build fills uninitialised memory with NaN, so a gap taken for a tiling (no zero fill) would show as NaN here.
 */
class EmbedRowsManyTest {

    @Test
    void sourcesTilingTheRowAreCopiedInPlace() {
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.of(DType.F64, new double[] {1, 2, 3, 4}, 2, 2);
            Tensor b = Tensor.of(DType.F64, new double[] {5, 6}, 2, 1);
            Tensor y = IndexOps.embedRowsMany(new Tensor[] {b, a}, new int[] {2, 0}, 2, 3);
            assertThat(y.toDoubleArray()).containsExactly(1, 2, 5, 3, 4, 6);
        }
    }

    @Test
    void columnsNoSourceCoversAreZero() {
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.of(DType.F64, new double[] {1, 2}, 2, 1);
            Tensor b = Tensor.of(DType.F64, new double[] {5, 6}, 2, 1);
            Tensor y = IndexOps.embedRowsMany(new Tensor[] {a, b}, new int[] {0, 3}, 2, 4);
            assertThat(y.toDoubleArray()).containsExactly(1, 0, 0, 5, 2, 0, 0, 6);
            Tensor tail = IndexOps.embedRowsMany(new Tensor[] {a}, new int[] {0}, 2, 2);
            assertThat(tail.toDoubleArray()).containsExactly(1, 0, 2, 0);
        }
    }

    @Test
    void aTransposedSourceIsCopiedInRowMajorOrder() {
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.of(DType.F64, new double[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
            Tensor y = IndexOps.embedRowsMany(new Tensor[] {t}, new int[] {0}, 1, 6);
            assertThat(y.toDoubleArray()).containsExactly(1, 4, 2, 5, 3, 6);
        }
    }
}
