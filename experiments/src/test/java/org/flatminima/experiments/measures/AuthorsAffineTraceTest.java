package org.flatminima.experiments.measures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * The authors' affine expression from the raw input: for an affine model it equals ours (last layer's input) and
 * the exact per-point Hessian trace by exact-hvp (P Hessian-vector products, independent of the closed form); for
 * an MLP it is checked against the formula evaluated by hand, and differs from ours.
 */
class AuthorsAffineTraceTest {
    private static final DType T = DType.F64;

    @Test
    void affineModelRawEqualsOursEqualsTheExactTrace() {
        SplittableRandom rnd = new SplittableRandom(4);
        int d = 6;
        Network net = new Network(Sequential.mlp(d, 3), d);
        Tensor theta = net.initParams(T, 9);
        Tensor x = Tensor.normal(T, rnd, 5, d);
        int[] labels = {0, 1, 2, 1, 0};
        PointMeasures pm = PointMeasures.of(net, theta, x, labels, null, false, 5);
        double[] raw = AuthorsAffineTrace.rawInput(x, pm.margins());
        for (int n = 0; n < labels.length; n++) {
            Tensor xn = x.slice(0, n, n + 1).contiguous();
            double exact = Curvature.of(net, theta, xn, new int[] {labels[n]})
                    .breakdown(Curvature.Method.EXACT_HVP, true).perPoint()[0];
            assertThat(raw[n]).isCloseTo(exact, within(1e-10 * Math.max(1, exact)));
            assertThat(raw[n]).isCloseTo(pm.affineTraceExpr()[n], within(1e-12 * Math.max(1, exact)));
        }
    }

    @Test
    void mlpRawExpressionByHand() {
        SplittableRandom rnd = new SplittableRandom(5);
        int d = 4;
        Network net = new Network(Sequential.mlp(d, 7, 3), d);
        Tensor theta = net.initParams(T, 2);
        // images-like input [N, 1, 2, 2]: flattened per point by rawInput
        Tensor x = Tensor.normal(T, rnd, 3, d);
        int[] labels = {2, 0, 1};
        double[] z = net.logits(Var.of(theta), x).value().toDoubleArray();
        Margins.Columns cols = Margins.of(net.logits(Var.of(theta), x).value(), labels);
        double[] raw = AuthorsAffineTrace.rawInput(x.reshape(3, 1, 2, 2), cols);
        double[] xs = x.toDoubleArray();
        PointMeasures pm = PointMeasures.of(net, theta, x, labels, null, false, 3);
        for (int n = 0; n < 3; n++) {
            double norm2 = 0;
            for (int k = 0; k < d; k++) {
                norm2 += xs[n * d + k] * xs[n * d + k];
            }
            double max = Math.max(z[n * 3], Math.max(z[n * 3 + 1], z[n * 3 + 2]));
            double[] e = new double[3];
            double s = 0;
            for (int j = 0; j < 3; j++) {
                e[j] = Math.exp(z[n * 3 + j] - max);
                s += e[j];
            }
            double p2 = 0;
            for (int j = 0; j < 3; j++) {
                p2 += (e[j] / s) * (e[j] / s);
            }
            assertThat(raw[n]).isCloseTo((norm2 + 1) * (1 - p2), within(1e-12));
            // ours uses the hidden layer's 7 activations: another number
            assertThat(Math.abs(raw[n] - pm.affineTraceExpr()[n])).isGreaterThan(1e-6);
        }
    }
}
