package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.engine.nn.Linear;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The facade picks the right method and agrees with exact-hvp and the dense Hessian. */
@Tag("backends")
class CurvatureTest {
    private static final DType T = DType.F64;

    private static Curvature of(Network net, long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = net.sampleShape()[0];
        Tensor x = Tensor.normal(T, rnd, n, d);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(net.classes());
        }
        return Curvature.of(net, net.initParams(T, seed), x, y);
    }

    private static double rel(double a, double b) {
        return Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
    }

    @Test
    void autoPicksTheCheapestExactMethodAndAgreesWithExactHvp() {
        Curvature affine = of(new Network(Sequential.mlp(5, 3), 5), 1, 8);
        TraceResult a = affine.trace(Curvature.Method.AUTO);
        assertThat(a.method()).isEqualTo("closed-form");
        assertThat(rel(a.value(), affine.trace(Curvature.Method.EXACT_HVP).value())).isLessThan(1e-10);

        Curvature relu = of(new Network(Sequential.mlp(5, 6, 3), 5), 2, 8);
        TraceResult r = relu.trace(Curvature.Method.AUTO);
        assertThat(r.method()).isEqualTo("exact-ggn");
        assertThat(r.stderr()).isZero();
        assertThat(rel(r.value(), relu.trace(Curvature.Method.EXACT_HVP).value())).isLessThan(1e-10);
        double[] pp = relu.perPointTraces(Curvature.Method.AUTO).values();
        double[] ppHvp = relu.breakdown(Curvature.Method.EXACT_HVP, true).perPoint();
        for (int i = 0; i < pp.length; i++) {
            assertThat(rel(pp[i], ppHvp[i])).isLessThan(1e-10);
        }
        double[] diag = relu.diagonal(Curvature.Method.AUTO).toDoubleArray();
        Tensor dense = relu.dense();
        for (int i = 0; i < diag.length; i++) {
            assertThat(diag[i]).isCloseTo(dense.get(i, i), within(1e-10 * (1 + Math.abs(dense.get(i, i)))));
        }
    }

    @Test
    void smoothNetworksTakeExactHbpAndRefuseExactGgn() {
        Curvature tanh = of(new Network(Sequential.of(new Linear(5, 6), new Tanh(), new Linear(6, 3)), 5), 3, 8);
        assertThat(tanh.bestExact()).isEqualTo(Curvature.Method.EXACT_HBP);
        TraceResult t = tanh.trace(Curvature.Method.AUTO);
        assertThat(t.method()).isEqualTo("exact-hbp");
        assertThat(t.stderr()).isZero();
        double exact = tanh.trace(Curvature.Method.EXACT_HVP).value();
        assertThat(rel(t.value(), exact)).isLessThan(1e-10);
        // Hutchinson by name still runs
        TraceResult h = tanh.trace(Curvature.Method.HUTCHINSON);
        assertThat(h.method()).isEqualTo("hutchinson");
        assertThat(Math.abs(h.value() - exact)).isLessThan(4 * h.stderr());
        // stopped by the 1% target, or by the 1,000-probe budget on this noisy toy model
        assertThat(h.stderr() / Math.abs(h.value()) <= 0.0101 || h.probes() == 1000).isTrue();
        assertThatThrownBy(() -> tanh.trace(Curvature.Method.EXACT_GGN)).hasMessageContaining("Tanh");
        assertThat(tanh.perPointTraces(Curvature.Method.AUTO).method()).isEqualTo("exact-hbp");
        assertThatThrownBy(() -> tanh.breakdown(Curvature.Method.CLOSED_FORM, false)).hasMessageContaining("affine");
        assertThat(Curvature.Method.parse("hutch++")).isEqualTo(Curvature.Method.HUTCH_PLUS_PLUS);
        assertThat(Curvature.Method.parse("exact-hbp")).isEqualTo(Curvature.Method.EXACT_HBP);
        assertThatThrownBy(() -> Curvature.Method.parse("magic")).hasMessageContaining("unknown trace method");
    }

    @Test
    void trainingModeBatchNormFallsBackToHutchinson() {
        Curvature bn = of(new Network(Sequential.of(new Linear(5, 6), BatchNorm.batchNorm1d(6), new Tanh(),
                new Linear(6, 3)), 5), 5, 8);
        assertThat(bn.bestExact()).isNull();
        TraceResult h = bn.trace(Curvature.Method.AUTO);
        assertThat(h.method()).isEqualTo("hutchinson");
        double exact = bn.trace(Curvature.Method.EXACT_HVP).value();
        assertThat(Math.abs(h.value() - exact)).isLessThan(4 * h.stderr());
        assertThat(bn.perPointTraces(Curvature.Method.AUTO).method()).isEqualTo("hutchinson");
        assertThatThrownBy(() -> bn.trace(Curvature.Method.EXACT_HBP)).hasMessageContaining("training mode");
    }

    @Test
    void topEigenvaluesMatchTheDenseHessian() {
        Curvature relu = of(new Network(Sequential.mlp(4, 5, 3), 4), 4, 6);
        double[] top = relu.topEigenvalues(2).values();
        double[] all = SymmetricEigen.eigenvalues(relu.dense()); // ascending
        assertThat(rel(top[0], all[all.length - 1])).isLessThan(1e-8);
        assertThat(rel(top[1], all[all.length - 2])).isLessThan(1e-8);
    }

    @Test
    void exactGgnShowsEachBatchsForwardPassOnce() {
        Network net = new Network(Sequential.mlp(5, 4, 3), 5);
        SplittableRandom rnd = new SplittableRandom(9);
        Tensor x = Tensor.normal(T, rnd, 8, 5);
        int[] y = {0, 1, 2, 0, 1, 2, 0, 1};
        Tensor theta = net.initParams(T, 9);
        // the reference: a plain forward pass, the last Linear's input taken by a hook on every module
        Tensor[] hidden = new Tensor[1];
        double[] logits = net.logits(org.flatminima.engine.autodiff.Var.of(theta), x, (path, m, in, out) -> {
            if (path.equals("2")) {
                hidden[0] = in.value();
            }
            return out;
        }).value().toDoubleArray();
        double[] h = hidden[0].toDoubleArray();
        java.util.List<Integer> froms = new java.util.ArrayList<>();
        TraceBreakdown seen = ExactTraces.exactGgn(net, theta, x, y, 3, (from, z, last) -> {
            froms.add(from);
            double[] zv = z.toDoubleArray();
            double[] lv = last.toDoubleArray();
            assertThat(zv.length).isEqualTo(z.dim(0) * 3);
            for (int i = 0; i < zv.length; i++) {
                assertThat(zv[i]).isCloseTo(logits[from * 3 + i], within(1e-14));
            }
            for (int i = 0; i < lv.length; i++) {
                assertThat(lv[i]).isCloseTo(h[from * 4 + i], within(1e-14));
            }
        });
        assertThat(froms).containsExactly(0, 3, 6);
        assertThat(seen.perPoint()).containsExactly(ExactTraces.exactGgn(net, theta, x, y, 3).perPoint());
    }
}
