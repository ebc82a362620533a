package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.ImageOps;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Convolution and pooling: forwards against direct loops written from the definitions, and the Hessian of small
 * CNNs (float64) several ways, one of them with a convolution computed by Winograd's algorithm: dense from
 * forward-over-reverse HVPs, central finite differences of the gradient, reverse-over-reverse; HVP symmetry; and
 * a float32 gradient against the float64 one.
 */
@Tag("backends")
class ConvNetTest {
    static final TreeMap<String, Double> WORST = new TreeMap<>();

    @AfterAll
    static void printWorst() {
        System.out.println("conv/pool tests, worst errors: " + WORST);
    }

    static void check(String name, double err, double bound) {
        synchronized (WORST) {
            WORST.merge(name, err, Math::max);
        }
        assertThat(err).as(name).isLessThan(bound);
    }

    // ------------------------------------------------------------------ forwards against the definitions

    /** y[b,o,oy,ox] = sum_{c,i,j} w[o,c,i,j] x[b,c,oy*s-p+i,ox*s-p+j], zero outside. */
    static double[] directConv(double[] x, int n, int c, int h, int wd, double[] w, int o, int kh, int kw,
                               int s, int p) {
        int oh = (h + 2 * p - kh) / s + 1;
        int ow = (wd + 2 * p - kw) / s + 1;
        double[] y = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = 0;
                        for (int ci = 0; ci < c; ci++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int iy = oy * s - p + i;
                                    int ix = ox * s - p + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        acc += w[((oc * c + ci) * kh + i) * kw + j] * x[((b * c + ci) * h + iy) * wd + ix];
                                    }
                                }
                            }
                        }
                        y[((b * o + oc) * oh + oy) * ow + ox] = acc;
                    }
                }
            }
        }
        return y;
    }

    @Test
    void conv2dMatchesADirectLoop() {
        SplittableRandom rnd = new SplittableRandom(1);
        int[][] geoms = {{1, 0}, {1, 1}, {2, 1}, {3, 2}, {2, 0}};
        for (int[] sp : geoms) {
            int n = 2;
            int c = 3;
            int h = 7;
            int wd = 6;
            int o = 4;
            int kh = 3;
            int kw = 2;
            Tensor x = Tensor.normal(DType.F64, rnd, n, c, h, wd);
            Tensor w = Tensor.normal(DType.F64, rnd, o, c, kh, kw);
            Var y = Var.of(x).conv2d(Var.of(w), sp[0], sp[1]);
            double[] want = directConv(x.toDoubleArray(), n, c, h, wd, w.toDoubleArray(), o, kh, kw, sp[0], sp[1]);
            assertThat(y.shape()).containsExactly(n, o, (h + 2 * sp[1] - kh) / sp[0] + 1, (wd + 2 * sp[1] - kw) / sp[0] + 1);
            check("conv2d vs direct loop", Numeric.relErr(y.value().toDoubleArray(), want), 1e-13);
        }
        // extra leading axes are folded into the batch
        Tensor x5 = Tensor.normal(DType.F64, rnd, 2, 3, 2, 5, 5);
        Tensor w = Tensor.normal(DType.F64, rnd, 4, 2, 3, 3);
        Var y5 = Var.of(x5).conv2d(Var.of(w), 1, 1);
        assertThat(y5.shape()).containsExactly(2, 3, 4, 5, 5);
        double[] want = directConv(x5.toDoubleArray(), 6, 2, 5, 5, w.toDoubleArray(), 4, 3, 3, 1, 1);
        check("conv2d vs direct loop", Numeric.relErr(y5.value().toDoubleArray(), want), 1e-13);
    }

    /** The transposes against their defining identities {@code <conv(x,w), g> = <x, gx> = <w, gw>}, on strided views. */
    @Test
    void conv2dTransposesSatisfyTheAdjointIdentities() {
        SplittableRandom rnd = new SplittableRandom(2);
        Tensor x = Tensor.normal(DType.F64, rnd, 3, 2, 8, 7);
        Tensor w = Tensor.normal(DType.F64, rnd, 5, 2, 3, 3);
        Tensor y = ImageOps.conv2d(x, w, 2, 1);
        Tensor g = Tensor.normal(DType.F64, rnd, y.shape());
        double lhs = Numeric.dot(Var.of(y), Var.of(g));
        double viaX = Numeric.dot(Var.of(x), Var.of(ImageOps.conv2dInputGrad(g, w, 8, 7, 2, 1)));
        double viaW = Numeric.dot(Var.of(w), Var.of(ImageOps.conv2dWeightGrad(x, g, 3, 3, 2, 1)));
        check("conv2d adjoint identities", Math.abs(lhs - viaX) / Math.abs(lhs), 1e-13);
        check("conv2d adjoint identities", Math.abs(lhs - viaW) / Math.abs(lhs), 1e-13);
    }

    @Test
    void poolingMatchesTheDefinitions() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 2;
        int c = 3;
        int h = 7;
        int wd = 6;
        int[][] geoms = {{2, 2, 0}, {3, 2, 1}, {3, 1, 1}, {2, 1, 0}};
        Tensor x = Tensor.normal(DType.F64, rnd, n, c, h, wd);
        double[] xs = x.toDoubleArray();
        for (int[] g : geoms) {
            int k = g[0];
            int s = g[1];
            int p = g[2];
            int oh = (h + 2 * p - k) / s + 1;
            int ow = (wd + 2 * p - k) / s + 1;
            double[] mx = new double[n * c * oh * ow];
            double[] av = new double[mx.length];
            for (int pl = 0; pl < n * c; pl++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double best = Double.NEGATIVE_INFINITY;
                        double sum = 0;
                        for (int i = 0; i < k; i++) {
                            for (int j = 0; j < k; j++) {
                                int iy = oy * s - p + i;
                                int ix = ox * s - p + j;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                    double v = xs[(pl * h + iy) * wd + ix];
                                    best = Math.max(best, v);
                                    sum += v;
                                }
                            }
                        }
                        mx[(pl * oh + oy) * ow + ox] = best;
                        av[(pl * oh + oy) * ow + ox] = sum / (k * k);
                    }
                }
            }
            check("max_pool2d vs definition",
                    Numeric.relErr(Var.of(x).maxPool2d(k, s, p).value().toDoubleArray(), mx), 1e-15);
            check("avg_pool2d vs definition",
                    Numeric.relErr(Var.of(x).avgPool2d(k, s, p).value().toDoubleArray(), av), 1e-15);
        }
    }

    /** On ties the derivative goes to the first maximum in row-major window order (as PyTorch). */
    @Test
    void maxPoolRoutesTiesToTheFirstMaximum() {
        // one 1x1x4x4 plane of ones except a larger value at (3, 3); windows 2x2 stride 2
        double[] v = new double[16];
        java.util.Arrays.fill(v, 1.0);
        v[15] = 2.0;
        Var x = Var.of(Tensor.of(DType.F64, v, 1, 1, 4, 4));
        double[] g = Autodiff.grad(a -> a.maxPool2d(2, 2, 0).sum(), x).value().toDoubleArray();
        double[] want = new double[16];
        want[0] = 1; // window (0,0): first of four ties
        want[2] = 1; // window (0,1)
        want[8] = 1; // window (1,0)
        want[15] = 1; // window (1,1): the unique maximum
        assertThat(g).containsExactly(want);
        // JVP routes the tangent the same way
        double[] t = new double[16];
        for (int i = 0; i < 16; i++) {
            t[i] = i;
        }
        Var dy = Autodiff.jvp(a -> a.maxPool2d(2, 2, 0), x, Var.of(Tensor.of(DType.F64, t, 1, 1, 4, 4))).tangent();
        assertThat(dy.value().toDoubleArray()).containsExactly(0, 2, 8, 15);
    }

    @Test
    void shapeErrorsNameTheProblem() {
        Var x = Var.of(Tensor.zeros(DType.F64, 2, 3, 5, 5));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> x.conv2d(Var.of(Tensor.zeros(DType.F64, 4, 2, 3, 3)), 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight must be [out, 3, kh, kw]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Var.of(Tensor.zeros(DType.F64, 3, 5, 5)).maxPool2d(2, 2, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[N, C, H, W]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> x.avgPool2d(2, 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most half the kernel size");
    }

    // ------------------------------------------------------------------ small CNNs, Hessians several ways

    static final int N = 4;
    static final int CLS = 3;

    record Data(Var x, int[] labels) {
    }

    static Data data(long seed, DType dtype) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            y[i] = rnd.nextInt(CLS);
        }
        return new Data(Var.of(Tensor.normal(DType.F64, rnd, N, 1, 6, 6).to(dtype)), y);
    }

    /** Sizes of model A: 0.weight [2,1,3,3], 0.bias [2], 4.weight [3, 18], 4.bias [3]. */
    static final int P_A = 18 + 2 + CLS * 18 + CLS;

    /** Model A: conv 1->2 3x3 pad 1, ReLU, max-pool 2, flatten, linear 18 -> 3, mean cross-entropy. */
    static Function<Var, Var> modelA(Data d) {
        return theta -> {
            Var w1 = theta.view(0, 2, 1, 3, 3);
            Var b1 = theta.view(18, 2, 1, 1);
            Var w2 = theta.view(20, CLS, 18);
            Var b2 = theta.view(20 + CLS * 18, CLS);
            Var h = d.x().conv2d(w1, 1, 1).add(b1).relu().maxPool2d(2, 2, 0).reshape(N, 18);
            return h.matmul(w2.mT()).add(b2).crossEntropy(d.labels());
        };
    }

    /** Sizes of model B: 0.weight [2,1,3,3], 0.bias [2], 3.weight [2,2,2,2], 3.bias [2], 6.weight [3, 8], 6.bias [3]. */
    static final int P_B = 18 + 2 + 16 + 2 + CLS * 8 + CLS;

    /**
     * Model B, smooth, so that the conv input transpose and every second-order term of the conv rules matter:
     * conv 1->2 3x3 pad 1, tanh, avg-pool 2 (6x6 -> 3x3), conv 2->2 2x2 stride 2 pad 1 (3x3 -> 2x2),
     * tanh, flatten, linear 8 -> 3, mean cross-entropy.
     */
    static Function<Var, Var> modelB(Data d) {
        return theta -> {
            Var w1 = theta.view(0, 2, 1, 3, 3);
            Var b1 = theta.view(18, 2, 1, 1);
            Var w2 = theta.view(20, 2, 2, 2, 2);
            Var b2 = theta.view(36, 2, 1, 1);
            Var w3 = theta.view(38, CLS, 8);
            Var b3 = theta.view(38 + CLS * 8, CLS);
            Var h = d.x().conv2d(w1, 1, 1).add(b1).tanh().avgPool2d(2, 2, 0);
            h = h.conv2d(w2, 2, 1).add(b2).tanh().reshape(N, 8);
            return h.matmul(w3.mT()).add(b3).crossEntropy(d.labels());
        };
    }

    /** Sizes of model C: conv 1->8 3x3, conv 8->8 3x3 (with biases), linear 72 -> 3. */
    static final int P_C = 72 + 8 + 576 + 8 + CLS * 72 + CLS;

    /**
     * Model C, smooth, whose second convolution (8 input channels, 3x3, stride 1) runs by Winograd's F(2x2, 3x3)
     * ({@code org.flatminima.engine.Winograd}) in the forward, both gradients and all their tangents: conv 1->8
     * 3x3 pad 1, tanh, conv 8->8 3x3 pad 1, tanh, avg-pool 2 (6x6 -> 3x3), flatten, linear 72 -> 3.
     */
    static Function<Var, Var> modelC(Data d) {
        return theta -> {
            Var w1 = theta.view(0, 8, 1, 3, 3);
            Var b1 = theta.view(72, 8, 1, 1);
            Var w2 = theta.view(80, 8, 8, 3, 3);
            Var b2 = theta.view(656, 8, 1, 1);
            Var w3 = theta.view(664, CLS, 72);
            Var b3 = theta.view(664 + CLS * 72, CLS);
            Var h = d.x().conv2d(w1, 1, 1).add(b1).tanh();
            h = h.conv2d(w2, 1, 1).add(b2).tanh().avgPool2d(2, 2, 0).reshape(N, 72);
            return h.matmul(w3.mT()).add(b3).crossEntropy(d.labels());
        };
    }

    private void severalWays(String tag, Function<Var, Var> f, Var theta) {
        double[][] hvp = HessianTest.dense(Autodiff.hessian(f, theta));
        double[][] fd = HessianTest.finiteDifferences(f, theta);
        double[][] ror = HessianTest.reverseOverReverse(f, theta);
        check(tag + ": finite differences vs HVP", HessianTest.rel(fd, hvp), 1e-6);
        check(tag + ": reverse-over-reverse vs HVP", HessianTest.rel(ror, hvp), 1e-8);
        check(tag + ": asymmetry of dense HVP Hessian", HessianTest.asym(hvp), 1e-10);
        SplittableRandom rnd = new SplittableRandom(tag.hashCode());
        for (int r = 0; r < 3; r++) {
            Var u = Numeric.normal(rnd, theta.dim(0));
            Var v = Numeric.normal(rnd, theta.dim(0));
            double uHv = Numeric.dot(u, Autodiff.hvp(f, theta, v));
            double vHu = Numeric.dot(v, Autodiff.hvp(f, theta, u));
            check(tag + ": hvp symmetry u.Hv vs v.Hu", Math.abs(uHv - vHu) / Math.abs(uHv), 1e-10);
        }
    }

    @Test
    void cnnReluMaxPoolHessianSeveralWays() {
        for (long seed = 10; seed < 12; seed++) {
            Var theta = Numeric.normal(new SplittableRandom(seed + 100), P_A).scale(0.7);
            severalWays("cnn conv-relu-maxpool-linear", modelA(data(seed, DType.F64)), theta);
        }
    }

    @Test
    void cnnTanhAvgPoolTwoConvsHessianSeveralWays() {
        Var theta = Numeric.normal(new SplittableRandom(21), P_B);
        severalWays("cnn conv-tanh-avgpool-conv(stride 2)-tanh-linear", modelB(data(20, DType.F64)), theta);
    }

    @Test
    void cnnWithAWinogradConvolutionHessianSeveralWays() {
        Var theta = Numeric.normal(new SplittableRandom(41), P_C).scale(0.4);
        severalWays("cnn conv-tanh-conv(8 channels, Winograd)-tanh-avgpool-linear", modelC(data(40, DType.F64)), theta);
    }

    @Test
    void float32GradientAgreesWithFloat64() {
        Var theta64 = Numeric.normal(new SplittableRandom(31), P_A).scale(0.7);
        Var theta32 = Var.of(theta64.value().to(DType.F32));
        double[] g64 = Autodiff.grad(modelA(data(30, DType.F64)), theta64).value().toDoubleArray();
        Var g32 = Autodiff.grad(modelA(data(30, DType.F32)), theta32);
        assertThat(g32.dtype()).isEqualTo(DType.F32);
        check("cnn gradient f32 vs f64", Numeric.relErr(g32.value().toDoubleArray(), g64), 1e-5);
        double[] hv64 = Autodiff.hvp(modelA(data(30, DType.F64)), theta64, Var.of(theta64.value()))
                .value().toDoubleArray();
        double[] hv32 = Autodiff.hvp(modelA(data(30, DType.F32)), theta32, theta32).value().toDoubleArray();
        check("cnn hvp f32 vs f64", Numeric.relErr(hv32, hv64), 1e-4);
    }
}
