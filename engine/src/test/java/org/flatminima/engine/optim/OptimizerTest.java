package org.flatminima.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The optimisers against an independent double-precision transcription of PyTorch's published update
 * equations (torch.optim.SGD / Adam / AdamW documentation), written here with plain arrays.
 */
@Tag("backends")
class OptimizerTest {

    private static final int P = 37;
    private static final int STEPS = 8;

    /** Reference SGD on arrays, following PyTorch's algorithm box; returns params after each step. */
    private static double[][] referenceSgd(double[] p0, double[][] grads, double[] lrs, double mu, double tau,
                                           double wd, boolean nesterov) {
        double[] p = p0.clone();
        double[] b = null;
        double[][] out = new double[grads.length][];
        for (int t = 0; t < grads.length; t++) {
            double[] g = grads[t].clone();
            for (int i = 0; i < p.length; i++) {
                g[i] = g[i] + wd * p[i];
            }
            if (mu != 0) {
                if (b == null) {
                    b = g.clone();
                } else {
                    for (int i = 0; i < p.length; i++) {
                        b[i] = mu * b[i] + (1 - tau) * g[i];
                    }
                }
                for (int i = 0; i < p.length; i++) {
                    g[i] = nesterov ? g[i] + mu * b[i] : b[i];
                }
            }
            for (int i = 0; i < p.length; i++) {
                p[i] = p[i] - lrs[t] * g[i];
            }
            out[t] = p.clone();
        }
        return out;
    }

    /** Reference Adam / AdamW on arrays (PyTorch's algorithm boxes, amsgrad off, maximize off). */
    private static double[][] referenceAdam(double[] p0, double[][] grads, double[] lrs, double b1, double b2,
                                            double eps, double wd, boolean decoupled) {
        double[] p = p0.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        double[][] out = new double[grads.length][];
        for (int t = 1; t <= grads.length; t++) {
            double lr = lrs[t - 1];
            double[] g = grads[t - 1].clone();
            for (int i = 0; i < p.length; i++) {
                if (decoupled) {
                    p[i] = p[i] * (1 - lr * wd);
                } else {
                    g[i] = g[i] + wd * p[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] = p[i] - lr * mHat / (Math.sqrt(vHat) + eps);
            }
            out[t - 1] = p.clone();
        }
        return out;
    }

    private record Run(double[] p0, double[][] grads, double[] lrs) {
    }

    /** Random params and gradients, rounded to {@code t} so that both sides start from the same numbers. */
    private static Run randomRun(DType t, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] p0 = round(t, Tensor.normal(DType.F64, rnd, P).toDoubleArray());
        double[][] grads = new double[STEPS][];
        for (int s = 0; s < STEPS; s++) {
            grads[s] = round(t, Tensor.normal(DType.F64, rnd, P).toDoubleArray());
        }
        double[] lrs = new double[STEPS];
        for (int s = 0; s < STEPS; s++) {
            lrs[s] = s < 4 ? 0.05 : 0.02; // the learning rate changes mid-run
        }
        return new Run(p0, grads, lrs);
    }

    private static double[] round(DType t, double[] x) {
        return t == DType.F32 ? Tensor.of(DType.F64, x, x.length).to(DType.F32).toDoubleArray() : x;
    }

    private static double[][] runEngine(Optimizer opt, DType t, Run run) {
        Tensor p = Tensor.of(t, run.p0(), P);
        double[][] out = new double[STEPS][];
        for (int s = 0; s < STEPS; s++) {
            opt.setLearningRate(run.lrs()[s]);
            p = opt.step(p, Tensor.of(t, run.grads()[s], P));
            out[s] = p.toDoubleArray();
        }
        assertThat(opt.stepCount()).isEqualTo(STEPS);
        return out;
    }

    private static void assertClose(double[][] got, double[][] want, double tol) {
        for (int s = 0; s < want.length; s++) {
            for (int i = 0; i < want[s].length; i++) {
                assertThat(got[s][i]).as("step %d, element %d", s + 1, i)
                        .isCloseTo(want[s][i], within(tol * (1 + Math.abs(want[s][i]))));
            }
        }
    }

    @ParameterizedTest(name = "momentum={0} dampening={1} wd={2} nesterov={3}")
    @CsvSource({
        "0,   0,   0,    false",
        "0,   0,   0.01, false",
        "0.9, 0,   0,    false",
        "0.9, 0,   0.01, false",
        "0.9, 0,   0,    true",
        "0.9, 0,   0.01, true",
        "0.5, 0.3, 0.01, false",
    })
    void sgdMatchesPyTorchEquations(double mu, double tau, double wd, boolean nesterov) {
        for (DType t : new DType[] {DType.F64, DType.F32}) {
            Run run = randomRun(t, 11);
            double[][] want = referenceSgd(run.p0(), run.grads(), run.lrs(), mu, tau, wd, nesterov);
            double[][] got = runEngine(new Sgd(0.05, mu, tau, wd, nesterov), t, run);
            assertClose(got, want, t == DType.F64 ? 1e-12 : 2e-6);
        }
    }

    @ParameterizedTest(name = "wd={0} decoupled={1}")
    @CsvSource({
        "0,    false",
        "0.01, false",
        "0.1,  true",
    })
    void adamMatchesPyTorchEquations(double wd, boolean decoupled) {
        for (DType t : new DType[] {DType.F64, DType.F32}) {
            Run run = randomRun(t, 23);
            double[][] want = referenceAdam(run.p0(), run.grads(), run.lrs(), 0.9, 0.999, 1e-8, wd, decoupled);
            Adam opt = decoupled ? Adam.adamW(0.05, 0.9, 0.999, 1e-8, wd) : new Adam(0.05, 0.9, 0.999, 1e-8, wd);
            double[][] got = runEngine(opt, t, run);
            assertClose(got, want, t == DType.F64 ? 1e-12 : 2e-6);
        }
    }

    @Test
    void adamBiasCorrectionAtSteps1And2ByHand() {
        // lr 0.1, betas (0.9, 0.999), eps 1e-8; p0 = (1, -2), g1 = (0.5, 3), g2 = (-0.25, 3).
        // Step 1: m = 0.1 g, v = 0.001 g^2, c1 = 0.1, c2 = 0.001, so m/c1 = g, sqrt(v)/sqrt(c2) = |g| and
        //   p1 = p0 - 0.1 * g / (|g| + 1e-8).
        // Step 2: m = (0.020, 0.57), v = (0.00031225, 0.017991), c1 = 0.19, c2 = 0.001999;
        //   p2 = p1 - (0.1 / 0.19) * m / (sqrt(v / 0.001999) + 1e-8), evaluated with 40-digit decimals.
        Adam opt = new Adam(0.1);
        Tensor p = Tensor.of(DType.F64, new double[] {1, -2}, 2);
        p = opt.step(p, Tensor.of(DType.F64, new double[] {0.5, 3}, 2));
        assertThat(p.get(0)).isCloseTo(0.9000000019999999600000008, within(1e-15));
        assertThat(p.get(1)).isCloseTo(-2.0999999996666666677777778, within(1e-15));
        p = opt.step(p, Tensor.of(DType.F64, new double[] {-0.25, 3}, 2));
        assertThat(p.get(0)).isCloseTo(0.8733662987078461625593764, within(1e-15));
        assertThat(p.get(1)).isCloseTo(-2.1999999993333333355555555, within(1e-15));
        assertThat(opt.state().buffers().get(Adam.EXP_AVG).toDoubleArray())
                .containsExactly(new double[] {0.020, 0.57}, within(1e-15));
        assertThat(opt.state().buffers().get(Adam.EXP_AVG_SQ).toDoubleArray())
                .containsExactly(new double[] {0.00031225, 0.017991}, within(1e-15));
    }

    @Test
    void sgdFirstMomentumStepUsesTheGradientAsBuffer() {
        // momentum 0.9, dampening 0.5: step 1 sets b = g (no dampening); step 2: b = 0.9 b + 0.5 g.
        Sgd opt = new Sgd(1.0, 0.9, 0.5, 0, false);
        Tensor p = Tensor.of(DType.F64, new double[] {0}, 1);
        p = opt.step(p, Tensor.of(DType.F64, new double[] {2}, 1));
        assertThat(p.item()).isEqualTo(-2);
        p = opt.step(p, Tensor.of(DType.F64, new double[] {2}, 1));
        assertThat(p.item()).isEqualTo(-2 - (0.9 * 2 + 0.5 * 2));
        // Nesterov, momentum 0.5, lr 1: step 1: b = 4, d = 4 + 0.5 * 4 = 6; step 2: b = 2 + 4 = 6, d = 4 + 3 = 7.
        Sgd nes = new Sgd(1.0, 0.5, 0, true);
        Tensor q = Tensor.of(DType.F64, new double[] {0}, 1);
        q = nes.step(q, Tensor.of(DType.F64, new double[] {4}, 1));
        assertThat(q.item()).isEqualTo(-6);
        q = nes.step(q, Tensor.of(DType.F64, new double[] {4}, 1));
        assertThat(q.item()).isEqualTo(-13);
    }

    @Test
    void inputsAreNotModifiedAndMismatchesAreRejected() {
        Tensor p = Tensor.of(DType.F64, new double[] {1, 2}, 2);
        Tensor g = Tensor.of(DType.F64, new double[] {3, 4}, 2);
        Sgd opt = new Sgd(0.1, 0.9, 0.1, true);
        opt.step(p, g);
        opt.step(p, g);
        assertThat(p.toDoubleArray()).containsExactly(1, 2);
        assertThat(g.toDoubleArray()).containsExactly(3, 4);
        assertThatThrownBy(() -> opt.step(p, Tensor.zeros(DType.F64, 3))).hasMessageContaining("shape");
        assertThatThrownBy(() -> opt.step(p, Tensor.zeros(DType.F32, 2))).hasMessageContaining("grad is");
        assertThatThrownBy(() -> opt.step(Tensor.zeros(DType.F64, 3), Tensor.zeros(DType.F64, 3)))
                .hasMessageContaining("momentum_buffer");
        assertThatThrownBy(() -> new Sgd(0.1, 0, 0, true)).hasMessageContaining("Nesterov");
        assertThatThrownBy(() -> opt.setLearningRate(-1)).hasMessageContaining("learning rate");
    }

    @Test
    void stepInPlaceOverwritesTheParameters() {
        Tensor p = Tensor.of(DType.F64, new double[] {1, 2}, 2);
        Sgd opt = new Sgd(0.5);
        opt.stepInPlace(p, Tensor.of(DType.F64, new double[] {2, -2}, 2));
        assertThat(p.toDoubleArray()).containsExactly(0, 3);
    }
}
