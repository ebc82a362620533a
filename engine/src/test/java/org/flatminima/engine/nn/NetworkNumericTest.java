package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Forward against plain loops on doubles; the gradient of the loss with respect to the flat vector against
 * central finite differences; Hessian-vector products against finite differences of the gradient (float64).
 */
@Tag("backends")
class NetworkNumericTest {
    static final int N = 5;

    /** Every layer kind: indices 0 Flatten, 1 Linear, 2 Tanh, 3 Linear (no bias), 4 LeakyReLU, ..., 9 Linear. */
    static Sequential model() {
        return Sequential.of(new Flatten(), new Linear(6, 5), new Tanh(), new Linear(5, 4, false),
                new LeakyReLU(0.1), new Linear(4, 4), new Sigmoid(), new Linear(4, 4), new ReLU(), new Linear(4, 3));
    }

    static Tensor input(long seed) {
        return Tensor.normal(DType.F64, new SplittableRandom(seed), N, 2, 3);
    }

    /** y[n, o] = sum_i x[n, i] w[o, i] (+ b[o]) with w at theta[off], b right after it. */
    static double[][] linear(double[][] x, double[] th, int off, int in, int out, boolean bias) {
        double[][] y = new double[x.length][out];
        for (int n = 0; n < x.length; n++) {
            for (int o = 0; o < out; o++) {
                double s = bias ? th[off + out * in + o] : 0;
                for (int i = 0; i < in; i++) {
                    s += x[n][i] * th[off + o * in + i];
                }
                y[n][o] = s;
            }
        }
        return y;
    }

    static double[][] map(double[][] x, java.util.function.DoubleUnaryOperator f) {
        double[][] y = new double[x.length][];
        for (int n = 0; n < x.length; n++) {
            y[n] = java.util.Arrays.stream(x[n]).map(f).toArray();
        }
        return y;
    }

    static double[][] byHand(double[] th, double[] xs) {
        double[][] x = new double[N][6];
        for (int n = 0; n < N; n++) {
            System.arraycopy(xs, n * 6, x[n], 0, 6);
        }
        int off = 0;
        double[][] h = map(linear(x, th, off, 6, 5, true), Math::tanh);
        off += 35;
        h = map(linear(h, th, off, 5, 4, false), v -> v > 0 ? v : 0.1 * v);
        off += 20;
        h = map(linear(h, th, off, 4, 4, true), v -> 1 / (1 + Math.exp(-v)));
        off += 20;
        h = map(linear(h, th, off, 4, 4, true), v -> Math.max(v, 0));
        off += 20;
        h = linear(h, th, off, 4, 3, true);
        off += 15;
        assertThat(off).isEqualTo(110);
        return h;
    }

    @Test
    void forwardEqualsAHandWrittenComputation() {
        Network net = new Network(model(), 2, 3);
        assertThat(net.parameterCount()).isEqualTo(110);
        assertThat(net.layout().names()).containsExactly("1.weight", "1.bias", "3.weight", "5.weight", "5.bias",
                "7.weight", "7.bias", "9.weight", "9.bias");
        Tensor theta = net.initParams(DType.F64, 7);
        Tensor x = input(8);
        double[] z = net.logits(Var.of(theta), x).value().toDoubleArray();
        double[][] want = byHand(theta.toDoubleArray(), x.toDoubleArray());
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < 3; c++) {
                assertThat(z[n * 3 + c]).as("logit [%d, %d]", n, c).isCloseTo(want[n][c],
                        org.assertj.core.data.Offset.offset(1e-12));
            }
        }
        // the loss: mean of log-sum-exp minus the label's logit
        int[] y = {0, 2, 1, 1, 0};
        double loss = 0;
        for (int n = 0; n < N; n++) {
            double m = Math.max(want[n][0], Math.max(want[n][1], want[n][2]));
            double lse = m + Math.log(Math.exp(want[n][0] - m) + Math.exp(want[n][1] - m) + Math.exp(want[n][2] - m));
            loss += (lse - want[n][y[n]]) / N;
        }
        assertThat(net.loss(Var.of(theta), x, y).item()).isCloseTo(loss, org.assertj.core.data.Offset.offset(1e-12));
    }

    static Var plus(Tensor theta, double s, double[] v) {
        double[] t = theta.toDoubleArray();
        for (int i = 0; i < t.length; i++) {
            t[i] += s * v[i];
        }
        return Var.of(Tensor.of(DType.F64, t, t.length));
    }

    /** max |a - b| / max |b|. */
    static double rel(double[] a, double[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num = Math.max(num, Math.abs(a[i] - b[i]));
            den = Math.max(den, Math.abs(b[i]));
        }
        return num / den;
    }

    /** A model without kinks (tanh, sigmoid) so finite differences are clean; ReLU/LeakyReLU checked separately. */
    static Network smooth() {
        return new Network(Sequential.of(new Flatten(), new Linear(6, 5), new Tanh(), new Linear(5, 4),
                new Sigmoid(), new Linear(4, 3)), 2, 3);
    }

    static void checkGradAndHvp(Network net, long seed) {
        checkGradAndHvp(net, seed, N, new int[] {2, 3});
    }

    /** Gradient and three HVPs at a random point, for n random inputs of the given sample shape. */
    static void checkGradAndHvp(Network net, long seed, int n, int[] sample) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor theta = net.initParams(DType.F64, rnd.nextLong());
        // scale the init up so the loss is not nearly linear (larger curvature to compare)
        Tensor th = plus(theta, 2.0, theta.toDoubleArray()).value();
        int[] shape = new int[sample.length + 1];
        shape[0] = n;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Tensor x = Tensor.normal(DType.F64, rnd, shape);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(net.classes());
        }
        Function<Var, Var> f = net.lossFunction(x, y);
        int p = net.parameterCount();
        double h = 1e-6;

        double[] g = Autodiff.grad(f, Var.of(th)).value().toDoubleArray();
        double[] fd = new double[p];
        double[] e = new double[p];
        for (int i = 0; i < p; i++) {
            e[i] = 1;
            fd[i] = (f.apply(plus(th, h, e)).item() - f.apply(plus(th, -h, e)).item()) / (2 * h);
            e[i] = 0;
        }
        assertThat(rel(g, fd)).as("gradient vs central differences").isLessThan(1e-7);

        for (int k = 0; k < 3; k++) {
            double[] v = Tensor.normal(DType.F64, rnd, p).toDoubleArray();
            double[] hv = Autodiff.hvp(f, Var.of(th), Var.of(Tensor.of(DType.F64, v, p))).value().toDoubleArray();
            double[] gp = Autodiff.grad(f, plus(th, h, v)).value().toDoubleArray();
            double[] gm = Autodiff.grad(f, plus(th, -h, v)).value().toDoubleArray();
            double[] fdh = new double[p];
            for (int i = 0; i < p; i++) {
                fdh[i] = (gp[i] - gm[i]) / (2 * h);
            }
            assertThat(rel(hv, fdh)).as("HVP vs differences of the gradient").isLessThan(1e-6);
        }
    }

    @Test
    void gradientAndHvpOfASmoothNetworkMatchFiniteDifferences() {
        checkGradAndHvp(smooth(), 41);
    }

    @Test
    void gradientAndHvpOfTheFullModelWithKinksMatchFiniteDifferences() {
        // ReLU and LeakyReLU: differentiable almost everywhere; random inputs keep pre-activations away from 0
        checkGradAndHvp(new Network(model(), 2, 3), 42);
    }

    @Test
    void batchedHvpThroughTheLayerViewsEqualsOneAtATime() {
        Network net = new Network(model(), 2, 3);
        SplittableRandom rnd = new SplittableRandom(43);
        Var theta = Var.of(net.initParams(DType.F64, 44));
        Function<Var, Var> f = net.lossFunction(input(45), new int[] {2, 1, 0, 2, 1});
        int p = net.parameterCount();
        int k = 4;
        Tensor dirs = Tensor.normal(DType.F64, rnd, k, p);
        double[] batched = Autodiff.hvpBatch(f, theta, Var.of(dirs)).value().toDoubleArray();
        for (int j = 0; j < k; j++) {
            double[] one = Autodiff.hvp(f, theta, Var.of(dirs.select(0, j).contiguous())).value().toDoubleArray();
            double[] row = java.util.Arrays.copyOfRange(batched, j * p, (j + 1) * p);
            assertThat(rel(row, one)).as("direction %d", j).isLessThan(1e-12);
        }
    }

    @Test
    void perLayerRangesCoverTheFlatVectorInOrder() {
        Network net = new Network(model(), 2, 3);
        var ranges = net.layerRanges();
        assertThat(ranges).extracting(ParameterLayout.LayerRange::name).containsExactly("1", "3", "5", "7", "9");
        int end = 0;
        for (var r : ranges) {
            assertThat(r.offset()).isEqualTo(end);
            end = r.end();
        }
        assertThat(end).isEqualTo(net.parameterCount());
    }
}
