package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * {@link TensorOps#matmulSum}: a sum of products (and an addend) in one buffer, on every path of the product
 * (one GEMM, a GEMM per matrix of a batched left operand, a stack of few-column right operands, a GEMM per
 * broadcast batch entry), against the products computed one by one and added; and the tangent of a linear layer,
 * which is such a sum, computed without a copy of its first product.
 */
class MatMulSumTest {

    private static Tensor u(DType t, SplittableRandom rnd, int... shape) {
        return Tensor.uniform(t, rnd, -1, 1, shape);
    }

    /** The sum the one-buffer way and the products one by one, then added. */
    private static void assertSum(String what, DType t, Tensor[] a, Tensor[] b, Tensor c) {
        Tensor got = TensorOps.matmulSum(a, b, c);
        Tensor want = c == null ? null : c;
        for (int i = 0; i < a.length; i++) {
            Tensor p = TensorOps.matmul(a[i], b[i]);
            want = want == null ? p : TensorOps.add(want, p);
        }
        assertThat(got.shape()).as(what).containsExactly(want.shape());
        double[] g = got.toDoubleArray();
        double[] w = want.toDoubleArray();
        double tol = t == DType.F64 ? 1e-12 : 2e-5;
        for (int i = 0; i < g.length; i++) {
            assertThat(Math.abs(g[i] - w[i])).as("%s entry %d: %s against %s", what, i, g[i], w[i])
                    .isLessThanOrEqualTo(tol * Math.max(1, Math.abs(w[i])));
        }
    }

    @Test
    void theSumOfItsProductsOnEveryPathOfTheProduct() {
        EveryBackend.forEach((name, be) -> Engine.with(be, () -> {
            for (DType t : DType.values()) {
                SplittableRandom rnd = new SplittableRandom(3);
                String at = name + " " + t + ": ";
                // one GEMM each, onto a bias
                assertSum(at + "plain + bias", t, new Tensor[] {u(t, rnd, 37, 23), u(t, rnd, 37, 11)},
                        new Tensor[] {u(t, rnd, 23, 70), u(t, rnd, 11, 70)}, u(t, rnd, 70));
                // three products, no addend, the second's right operand a transposed view
                assertSum(at + "three, no addend", t,
                        new Tensor[] {u(t, rnd, 37, 23), u(t, rnd, 37, 5), u(t, rnd, 37, 9)},
                        new Tensor[] {u(t, rnd, 23, 70), u(t, rnd, 70, 5).transpose(0, 1), u(t, rnd, 9, 70)}, null);
                // a batched left operand folded into rows, and a shared left operand times a batch (a GEMM each)
                assertSum(at + "batched", t, new Tensor[] {u(t, rnd, 3, 37, 23), u(t, rnd, 37, 23)},
                        new Tensor[] {u(t, rnd, 23, 70), u(t, rnd, 3, 23, 70)}, u(t, rnd, 3, 1, 70));
                // a stack of few-column right operands (one stacked GEMM, added onto the sum)
                assertSum(at + "stacked", t, new Tensor[] {u(t, rnd, 6, 37, 23), u(t, rnd, 37, 5)},
                        new Tensor[] {u(t, rnd, 23, 10), u(t, rnd, 6, 5, 10)}, u(t, rnd, 6, 1, 10));
                // a non-contiguous batched left operand of tall matrices (a GEMM per matrix, shared among threads),
                // first written and then accumulated
                assertSum(at + "by matrix", t, new Tensor[] {u(t, rnd, 3, 23, 70).transpose(1, 2), u(t, rnd, 3, 70, 4)},
                        new Tensor[] {u(t, rnd, 23, 12), u(t, rnd, 4, 12)}, null);
                assertSum(at + "by matrix, accumulated", t,
                        new Tensor[] {u(t, rnd, 3, 70, 4), u(t, rnd, 3, 23, 70).transpose(1, 2)},
                        new Tensor[] {u(t, rnd, 4, 12), u(t, rnd, 23, 12)}, u(t, rnd, 12));
            }
        }));
    }

    @Test
    void productsOfDifferentShapesAreRefused() {
        DType t = DType.F64;
        SplittableRandom rnd = new SplittableRandom(4);
        assertThatThrownBy(() -> TensorOps.matmulSum(new Tensor[] {u(t, rnd, 3, 4), u(t, rnd, 3, 4)},
                new Tensor[] {u(t, rnd, 4, 5), u(t, rnd, 4, 6)}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("product 1 has shape [3, 6]");
    }

    /**
     * The tangent of {@code x W^T + b} with tangents on all three is {@code dx W^T + x dW^T + db} in one buffer:
     * one copy (the bias's broadcast) and two GEMMs, where the first product used to be copied into the second's
     * output.
     */
    @Test
    void aLinearLayersTangentIsOneBuffer() {
        EveryBackend.forEach((name, be) -> Engine.with(be, () -> {
            DType t = DType.F64;
            SplittableRandom rnd = new SplittableRandom(5);
            Tensor x = u(t, rnd, 40, 30);
            Tensor w = u(t, rnd, 20, 30);
            Tensor b = u(t, rnd, 20);
            Tensor dx = u(t, rnd, 40, 30);
            Tensor dw = u(t, rnd, 20, 30);
            Tensor db = u(t, rnd, 20);
            Var[][][] out = new Var[1][][];
            CountingBackend calls = CountingBackend.counted(() -> out[0] = Autodiff.jvpN(
                    v -> new Var[] {v[0].matmulAdd(v[1].mT(), v[2])},
                    new Var[] {Var.of(x), Var.of(w), Var.of(b)}, new Var[] {Var.of(dx), Var.of(dw), Var.of(db)}));
            Tensor want = TensorOps.add(TensorOps.add(TensorOps.matmul(dx, w.transpose(0, 1)),
                    TensorOps.matmul(x, dw.transpose(0, 1))), db);
            double[] g = out[0][1][0].value().toDoubleArray();
            double[] e = want.toDoubleArray();
            for (int i = 0; i < g.length; i++) {
                assertThat(g[i]).as("%s tangent entry %d", name, i).isCloseTo(e[i],
                        org.assertj.core.api.Assertions.within(1e-12));
            }
            // primal: one GEMM onto the bias; tangent: one GEMM onto db and one more, nothing else (the backend
            // broadcasts the row itself where its GEMM does not read it in its first store)
            assertThat(calls.count("gemmOntoRow")).as(name + " " + calls).isEqualTo(2);
            assertThat(calls.count("gemm")).as(name + " " + calls).isEqualTo(1);
            assertThat(calls.count("copy")).as(name + " " + calls).isZero();
        }));
    }
}
