package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * {@link TensorOps#matmulWithTangent}: a product {@code a @ b + c} and its tangent {@code a @ db + dc} in one GEMM,
 * on every backend and dtype, for a row-major {@code a} (a layer's input) and a transposed one ({@code x^T} of a
 * weight gradient), with and without an axis of directions, a bias and its tangents, against each product computed
 * apart in double; one GEMM call; the shapes it declines.
 */
class MatmulWithTangentTest {

    private static double tolerance(DType t) {
        return t == DType.F64 ? 1e-12 : 1e-5;
    }

    /** {@code max |got - want| / (1 + max |want|)}, {@code want} computed in double. */
    private static double error(Tensor got, Tensor want) {
        double[] g = got.toDoubleArray();
        double[] w = want.toDoubleArray();
        assertThat(g).hasSameSizeAs(w);
        double e = 0;
        double scale = 0;
        for (int i = 0; i < w.length; i++) {
            e = Math.max(e, Math.abs(g[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        return e / (1 + scale);
    }

    /** {@code a @ b (+ c)} in double, from the values of tensors of any dtype. */
    private static Tensor reference(Tensor a, Tensor b, Tensor c) {
        Tensor y = TensorOps.matmul(a.to(DType.F64), b.to(DType.F64));
        return c == null ? y : TensorOps.add(y, c.to(DType.F64));
    }

    private static void check(String what, DType t, Tensor a, int n, Integer count, boolean bias,
                              SplittableRandom rnd) {
        int k = a.dim(1);
        Tensor b = Tensor.uniform(t, rnd, -1, 1, n, k).transpose(0, 1); // W^T, as a linear layer's
        int[] lead = count == null ? new int[0] : new int[] {count};
        Tensor db = Tensor.uniform(t, rnd, -1, 1, TensorOps.concat(lead, k, n));
        Tensor c = bias ? Tensor.uniform(t, rnd, -1, 1, n) : null;
        Tensor dc = bias ? Tensor.uniform(t, rnd, -1, 1, TensorOps.concat(lead, n)) : null;
        Tensor[] r = new Tensor[2];
        CountingBackend calls = CountingBackend.counted(() -> {
            Tensor[] got = TensorOps.matmulWithTangent(a, b, c, db, dc);
            r[0] = got[0];
            r[1] = got[1];
        });
        assertThat(calls.count("gemm")).as(what).isEqualTo(1);
        assertThat(r[0].shape()).as(what).containsExactly(a.dim(0), n);
        assertThat(r[1].shape()).as(what).containsExactly(TensorOps.concat(lead, a.dim(0), n));
        assertThat(error(r[0], reference(a, b, c))).as(what + ": value").isLessThan(tolerance(t));
        for (int d = 0; d < (count == null ? 1 : count); d++) {
            Tensor dbd = count == null ? db : db.select(0, d);
            Tensor dcd = dc == null ? null : count == null ? dc : dc.select(0, d);
            Tensor got = count == null ? r[1] : r[1].select(0, d);
            assertThat(error(got, reference(a, dbd, dcd))).as(what + ": tangent " + d).isLessThan(tolerance(t));
        }
    }

    @Test
    void aProductAndItsTangentsAreOneGemm() {
        EveryBackend.forEach((name, be) -> {
            for (DType t : DType.values()) {
                SplittableRandom rnd = new SplittableRandom(11);
                for (boolean transposed : new boolean[] {false, true}) {
                    // a layer's input [points, features], or the transpose of one (x^T of a weight gradient)
                    Tensor small = transposed ? Tensor.uniform(t, rnd, -1, 1, 23, 37).transpose(0, 1)
                            : Tensor.uniform(t, rnd, -1, 1, 37, 23);
                    for (Integer count : new Integer[] {null, 1, 3}) {
                        for (boolean bias : new boolean[] {false, true}) {
                            String what = String.format("%s %s %s count=%s bias=%s", name, t,
                                    transposed ? "a^T" : "a", count, bias);
                            Engine.with(be, () -> check(what, t, small, 10, count, bias, rnd));
                        }
                    }
                }
                // W1's batched HVP: 1000 points of 784 features, ten classes, ten directions (the packed GEMM)
                if (!name.equals("scalar")) {
                    Tensor x = Tensor.uniform(t, rnd, -1, 1, 1000, 784);
                    Engine.with(be, () -> check(name + " " + t + " W1 forward", t, x, 10, 10, true, rnd));
                    Engine.with(be, () -> check(name + " " + t + " W1 weight gradient", t, x.transpose(0, 1), 10,
                            10, false, rnd));
                }
            }
        });
    }

    @Test
    void declinesWhatItDoesNotFuse() {
        SplittableRandom rnd = new SplittableRandom(12);
        DType t = DType.F64;
        Tensor x = Tensor.uniform(t, rnd, -1, 1, 1000, 784);
        Tensor b = Tensor.uniform(t, rnd, -1, 1, 784, 10);
        // one direction of a large product: the two products apart run on the few-columns kernels
        assertThat(TensorOps.matmulWithTangent(x, b, null, Tensor.zeros(t, 784, 10), null)).isNull();
        assertThat(TensorOps.matmulWithTangent(x, b, null, Tensor.zeros(t, 1, 784, 10), null)).isNull();
        // seven directions: 70 columns of tangents, enough
        assertThat(TensorOps.matmulWithTangent(x, b, null, Tensor.zeros(t, 7, 784, 10), null)).isNotNull();
        int wide = TensorOps.WITH_TANGENT_MAX_COLUMNS + 1;
        Tensor a = Tensor.uniform(t, rnd, -1, 1, 8, 6);
        assertThat(TensorOps.matmulWithTangent(a, Tensor.zeros(t, 6, wide), null, Tensor.zeros(t, 6, wide), null))
                .isNull();
        Tensor b6 = Tensor.zeros(t, 6, 4);
        // batched a, two axes of directions, a full addend, a tangent of another shape
        assertThat(TensorOps.matmulWithTangent(Tensor.zeros(t, 2, 8, 6), b6, null, Tensor.zeros(t, 6, 4), null))
                .isNull();
        assertThat(TensorOps.matmulWithTangent(a, b6, null, Tensor.zeros(t, 2, 3, 6, 4), null)).isNull();
        assertThat(TensorOps.matmulWithTangent(a, b6, Tensor.zeros(t, 8, 4), Tensor.zeros(t, 6, 4), null)).isNull();
        assertThat(TensorOps.matmulWithTangent(a, b6, null, Tensor.zeros(t, 3, 6, 4), Tensor.zeros(t, 4)))
                .isNull();
        assertThat(TensorOps.matmulWithTangent(a, b6, null, Tensor.zeros(t, 6, 4), null)).isNotNull();
        // operands of another dtype fail as the product's forward does, not converted
        assertThatThrownBy(() -> TensorOps.matmulWithTangent(a, b6, Tensor.zeros(DType.F32, 4),
                Tensor.zeros(t, 6, 4), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dtypes differ");
    }
}
