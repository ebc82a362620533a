package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** Dropout: the training-mode mask's rate, scale and reproducibility, gradients by finite differences, eval identity. */
class DropoutTest {

    /** Runs {@code layer} alone on {@code x} in {@code mode}, with noise seed {@code seed} (null: none). */
    private static Tensor run(Module layer, Tensor x, Mode mode, Long seed) {
        ParamView root = ParameterLayout.of(layer).root(Var.of(Tensor.zeros(DType.F64, 0)), mode, null, null)
                .withNoise(seed);
        return layer.forward(Var.of(x), root).value();
    }

    /**
     * n = 100,000 elements of ones with p = 0.3: the fraction of zeros has standard deviation
     * sqrt(p (1 - p) / n) = 0.00145 and the mean of the output (each element 0 or 1 / (1 - p), variance
     * p / (1 - p)) has sqrt(p / ((1 - p) n)) = 0.00207; the tolerances are 5 of each.
     */
    @Test
    void trainingMaskDropsAtRatePAndScalesTheRestByOneOverOneMinusP() {
        double p = 0.3;
        Tensor out = run(new Dropout(p), Tensor.full(DType.F64, 1, 200, 500), Mode.TRAIN, 42L);
        double[] v = out.toDoubleArray();
        int zeros = 0;
        double sum = 0;
        for (double y : v) {
            if (y == 0) {
                zeros++;
            } else {
                assertThat(y).isEqualTo(1 / (1 - p));
            }
            sum += y;
        }
        int n = v.length;
        assertThat(zeros / (double) n).isCloseTo(p, within(5 * Math.sqrt(p * (1 - p) / n)));
        assertThat(sum / n).isCloseTo(1.0, within(5 * Math.sqrt(p / ((1 - p) * n))));
    }

    @Test
    void masksAreReproducibleForASeedAndDifferAcrossSeedsAndLayers() {
        Tensor x = Tensor.normal(DType.F64, new SplittableRandom(1), 8, 50);
        double[] a = run(new Dropout(0.5), x, Mode.TRAIN, 7L).toDoubleArray();
        assertThat(run(new Dropout(0.5), x, Mode.TRAIN, 7L).toDoubleArray()).containsExactly(a);
        assertThat(run(new Dropout(0.5), x, Mode.TRAIN, 8L).toDoubleArray()).isNotEqualTo(a);
        // two dropout layers in one network draw different masks from one seed
        Sequential two = Sequential.of(new Dropout(0.5), new Dropout(0.5));
        ParamView root = ParameterLayout.of(two).root(Var.of(Tensor.zeros(DType.F64, 0)), Mode.TRAIN, null, null)
                .withNoise(7L);
        Tensor ones = Tensor.full(DType.F64, 1, 8, 50);
        double[] m0 = two.layers().get(0).forward(Var.of(ones), root.child(0)).value().toDoubleArray();
        double[] m1 = two.layers().get(1).forward(Var.of(ones), root.child(1)).value().toDoubleArray();
        assertThat(m0).isNotEqualTo(m1);
    }

    @Test
    void evalModeIsTheIdentityAndNeedsNoSeed() {
        Tensor x = Tensor.normal(DType.F64, new SplittableRandom(2), 4, 3, 5);
        assertThat(run(new Dropout(0.5), x, Mode.EVAL, null).toDoubleArray()).containsExactly(x.toDoubleArray());
        assertThat(run(new Dropout(0.0), x, Mode.TRAIN, null).toDoubleArray()).containsExactly(x.toDoubleArray());
        assertThat(java.util.Arrays.stream(run(new Dropout(1.0), x, Mode.TRAIN, 3L).toDoubleArray()).map(Math::abs)
                .toArray()).containsOnly(0.0);
    }

    @Test
    void trainingModeWithoutASeedIsAnErrorNotASilentIdentity() {
        Tensor x = Tensor.full(DType.F64, 1, 2, 3);
        assertThatThrownBy(() -> run(new Dropout(0.5), x, Mode.TRAIN, null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no noise seed")
                .hasMessageContaining("withMode(Mode.EVAL)");
        assertThatThrownBy(() -> new Dropout(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Network net() {
        return new Network(Sequential.of(new Linear(4, 6), new ReLU(), new Dropout(0.5), new Linear(6, 3)), 4);
    }

    /** With the seed fixed, the mask is fixed: the gradient matches central differences (float64). */
    @Test
    void gradientWithAFixedMaskMatchesFiniteDifferences() {
        Network net = net();
        Tensor x = Tensor.normal(DType.F64, new SplittableRandom(3), 5, 4);
        int[] labels = {0, 2, 1, 1, 0};
        Function<Var, Var> f = th -> net.logits(th, x, 99L).crossEntropy(labels);
        Tensor theta = net.initParams(DType.F64, 5);
        double[] g = Autodiff.grad(f, Var.of(theta)).value().toDoubleArray();
        double[] t = theta.toDoubleArray();
        double h = 1e-6;
        double maxAbs = 0;
        for (int i = 0; i < t.length; i++) {
            double[] plus = t.clone();
            double[] minus = t.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (f.apply(Var.of(Tensor.of(DType.F64, plus, t.length))).item()
                    - f.apply(Var.of(Tensor.of(DType.F64, minus, t.length))).item()) / (2 * h);
            assertThat(g[i]).as("parameter %d", i).isCloseTo(fd, within(1e-8));
            maxAbs = Math.max(maxAbs, Math.abs(g[i]));
        }
        assertThat(maxAbs).isGreaterThan(1e-3);
        // the mask matters: another seed gives another loss
        assertThat(net.logits(Var.of(theta), x, 100L).crossEntropy(labels).item())
                .isNotEqualTo(f.apply(Var.of(theta)).item());
    }

    /** In eval mode the network equals the one without the dropout layer, bit for bit. */
    @Test
    void evalNetworkEqualsTheNetworkWithoutDropout() {
        Network withDrop = net().withMode(Mode.EVAL);
        Network without = new Network(Sequential.of(new Linear(4, 6), new ReLU(), new Linear(6, 3)), 4);
        Tensor theta = withDrop.initParams(DType.F64, 6);
        Tensor x = Tensor.normal(DType.F64, new SplittableRandom(4), 5, 4);
        assertThat(withDrop.logits(Var.of(theta), x).value().toDoubleArray())
                .containsExactly(without.logits(Var.of(theta), x).value().toDoubleArray());
    }

    @Test
    void zeroPadPutsZerosAroundEveryChannelAndItsGradientCrops() {
        Tensor x = Tensor.normal(DType.F64, new SplittableRandom(5), 2, 3, 4, 5);
        ZeroPad2d pad = new ZeroPad2d(2);
        Tensor y = run(pad, x, Mode.TRAIN, null);
        assertThat(y.shape()).containsExactly(2, 3, 8, 9);
        double[] xv = x.toDoubleArray();
        double[] yv = y.toDoubleArray();
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 8; i++) {
                    for (int j = 0; j < 9; j++) {
                        boolean inside = i >= 2 && i < 6 && j >= 2 && j < 7;
                        double want = inside ? xv[((n * 3 + c) * 4 + i - 2) * 5 + j - 2] : 0;
                        assertThat(yv[((n * 3 + c) * 8 + i) * 9 + j]).isEqualTo(want);
                    }
                }
            }
        }
        // d/dx sum(w * pad(x)) = w cropped to the inside
        Tensor w = Tensor.normal(DType.F64, new SplittableRandom(6), 2, 3, 8, 9);
        double[] g = Autodiff.grad(v -> run2(pad, v).mul(Var.of(w)).sum(), Var.of(x)).value().toDoubleArray();
        double[] wv = w.toDoubleArray();
        for (int k = 0; k < g.length; k++) {
            int j = k % 5;
            int i = k / 5 % 4;
            int nc = k / 20;
            assertThat(g[k]).isEqualTo(wv[(nc * 8 + i + 2) * 9 + j + 2]);
        }
    }

    private static Var run2(Module layer, Var x) {
        return layer.forward(x, ParameterLayout.of(layer).root(Var.of(Tensor.zeros(DType.F64, 0))));
    }
}
