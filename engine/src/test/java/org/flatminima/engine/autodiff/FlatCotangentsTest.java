package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.CountingBackend;
import org.flatminima.engine.Engine;
import org.flatminima.engine.EveryBackend;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * The cotangent of a flat parameter vector written in place ({@link FlatCotangents}): a linear layer's weight
 * cotangent written by its product straight into the weight's range (through {@code W^T}), a bias's copied into
 * its range, the rest zeroed. Against the cotangents of the same tensors as separate inputs (the same products, so
 * the same bits), and without the copy of each piece it replaces.
 */
class FlatCotangentsTest {

    /** Offsets of W1 [96, 70], b1 [96], W2 [10, 96], b2 [10] in a flat vector, with a gap of 5 before b2. */
    private static final int W1 = 0;
    private static final int B1 = W1 + 96 * 70;
    private static final int W2 = B1 + 96;
    private static final int B2 = W2 + 10 * 96 + 5;
    private static final int P = B2 + 10;

    private static final int[] LABELS = new int[33];

    static {
        for (int i = 0; i < LABELS.length; i++) {
            LABELS[i] = (i * 7) % 10;
        }
    }

    private static Var mlp(Var x, Var w1, Var b1, Var w2, Var b2) {
        return x.matmulAdd(w1.mT(), b1).relu().matmulAdd(w2.mT(), b2).crossEntropy(LABELS);
    }

    private static Function<Var, Var> flatLoss(Var x) {
        return p -> mlp(x, p.view(W1, 96, 70), p.view(B1, 96), p.view(W2, 10, 96), p.view(B2, 10));
    }

    @Test
    void aLinearNetworksFlatGradientIsTheGradientsOfItsTensorsBitForBitWithoutTheirCopies() {
        EveryBackend.forEach((name, be) -> Engine.with(be, () -> {
            for (DType t : DType.values()) {
                SplittableRandom rnd = new SplittableRandom(11);
                Var x = Var.of(Tensor.uniform(t, rnd, 0, 1, LABELS.length, 70));
                Tensor flat = Tensor.uniform(t, rnd, -0.2, 0.2, P);
                Var[] parts = {Var.of(flat.slice(0, W1, B1).reshape(96, 70).copy()),
                        Var.of(flat.slice(0, B1, W2).copy()),
                        Var.of(flat.slice(0, W2, W2 + 960).reshape(10, 96).copy()),
                        Var.of(flat.slice(0, B2, P).copy())};
                Var[] want = Autodiff.gradN(v -> mlp(x, v[0], v[1], v[2], v[3]), parts);
                Var[] got = new Var[1];
                CountingBackend calls = CountingBackend.counted(() -> got[0] = Autodiff.grad(flatLoss(x), Var.of(flat)));
                double[] g = got[0].value().toDoubleArray();
                String at = name + " " + t;
                assertThat(g).as(at + " length").hasSize(P);
                assertSame(at + " W1", g, W1, want[0]);
                assertSame(at + " b1", g, B1, want[1]);
                assertSame(at + " W2", g, W2, want[2]);
                assertSame(at + " b2", g, B2, want[3]);
                for (int i = W2 + 960; i < B2; i++) {
                    assertThat(g[i]).as(at + " gap entry %d", i).isZero();
                }
                // the separate tensors' gradients: every product, and the copies of the two biases' broadcasts, of
                // b1's and b2's sums and of W2^T's small transposed product; nothing for W1, whose product writes
                // its range itself, where the pieces' assembly copied all four
                CountingBackend separate = CountingBackend.counted(
                        () -> Autodiff.gradN(v -> mlp(x, v[0], v[1], v[2], v[3]), parts));
                assertThat(calls.count("gemm")).as(at + " " + calls).isEqualTo(separate.count("gemm"));
                assertThat(calls.count("copy")).as(at + " " + calls + " against " + separate)
                        .isEqualTo(separate.count("copy") + 3);
            }
        }));
    }

    private static void assertSame(String what, double[] flat, int offset, Var want) {
        double[] w = want.value().toDoubleArray();
        for (int i = 0; i < w.length; i++) {
            assertThat(flat[offset + i]).as("%s entry %d", what, i).isEqualTo(w[i]);
        }
    }

    /**
     * A weight used by two products (its range written by the first, added onto by the second), the flat vector
     * also used whole (a penalty: its cotangent added to the in-place one), a view nothing depends on (zero):
     * against central differences in float64.
     */
    @Test
    void aWeightUsedTwiceAndTheVectorUsedWholeAgreeWithFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(12);
        DType t = DType.F64;
        Var x = Var.of(Tensor.uniform(t, rnd, 0, 1, 4, 70));
        int[] labels = {1, 0, 2, 1};
        int w = 0;
        int unused = 70 * 70;
        int head = unused + 3;
        int p = head + 3 * 70;
        Function<Var, Var> f = theta -> {
            Var wt = theta.view(w, 70, 70).mT();
            theta.view(unused, 3).exp(); // on the tape, with no path to the loss
            Var h = x.matmul(wt).relu().matmul(wt).relu();
            return h.matmul(theta.view(head, 3, 70).mT()).crossEntropy(labels)
                    .add(theta.square().sum().scale(0.01));
        };
        Tensor theta = Tensor.uniform(t, rnd, -0.3, 0.3, p);
        double[] g = Autodiff.grad(f, Var.of(theta)).value().toDoubleArray();
        double[] th = theta.toDoubleArray();
        double h = 1e-6;
        for (int i = 0; i < p; i += 37) {
            double[] plus = th.clone();
            double[] minus = th.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (f.apply(Var.of(Tensor.of(t, plus, p))).item() - f.apply(Var.of(Tensor.of(t, minus, p))).item())
                    / (2 * h);
            assertThat(g[i]).as("entry %d", i).isCloseTo(fd, org.assertj.core.api.Assertions.within(1e-8));
        }
        for (int i = unused; i < head; i++) {
            assertThat(g[i]).as("unused entry %d: the penalty's only", i).isCloseTo(0.02 * th[i],
                    org.assertj.core.api.Assertions.within(1e-15));
        }
    }

    /** A Hessian-vector product differentiates the flat cotangent again: it is not written in place, and agrees. */
    @Test
    void theHessianVectorProductOfTheFlatVectorIsUnchanged() {
        SplittableRandom rnd = new SplittableRandom(13);
        DType t = DType.F64;
        Var x = Var.of(Tensor.uniform(t, rnd, 0, 1, LABELS.length, 70));
        Tensor flat = Tensor.uniform(t, rnd, -0.2, 0.2, P);
        Tensor v = Tensor.normal(t, rnd, P);
        double[] hv = Autodiff.hvp(flatLoss(x), Var.of(flat), Var.of(v)).value().toDoubleArray();
        double h = 1e-6;
        double[] plus = Autodiff.grad(flatLoss(x), Var.of(org.flatminima.engine.TensorOps.add(flat,
                org.flatminima.engine.TensorOps.scale(v, h)))).value().toDoubleArray();
        double[] minus = Autodiff.grad(flatLoss(x), Var.of(org.flatminima.engine.TensorOps.add(flat,
                org.flatminima.engine.TensorOps.scale(v, -h)))).value().toDoubleArray();
        for (int i = 0; i < P; i += 11) {
            assertThat(hv[i]).as("entry %d", i).isCloseTo((plus[i] - minus[i]) / (2 * h),
                    org.assertj.core.api.Assertions.within(1e-7));
        }
    }
}
