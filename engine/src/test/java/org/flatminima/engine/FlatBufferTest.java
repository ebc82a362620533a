package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** {@link FlatBuffer}: ranges written by their users, everything else zero at the end, overlaps refused. */
class FlatBufferTest {

    @Test
    void whatNoWrittenRangeHoldsIsZeroAndTheWrittenRangesKeepTheirValues() {
        for (DType t : DType.values()) {
            try (Scope s = Scope.open()) {
                // ranges given out of order: [6, 12) as 2 x 3, [1, 3), [13, 15); gaps at 0, 3-5, 12, 15-16
                FlatBuffer f = new FlatBuffer(t, 17, new int[] {6, 1, 13}, new int[][] {{2, 3}, {2}, {2}});
                TensorOps.assign(f.range(0), Tensor.of(t, new double[] {1, 2, 3, 4, 5, 6}, 2, 3));
                f.markWritten(0);
                TensorOps.assign(f.range(2), Tensor.of(t, new double[] {7, 8}, 2));
                f.markWritten(2);
                assertThat(f.written(1)).isFalse();
                assertThat(f.anyWritten()).isTrue();
                // range 1 was not marked written: its contents (whatever they are) become zeros
                assertThat(f.finish().toDoubleArray()).as(t.toString())
                        .containsExactly(0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 7, 8, 0, 0);
                assertThatThrownBy(f::finish).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("finished twice");
            }
        }
    }

    @Test
    void overlappingRangesAndRangesOutsideTheVectorAreRefused() {
        assertThatThrownBy(() -> new FlatBuffer(DType.F64, 10, new int[] {0, 3}, new int[][] {{4}, {2}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("range 1 [3, 5) overlaps another");
        assertThatThrownBy(() -> new FlatBuffer(DType.F64, 10, new int[] {8}, new int[][] {{3}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaves the vector of 10");
    }
}
