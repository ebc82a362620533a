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
 * so the parameters' cotangent is assembled by a plain copy; with fewer than
 * {@link ProductPrimitives.MatMul#MIN_TRANSPOSED_ROWS} columns it stays {@code a^T g} (row-major). Values checked
 * against {@code sum_n x[n, i] g[n, j]} written out by hand.
 */
class MatMulLayoutTest {

    private static final SplittableRandom RND = new SplittableRandom(17);

    @Test
    void transposedOperandGetsATransposedCotangentWithExactValues() {
        int out = ProductPrimitives.MatMul.MIN_TRANSPOSED_ROWS;
        Tensor x = Tensor.uniform(DType.F64, RND, -1, 1, 5, 4);
        Tensor w = Tensor.uniform(DType.F64, RND, -1, 1, out, 4);
        Tensor g = Tensor.uniform(DType.F64, RND, -1, 1, 5, out);
        Var[] ct = new ProductPrimitives.MatMul().vjp(Var.of(g), new Var[] {Var.of(x), Var.of(w).mT()}, null);
        Tensor gb = ct[1].value();
        assertThat(gb.shape()).containsExactly(4, out);
        assertThat(gb.isContiguous()).isFalse();
        assertThat(gb.transpose(0, 1).isContiguous()).isTrue();
        assertProduct(gb, x.reshape(1, 5, 4), g.reshape(1, 5, out));
    }

    @Test
    void fewColumnsKeepTheRowMajorProduct() {
        int out = ProductPrimitives.MatMul.MIN_TRANSPOSED_ROWS - 1;
        Tensor x = Tensor.uniform(DType.F64, RND, -1, 1, 5, 4);
        Tensor w = Tensor.uniform(DType.F64, RND, -1, 1, out, 4);
        Tensor g = Tensor.uniform(DType.F64, RND, -1, 1, 5, out);
        Tensor gb = new ProductPrimitives.MatMul()
                .vjp(Var.of(g), new Var[] {Var.of(x), Var.of(w).mT()}, null)[1].value();
        assertThat(gb.isContiguous()).isTrue();
        assertProduct(gb, x.reshape(1, 5, 4), g.reshape(1, 5, out));
    }

    @Test
    void batchedFirstOperandFoldsIntoOneProductInEitherLayout() {
        int out = ProductPrimitives.MatMul.MIN_TRANSPOSED_ROWS;
        Tensor x = Tensor.uniform(DType.F64, RND, -1, 1, 2, 5, 4);
        Tensor g = Tensor.uniform(DType.F64, RND, -1, 1, 2, 5, out);
        Tensor w = Tensor.uniform(DType.F64, RND, -1, 1, out, 4);
        Tensor b = Tensor.uniform(DType.F64, RND, -1, 1, 4, out);
        Tensor transposed = new ProductPrimitives.MatMul()
                .vjp(Var.of(g), new Var[] {Var.of(x), Var.of(w).mT()}, null)[1].value();
        Tensor rowMajor = new ProductPrimitives.MatMul()
                .vjp(Var.of(g), new Var[] {Var.of(x), Var.of(b)}, null)[1].value();
        assertThat(transposed.transpose(0, 1).isContiguous()).isTrue();
        assertThat(rowMajor.isContiguous()).isTrue();
        assertProduct(transposed, x, g);
        assertProduct(rowMajor, x, g);
    }

    /**
     * Forward-over-reverse through the transposed orientation: {@code f(W) = 0.5 ||x W^T||^2} over a flat
     * parameter vector has {@code H v = V (x^T x)} (V the direction as a matrix), in closed form.
     */
    @Test
    void hessianVectorProductThroughTheTransposedCotangentMatchesTheClosedForm() {
        int out = ProductPrimitives.MatMul.MIN_TRANSPOSED_ROWS;
        int in = 3;
        Tensor x = Tensor.uniform(DType.F64, RND, -1, 1, 6, in);
        Tensor theta = Tensor.uniform(DType.F64, RND, -1, 1, out * in);
        Tensor v = Tensor.uniform(DType.F64, RND, -1, 1, out * in);
        Tensor hv = Autodiff.hvp(t -> {
            Var y = Var.of(x).matmul(t.view(0, out, in).mT());
            return y.square().sum().scale(0.5);
        }, Var.of(theta), Var.of(v)).value();
        for (int o = 0; o < out; o++) {
            for (int j = 0; j < in; j++) {
                double want = 0;
                for (int i = 0; i < in; i++) {
                    double xtx = 0;
                    for (int n = 0; n < x.dim(0); n++) {
                        xtx += x.get(n, i) * x.get(n, j);
                    }
                    want += v.get(o * in + i) * xtx;
                }
                assertThat(hv.get(o * in + j)).as("Hv[%d, %d]", o, j).isCloseTo(want, within(1e-12));
            }
        }
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
