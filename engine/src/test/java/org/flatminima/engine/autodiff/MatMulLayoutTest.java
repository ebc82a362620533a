package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * The matrix product's VJP gives the second operand's cotangent in that operand's layout: for a transposed view
 * ({@code W^T} in {@code x @ W^T}) a transposed view, whose transpose back to {@code W}'s cotangent is row-major,
 * so the parameters' cotangent is assembled by a plain copy. Values checked against {@code sum_n x[n, i] g[n, j]}
 * written out by hand.
 */
class MatMulLayoutTest {

    private static final SplittableRandom RND = new SplittableRandom(17);

    @Test
    void transposedOperandGetsATransposedCotangentWithExactValues() {
        Tensor x = Tensor.uniform(DType.F64, RND, -1, 1, 5, 4);
        Tensor w = Tensor.uniform(DType.F64, RND, -1, 1, 3, 4);
        Tensor g = Tensor.uniform(DType.F64, RND, -1, 1, 5, 3);
        Var[] ct = new ProductPrimitives.MatMul().vjp(Var.of(g), new Var[] {Var.of(x), Var.of(w).mT()}, null);
        Tensor gb = ct[1].value();
        assertThat(gb.shape()).containsExactly(4, 3);
        assertThat(gb.isContiguous()).isFalse();
        assertThat(gb.transpose(0, 1).isContiguous()).isTrue();
        assertProduct(gb, x.reshape(1, 5, 4), g.reshape(1, 5, 3));
    }

    @Test
    void batchedFirstOperandFoldsIntoOneProductInEitherLayout() {
        Tensor x = Tensor.uniform(DType.F64, RND, -1, 1, 2, 5, 4);
        Tensor g = Tensor.uniform(DType.F64, RND, -1, 1, 2, 5, 3);
        Tensor w = Tensor.uniform(DType.F64, RND, -1, 1, 3, 4);
        Tensor b = Tensor.uniform(DType.F64, RND, -1, 1, 4, 3);
        Tensor transposed = new ProductPrimitives.MatMul()
                .vjp(Var.of(g), new Var[] {Var.of(x), Var.of(w).mT()}, null)[1].value();
        Tensor rowMajor = new ProductPrimitives.MatMul()
                .vjp(Var.of(g), new Var[] {Var.of(x), Var.of(b)}, null)[1].value();
        assertThat(transposed.transpose(0, 1).isContiguous()).isTrue();
        assertThat(rowMajor.isContiguous()).isTrue();
        assertProduct(transposed, x, g);
        assertProduct(rowMajor, x, g);
    }

    /** {@code gb[i, j] == sum over batches and rows n of x[., n, i] g[., n, j]}. */
    private static void assertProduct(Tensor gb, Tensor x, Tensor g) {
        for (int i = 0; i < x.dim(2); i++) {
            for (int j = 0; j < g.dim(2); j++) {
                double want = 0;
                for (int p = 0; p < x.dim(0); p++) {
                    for (int n = 0; n < x.dim(1); n++) {
                        want += x.get(p, n, i) * g.get(p, n, j);
                    }
                }
                assertThat(gb.get(i, j)).as("gb[%d, %d]", i, j).isCloseTo(want, within(1e-12));
            }
        }
    }
}
