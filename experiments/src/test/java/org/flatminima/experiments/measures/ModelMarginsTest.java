package org.flatminima.experiments.measures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Taps;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

class ModelMarginsTest {
    private static final DType T = DType.F64;

    @Test
    void affineInputMarginIsTheDistanceToTheDecisionBoundary() {
        SplittableRandom rnd = new SplittableRandom(1);
        int d = 5;
        int c = 4;
        Network net = new Network(Sequential.mlp(d, c), d);
        Tensor theta = net.initParams(T, 3);
        Tensor x = Tensor.normal(T, rnd, 7, d);
        int[] labels = {0, 1, 2, 3, 0, 1, 2};
        Margins.Columns cols = Margins.of(net.logits(Var.of(theta), x).value(), labels);
        double[] m = ModelMargins.inputMargins(net, theta, x, labels, cols);
        double[] w = theta.slice(0, 0, c * d).toDoubleArray(); // 0.weight [c, d]
        for (int n = 0; n < labels.length; n++) {
            int y = labels[n];
            int j = cols.runnerUp()[n];
            double s = 0;
            for (int k = 0; k < d; k++) {
                double diff = w[y * d + k] - w[j * d + k];
                s += diff * diff;
            }
            assertThat(m[n]).isCloseTo(cols.output()[n] / Math.sqrt(s), within(1e-12));
        }
    }

    @Test
    void batchedInputMarginsEqualOnePointAtATime() {
        SplittableRandom rnd = new SplittableRandom(2);
        Network net = new Network(Sequential.mlp(6, 8, 8, 3), 6);
        Tensor theta = net.initParams(T, 5);
        Tensor x = Tensor.normal(T, rnd, 5, 6);
        int[] labels = {2, 0, 1, 1, 2};
        Margins.Columns cols = Margins.of(net.logits(Var.of(theta), x).value(), labels);
        double[] all = ModelMargins.inputMargins(net, theta, x, labels, cols);
        for (int n = 0; n < labels.length; n++) {
            Tensor xn = x.slice(0, n, n + 1).contiguous();
            int[] yn = {labels[n]};
            Margins.Columns cn = Margins.of(net.logits(Var.of(theta), xn).value(), yn);
            assertThat(ModelMargins.inputMargins(net, theta, xn, yn, cn)[0]).isCloseTo(all[n], within(1e-12));
        }
    }

    @Test
    void hiddenMarginsAgreeWithTheLogitsAndTheInputGradient() {
        SplittableRandom rnd = new SplittableRandom(6);
        Network net = new Network(Sequential.mlp(5, 7, 6, 3), 5);
        Tensor theta = net.initParams(T, 4);
        Tensor x = Tensor.normal(T, rnd, 9, 5);
        int[] labels = {0, 1, 2, 0, 1, 2, 0, 1, 2};
        Margins.Columns cols = Margins.of(net.logits(Var.of(theta), x).value(), labels);
        java.util.Map<String, double[]> hm = ModelMargins.hiddenMargins(net, theta, x, labels, cols);
        assertThat(hm.keySet()).containsExactly("0", "2", "4");
        // the last layer's output is the logits: the gradient of z_y - z_j* there is e_y - e_j*, norm sqrt(2)
        for (int i = 0; i < labels.length; i++) {
            assertThat(hm.get("4")[i]).isCloseTo(cols.output()[i] / Math.sqrt(2), within(1e-12));
        }
        // the first layer is x W^T + b: grad_x = W^T grad_h, so ||grad_x|| follows from the tap's cotangent
        double[] input = ModelMargins.inputMargins(net, theta, x, labels, cols);
        double[] w = theta.slice(0, 0, 7 * 5).toDoubleArray();
        Taps.Tapped tp = Taps.record(net, theta, x);
        double[] seed = new double[labels.length * 3];
        for (int i = 0; i < labels.length; i++) {
            seed[i * 3 + labels[i]] += 1;
            seed[i * 3 + cols.runnerUp()[i]] -= 1;
        }
        double[] g0 = tp.pullback().apply(Tensor.of(T, seed, labels.length, 3)).get(0).toDoubleArray();
        for (int i = 0; i < labels.length; i++) {
            double ss = 0;
            for (int k = 0; k < 5; k++) {
                double gx = 0;
                for (int j = 0; j < 7; j++) {
                    gx += w[j * 5 + k] * g0[i * 7 + j];
                }
                ss += gx * gx;
            }
            assertThat(input[i]).isCloseTo(cols.output()[i] / Math.sqrt(ss), within(1e-12));
        }
    }

    @Test
    void spectralNormOfATwoByTwoMatchesTheClosedForm() {
        double a = 1.5;
        double b = -0.7;
        double c = 2.2;
        double e = 0.4;
        double s = a * a + b * b + c * c + e * e;
        double det = a * e - b * c;
        double sigma = Math.sqrt((s + Math.sqrt(s * s - 4 * det * det)) / 2);
        assertThat(ModelMargins.spectralNorm(new double[][] {{a, b}, {c, e}})).isCloseTo(sigma, within(1e-10));
    }

    @Test
    void normalisedMarginsIgnoreTheReluRescalingSymmetry() {
        // multiply layer 0 (weight and bias) by alpha and layer 2's weight by 1/alpha: same function
        SplittableRandom rnd = new SplittableRandom(3);
        Network net = new Network(Sequential.mlp(4, 6, 3), 4);
        Tensor theta = net.initParams(T, 7);
        double alpha = 5.0;
        double[] v = theta.toDoubleArray();
        int w0 = 6 * 4;
        int b0 = w0 + 6;
        int w2 = b0 + 3 * 6;
        for (int i = 0; i < b0; i++) {
            v[i] *= alpha;
        }
        for (int i = b0; i < w2; i++) {
            v[i] /= alpha;
        }
        Tensor scaled = Tensor.of(T, v, v.length);
        Tensor x = Tensor.normal(T, rnd, 6, 4);
        int[] labels = {0, 1, 2, 0, 1, 2};
        double[] m1 = Margins.of(net.logits(Var.of(theta), x).value(), labels).output();
        double[] m2 = Margins.of(net.logits(Var.of(scaled), x).value(), labels).output();
        assertThat(m2).containsExactly(m1, within(1e-12));
        double p1 = ModelMargins.spectralNormProduct(net, theta);
        double p2 = ModelMargins.spectralNormProduct(net, scaled);
        assertThat(p2).isCloseTo(p1, within(1e-9 * p1));
        assertThat(ModelMargins.frobeniusNormProduct(net, scaled))
                .isCloseTo(ModelMargins.frobeniusNormProduct(net, theta), within(1e-9 * p1));
        assertThat(ModelMargins.normalised(m2, p2)).containsExactly(ModelMargins.normalised(m1, p1), within(1e-9));
        assertThat(TensorOps.sub(theta, scaled).toDoubleArray()[0]).isNotZero(); // really reparametrised
    }
}
