package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Conv2d, MaxPool2d, AvgPool2d and BatchNorm as layers: PyTorch names, shapes, state_dict order with buffers,
 * init, forward against plain loops, gradient and HVP against finite differences, running statistics.
 */
@Tag("backends")
class ConvLayersTest {

    /** The W3: conv 32 3x3 pad 1, ReLU, maxpool 2, conv 64 3x3 pad 1, ReLU, maxpool 2, flatten, 128, 10. */
    static Sequential w3() {
        return Sequential.of(new Conv2d(1, 32, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1, true), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(3136, 128), new ReLU(), new Linear(128, 10));
    }

    @Test
    void cnnStateDictNamesShapesAndOffsetsArePyTorchs() {
        Network net = new Network(w3(), 1, 28, 28);
        List<ParameterLayout.Entry> e = net.layout().entries();
        assertThat(net.layout().names()).containsExactly("0.weight", "0.bias", "3.weight", "3.bias", "7.weight",
                "7.bias", "9.weight", "9.bias");
        assertThat(e.get(0).shape()).containsExactly(32, 1, 3, 3);
        assertThat(e.get(2).shape()).containsExactly(64, 32, 3, 3);
        assertThat(e.get(4).shape()).containsExactly(128, 3136);
        assertThat(e.get(6).shape()).containsExactly(10, 128);
        assertThat(e).extracting(ParameterLayout.Entry::offset)
                .containsExactly(0, 288, 320, 18_752, 18_816, 420_224, 420_352, 421_632);
        assertThat(net.parameterCount()).isEqualTo(421_642);
        assertThat(net.classes()).isEqualTo(10);
    }

    @Test
    void batchNormBuffersInterleaveInStateDictOrderButAreNotParameters() {
        Network net = new Network(Sequential.of(new Linear(4, 3), BatchNorm.batchNorm1d(3), new ReLU(),
                new Linear(3, 2)), 4);
        assertThat(net.layout().stateDictNames()).containsExactly("0.weight", "0.bias", "1.weight", "1.bias",
                "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias");
        assertThat(net.layout().names()).containsExactly("0.weight", "0.bias", "1.weight", "1.bias", "3.weight",
                "3.bias");
        assertThat(net.parameterCount()).isEqualTo(15 + 6 + 8);
        Tensor theta = net.initParams(DType.F64, 3);
        Map<String, Tensor> m = net.layout().toMap(theta);
        assertThat(m.get("1.weight").toDoubleArray()).containsExactly(1, 1, 1);
        assertThat(m.get("1.bias").toDoubleArray()).containsExactly(0, 0, 0);
        Map<String, Tensor> sd = net.stateDict(theta);
        assertThat(sd.keySet()).containsExactlyElementsOf(net.layout().stateDictNames());
        assertThat(sd.get("1.running_var").toDoubleArray()).containsExactly(1, 1, 1);
        assertThat(sd.get("1.num_batches_tracked").rank()).isZero();
        // round trip, and a missing buffer is named
        Tensor back = net.loadStateDict(sd, DType.F64);
        assertThat(back.toDoubleArray()).containsExactly(theta.toDoubleArray());
        Map<String, Tensor> missing = new java.util.LinkedHashMap<>(sd);
        missing.remove("1.running_mean");
        assertThatThrownBy(() -> net.loadStateDict(missing, DType.F64))
                .hasMessage("missing buffer '1.running_mean': expected shape [3]");
    }

    @Test
    void convWeightInitUsesFanInOfChannelsTimesKernelArea() {
        // fan_in = 16*3*3 = 144 (bound 0.0833); fan_out = 32*3*3 = 288 (bound 0.0589) would fail the variance
        Network net = new Network(Sequential.of(new Conv2d(16, 32, 3), new Flatten(), new Linear(32, 2)), 16, 3, 3);
        Map<String, Tensor> m = net.layout().toMap(net.initParams(DType.F64, 9));
        InitTest.checkUniform("0.weight", m.get("0.weight").toDoubleArray(), 144);
        InitTest.checkUniform("0.bias", m.get("0.bias").toDoubleArray(), 144);
    }

    // ------------------------------------------------------------------ forward by hand

    static final int N = 3;

    /**
     * [N,2,7,7]: 0 conv(2->3, k3, pad 1) 7x7, 1 tanh, 2 avgpool 2 -> 3x3, 3 conv(3->2, k2, no bias) -> 2x2,
     * 4 maxpool(2, stride 1) -> 1x1, 5 flatten -> 2, 6 linear(2, 3).
     */
    static Sequential small() {
        return Sequential.of(new Conv2d(2, 3, 3, 1, 1, true), new Tanh(), new AvgPool2d(2),
                new Conv2d(3, 2, 2, 1, 0, false), new MaxPool2d(2, 1, 0), new Flatten(), new Linear(2, 3));
    }

    /** x [n][c][h][w] conv w [o][c][k][k] at theta[off], then bias (if any) right after. */
    static double[][][][] conv(double[][][][] x, double[] th, int off, int o, int k, int stride, int pad, boolean bias) {
        int c = x[0].length;
        int h = x[0][0].length;
        int w = x[0][0][0].length;
        int ho = (h + 2 * pad - k) / stride + 1;
        int wo = (w + 2 * pad - k) / stride + 1;
        double[][][][] y = new double[x.length][o][ho][wo];
        for (int n = 0; n < x.length; n++) {
            for (int oc = 0; oc < o; oc++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double s = bias ? th[off + o * c * k * k + oc] : 0;
                        for (int ic = 0; ic < c; ic++) {
                            for (int a = 0; a < k; a++) {
                                for (int b = 0; b < k; b++) {
                                    int r = i * stride - pad + a;
                                    int q = j * stride - pad + b;
                                    if (r >= 0 && r < h && q >= 0 && q < w) {
                                        s += x[n][ic][r][q] * th[off + ((oc * c + ic) * k + a) * k + b];
                                    }
                                }
                            }
                        }
                        y[n][oc][i][j] = s;
                    }
                }
            }
        }
        return y;
    }

    static double[][][][] pool(double[][][][] x, int k, int stride, boolean max) {
        int ho = (x[0][0].length - k) / stride + 1;
        int wo = (x[0][0][0].length - k) / stride + 1;
        double[][][][] y = new double[x.length][x[0].length][ho][wo];
        for (int n = 0; n < x.length; n++) {
            for (int c = 0; c < x[0].length; c++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double s = max ? Double.NEGATIVE_INFINITY : 0;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                double v = x[n][c][i * stride + a][j * stride + b];
                                s = max ? Math.max(s, v) : s + v / (k * k);
                            }
                        }
                        y[n][c][i][j] = s;
                    }
                }
            }
        }
        return y;
    }

    static double[][][][] images(double[] v, int n, int c, int h, int w) {
        double[][][][] x = new double[n][c][h][w];
        int p = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < c; b++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        x[a][b][i][j] = v[p++];
                    }
                }
            }
        }
        return x;
    }

    static double[][] byHand(double[] th, double[] xs) {
        double[][][][] h = conv(images(xs, N, 2, 7, 7), th, 0, 3, 3, 1, 1, true);
        for (var a : h) {
            for (var b : a) {
                for (var r : b) {
                    for (int j = 0; j < r.length; j++) {
                        r[j] = Math.tanh(r[j]);
                    }
                }
            }
        }
        h = pool(h, 2, 2, false);
        h = conv(h, th, 57, 2, 2, 1, 0, false);
        h = pool(h, 2, 1, true);
        double[][] z = new double[N][3];
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < 3; o++) {
                z[n][o] = th[87 + o] + h[n][0][0][0] * th[81 + o * 2] + h[n][1][0][0] * th[81 + o * 2 + 1];
            }
        }
        return z;
    }

    @Test
    void smallCnnForwardEqualsPlainLoops() {
        Network net = new Network(small(), 2, 7, 7);
        assertThat(net.layout().names()).containsExactly("0.weight", "0.bias", "3.weight", "6.weight", "6.bias");
        assertThat(net.parameterCount()).isEqualTo(90);
        Tensor theta = net.initParams(DType.F64, 5);
        Tensor x = Tensor.normal(DType.F64, new SplittableRandom(6), N, 2, 7, 7);
        double[] z = net.logits(Var.of(theta), x).value().toDoubleArray();
        double[][] want = byHand(theta.toDoubleArray(), x.toDoubleArray());
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < 3; c++) {
                assertThat(z[n * 3 + c]).as("logit [%d, %d]", n, c).isCloseTo(want[n][c], within(1e-12));
            }
        }
    }

    @Test
    void cnnGradientAndHvpMatchFiniteDifferences() {
        NetworkNumericTest.checkGradAndHvp(new Network(small(), 2, 7, 7), 61, N, new int[] {2, 7, 7});
    }

    @Test
    void trainingModeBatchNormGradientAndHvpMatchFiniteDifferences() {
        // batch statistics make every point's output depend on the whole batch: the HVP must see that
        Network net = new Network(Sequential.of(new Conv2d(2, 3, 3), BatchNorm.batchNorm2d(3), new Tanh(),
                new AvgPool2d(2), new Flatten(), new Linear(3, 4), BatchNorm.batchNorm1d(4), new Sigmoid(),
                new Linear(4, 3)), 2, 4, 4);
        NetworkNumericTest.checkGradAndHvp(net, 62, 5, new int[] {2, 4, 4});
        NetworkNumericTest.checkGradAndHvp(net.withMode(Mode.EVAL), 63, 5, new int[] {2, 4, 4});
    }

    @Test
    void batchedHvpThroughConvPoolAndBatchNormEqualsOneAtATime() {
        Network net = new Network(Sequential.of(new Conv2d(2, 3, 3, 1, 1, true), BatchNorm.batchNorm2d(3),
                new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(12, 3)), 2, 4, 4);
        SplittableRandom rnd = new SplittableRandom(64);
        Var theta = Var.of(net.initParams(DType.F64, 65));
        Function<Var, Var> f = net.lossFunction(Tensor.normal(DType.F64, rnd, 4, 2, 4, 4), new int[] {0, 1, 2, 1});
        int p = net.parameterCount();
        Tensor dirs = Tensor.normal(DType.F64, rnd, 3, p);
        double[] batched = Autodiff.hvpBatch(f, theta, Var.of(dirs)).value().toDoubleArray();
        for (int j = 0; j < 3; j++) {
            double[] one = Autodiff.hvp(f, theta, Var.of(dirs.select(0, j).contiguous())).value().toDoubleArray();
            assertThat(NetworkNumericTest.rel(java.util.Arrays.copyOfRange(batched, j * p, (j + 1) * p), one))
                    .as("direction %d", j).isLessThan(1e-12);
        }
    }

    @Test
    void runningStatisticsUpdateOnlyWhenAsked() {
        Network net = new Network(Sequential.of(new Linear(3, 2), BatchNorm.batchNorm1d(2), new Linear(2, 2)), 3);
        Tensor theta = net.initParams(DType.F64, 7);
        Tensor x = Tensor.normal(DType.F64, new SplittableRandom(8), 4, 3);
        int[] y = {0, 1, 1, 0};
        net.loss(Var.of(theta), x, y);
        Autodiff.hvp(net.lossFunction(x, y), Var.of(theta), Var.of(theta));
        assertThat(net.buffers().get("1.num_batches_tracked").item()).isZero();
        assertThat(net.buffers().get("1.running_mean").toDoubleArray()).containsExactly(0, 0);

        Autodiff.valueAndGrad(t -> net.lossUpdatingBuffers(t, x, y), Var.of(theta));
        // by hand: h = x W^T + b; mean and unbiased variance per column; running = 0.9 running + 0.1 batch
        double[] th = theta.toDoubleArray();
        double[] xs = x.toDoubleArray();
        double[] mean = new double[2];
        double[] var = new double[2];
        double[][] h = new double[4][2];
        for (int n = 0; n < 4; n++) {
            for (int o = 0; o < 2; o++) {
                h[n][o] = th[6 + o] + xs[n * 3] * th[o * 3] + xs[n * 3 + 1] * th[o * 3 + 1] + xs[n * 3 + 2] * th[o * 3 + 2];
                mean[o] += h[n][o] / 4;
            }
        }
        for (int n = 0; n < 4; n++) {
            for (int o = 0; o < 2; o++) {
                var[o] += (h[n][o] - mean[o]) * (h[n][o] - mean[o]) / 3;
            }
        }
        double[] rm = net.buffers().get("1.running_mean").toDoubleArray();
        double[] rv = net.buffers().get("1.running_var").toDoubleArray();
        for (int o = 0; o < 2; o++) {
            assertThat(rm[o]).isCloseTo(0.1 * mean[o], within(1e-12));
            assertThat(rv[o]).isCloseTo(0.9 + 0.1 * var[o], within(1e-12));
        }
        assertThat(net.buffers().get("1.num_batches_tracked").item()).isEqualTo(1.0);

        // eval mode uses the running statistics: z = W2 (gamma (h - rm) / sqrt(rv + eps) + beta) + b2, gamma 1, beta 0
        Network eval = net.withMode(Mode.EVAL);
        double[] z = eval.logits(Var.of(theta), x).value().toDoubleArray();
        for (int n = 0; n < 4; n++) {
            double a0 = (h[n][0] - rm[0]) / Math.sqrt(rv[0] + 1e-5);
            double a1 = (h[n][1] - rm[1]) / Math.sqrt(rv[1] + 1e-5);
            for (int c = 0; c < 2; c++) {
                double want = th[16 + c] + a0 * th[12 + c * 2] + a1 * th[12 + c * 2 + 1];
                assertThat(z[n * 2 + c]).isCloseTo(want, within(1e-12));
            }
        }
        // eval mode never updates
        eval.lossUpdatingBuffers(Var.of(theta), x, y);
        assertThat(eval.buffers().get("1.num_batches_tracked").item()).isEqualTo(1.0);
    }

    @Test
    void convShapeErrorsNameTheLayer() {
        assertThatThrownBy(() -> new Network(w3(), 3, 28, 28))
                .hasMessage("layer 0 Conv2d(1, 32, kernel_size=3, stride=1, padding=1, bias=true): "
                        + "expected input shape [N, 1, H, W], got [1, 3, 28, 28]");
        assertThatThrownBy(() -> new Network(w3(), 1, 32, 32))
                .hasMessage("layer 7 Linear(in_features=3136, out_features=128, bias=true): "
                        + "expected input shape [N, 3136], got [1, 4096]");
    }
}
