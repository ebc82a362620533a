package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Batch normalisation (float64): forwards and the running-statistics update against loops written from the
 * definitions (PyTorch's conventions), the training-mode gradient against the textbook closed form and finite
 * differences, and its HVP against finite differences of the gradient, alone and inside a small network.
 */
@Tag("backends")
class BatchNormTest {
    static final TreeMap<String, Double> WORST = new TreeMap<>();
    static final double EPS = 1e-5;

    @AfterAll
    static void printWorst() {
        System.out.println("batch norm tests, worst errors: " + WORST);
    }

    static void check(String name, double err, double bound) {
        synchronized (WORST) {
            WORST.merge(name, err, Math::max);
        }
        assertThat(err).as(name).isLessThan(bound);
    }

    /** Per-channel {mean, biased variance} of x {@code [N, C, rest...]} (rest flattened to {@code inner}). */
    static double[][] stats(double[] x, int n, int c, int inner) {
        double[] mu = new double[c];
        double[] var = new double[c];
        double cnt = (double) n * inner;
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < inner; i++) {
                    s += x[(b * c + ch) * inner + i];
                }
            }
            mu[ch] = s / cnt;
            double q = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < inner; i++) {
                    double d = x[(b * c + ch) * inner + i] - mu[ch];
                    q += d * d;
                }
            }
            var[ch] = q / cnt;
        }
        return new double[][] {mu, var};
    }

    static double[] normalise(double[] x, int n, int c, int inner, double[] mu, double[] var, double[] gamma,
                              double[] beta) {
        double[] y = new double[x.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < inner; i++) {
                    int k = (b * c + ch) * inner + i;
                    y[k] = gamma[ch] * (x[k] - mu[ch]) / Math.sqrt(var[ch] + EPS) + beta[ch];
                }
            }
        }
        return y;
    }

    @Test
    void forwardsMatchTheDefinitions() {
        SplittableRandom rnd = new SplittableRandom(1);
        int[][] shapes = {{5, 3}, {3, 2, 4, 4}, {4, 3, 5}};
        for (int[] sh : shapes) {
            int n = sh[0];
            int c = sh[1];
            int inner = 1;
            for (int d = 2; d < sh.length; d++) {
                inner *= sh[d];
            }
            Tensor x = Tensor.normal(DType.F64, rnd, sh);
            Tensor gamma = Tensor.uniform(DType.F64, rnd, 0.5, 2, c);
            Tensor beta = Tensor.normal(DType.F64, rnd, c);
            double[] xs = x.toDoubleArray();
            double[][] st = stats(xs, n, c, inner);
            double[] want = normalise(xs, n, c, inner, st[0], st[1], gamma.toDoubleArray(), beta.toDoubleArray());
            Var y = Functional.batchNorm(Var.of(x), Var.of(gamma), Var.of(beta));
            check("batchNorm training vs definition", Numeric.relErr(y.value().toDoubleArray(), want), 1e-13);

            Tensor rm = Tensor.normal(DType.F64, rnd, c);
            Tensor rv = Tensor.uniform(DType.F64, rnd, 0.5, 2, c);
            double[] wantEval = normalise(xs, n, c, inner, rm.toDoubleArray(), rv.toDoubleArray(),
                    gamma.toDoubleArray(), beta.toDoubleArray());
            Var ye = Functional.batchNormEval(Var.of(x), rm, rv, Var.of(gamma), Var.of(beta), EPS);
            check("batchNorm eval vs definition", Numeric.relErr(ye.value().toDoubleArray(), wantEval), 1e-13);

            // running statistics: momentum 0.1, unbiased variance
            Functional.RunningStats next = Functional.updateRunningStats(new Functional.RunningStats(rm, rv), x,
                    Functional.BN_MOMENTUM);
            double cnt = (double) n * inner;
            double[] wm = new double[c];
            double[] wv = new double[c];
            for (int ch = 0; ch < c; ch++) {
                wm[ch] = 0.9 * rm.toDoubleArray()[ch] + 0.1 * st[0][ch];
                wv[ch] = 0.9 * rv.toDoubleArray()[ch] + 0.1 * st[1][ch] * cnt / (cnt - 1);
            }
            check("running statistics vs definition", Numeric.relErr(next.mean().toDoubleArray(), wm), 1e-14);
            check("running statistics vs definition", Numeric.relErr(next.var().toDoubleArray(), wv), 1e-14);
        }
    }

    /** gx = gamma / sigma * (g - mean(g) - xhat * mean(g xhat)) per channel: the textbook closed form. */
    @Test
    void trainingGradientMatchesTheClosedForm() {
        SplittableRandom rnd = new SplittableRandom(2);
        int n = 6;
        int c = 3;
        Var x = Numeric.normal(rnd, n, c);
        Var gamma = Numeric.uniform(rnd, 0.5, 2, c);
        Var beta = Numeric.normal(rnd, c);
        Var g = Numeric.normal(rnd, n, c);
        Var[] grads = Autodiff.vjpN(a -> Functional.batchNorm(a[0], a[1], a[2]), x, gamma, beta).pullback().apply(g);
        double[] xs = x.value().toDoubleArray();
        double[] gs = g.value().toDoubleArray();
        double[] ga = gamma.value().toDoubleArray();
        double[][] st = stats(xs, n, c, 1);
        double[] want = new double[xs.length];
        double[] wantGamma = new double[c];
        double[] wantBeta = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double sigma = Math.sqrt(st[1][ch] + EPS);
            double mg = 0;
            double mgx = 0;
            for (int b = 0; b < n; b++) {
                double xh = (xs[b * c + ch] - st[0][ch]) / sigma;
                mg += gs[b * c + ch] / n;
                mgx += gs[b * c + ch] * xh / n;
                wantGamma[ch] += gs[b * c + ch] * xh;
                wantBeta[ch] += gs[b * c + ch];
            }
            for (int b = 0; b < n; b++) {
                double xh = (xs[b * c + ch] - st[0][ch]) / sigma;
                want[b * c + ch] = ga[ch] / sigma * (gs[b * c + ch] - mg - xh * mgx);
            }
        }
        check("batchNorm gradient vs closed form", Numeric.relErr(grads[0].value().toDoubleArray(), want), 1e-12);
        check("batchNorm gradient vs closed form", Numeric.relErr(grads[1].value().toDoubleArray(), wantGamma), 1e-12);
        check("batchNorm gradient vs closed form", Numeric.relErr(grads[2].value().toDoubleArray(), wantBeta), 1e-12);
    }

    /** s(x, gamma, beta) = sum(w * tanh(bn(x))): gradient and HVP against finite differences, 1-d and 2-d. */
    @Test
    void trainingGradientAndHvpAgreeWithFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] shapes = {{5, 3}, {3, 2, 3, 3}};
        for (int[] sh : shapes) {
            Var x = Numeric.normal(rnd, sh);
            Var gamma = Numeric.uniform(rnd, 0.5, 2, sh[1]);
            Var beta = Numeric.normal(rnd, sh[1]);
            Var w = Numeric.normal(rnd, sh);
            Function<Var[], Var> s = a -> Functional.batchNorm(a[0], a[1], a[2]).tanh().mul(w).sum();
            Var[] in = {x, gamma, beta};
            Var[] v = {Numeric.normal(rnd, sh), Numeric.normal(rnd, sh[1]), Numeric.normal(rnd, sh[1])};
            double[] grad = Numeric.flat(Autodiff.gradN(s, in));
            double gv = 0;
            for (int i = 0, o = 0; i < in.length; i++) {
                double[] vi = v[i].value().toDoubleArray();
                for (double e : vi) {
                    gv += grad[o++] * e;
                }
            }
            double fdGv = Numeric.fdDirectional(a -> new double[] {s.apply(a).item()}, in, v)[0];
            check("batchNorm directional gradient vs FD", Math.abs(gv - fdGv) / (1 + Math.abs(fdGv)), 1e-8);
            double[] hv = Numeric.flat(Autodiff.hvpN(s, in, v));
            double[] fdHv = Numeric.fdDirectional(a -> Numeric.flat(Autodiff.gradN(s, a)), in, v);
            check("batchNorm HVP vs FD of gradient", Numeric.relErr(hv, fdHv), 1e-6);
        }
    }

    static final int N = 6;
    static final int D = 4;
    static final int HID = 5;
    static final int C = 3;
    /** 0.weight [5,4], 0.bias [5], 1.weight [5], 1.bias [5], 3.weight [3,5], 3.bias [3]. */
    static final int P = HID * D + HID + HID + HID + C * HID + C;

    /** linear 4->5, batch norm 1-d (training), tanh, linear 5->3, mean cross-entropy. */
    static Function<Var, Var> network(Var x, int[] labels) {
        return theta -> {
            int o = 0;
            Var w1 = theta.view(o, HID, D);
            Var b1 = theta.view(o += HID * D, HID);
            Var gamma = theta.view(o += HID, HID);
            Var beta = theta.view(o += HID, HID);
            Var w2 = theta.view(o += HID, C, HID);
            Var b2 = theta.view(o + C * HID, C);
            Var h = Functional.batchNorm(x.matmul(w1.mT()).add(b1), gamma, beta).tanh();
            return h.matmul(w2.mT()).add(b2).crossEntropy(labels);
        };
    }

    @Test
    void hessianOfANetworkWithTrainingModeBatchNorm() {
        SplittableRandom rnd = new SplittableRandom(4);
        Var x = Numeric.normal(rnd, N, D);
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            labels[i] = rnd.nextInt(C);
        }
        Var theta = Numeric.normal(rnd, P);
        Function<Var, Var> f = network(x, labels);
        double[][] hvp = HessianTest.dense(Autodiff.hessian(f, theta));
        check("bn network: finite differences vs HVP", HessianTest.rel(HessianTest.finiteDifferences(f, theta), hvp),
                1e-6);
        check("bn network: reverse-over-reverse vs HVP",
                HessianTest.rel(HessianTest.reverseOverReverse(f, theta), hvp), 1e-8);
        check("bn network: asymmetry of dense HVP Hessian", HessianTest.asym(hvp), 1e-10);
        Var u = Numeric.normal(rnd, P);
        Var v = Numeric.normal(rnd, P);
        double uHv = Numeric.dot(u, Autodiff.hvp(f, theta, v));
        double vHu = Numeric.dot(v, Autodiff.hvp(f, theta, u));
        check("bn network: hvp symmetry u.Hv vs v.Hu", Math.abs(uHv - vHu) / Math.abs(uHv), 1e-10);
    }
}
