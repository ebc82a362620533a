package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Winograd} against the im2col-and-GEMM convolution it replaces ({@code -Dflatminima.winograd=false}):
 * the forward, the input gradient and the weight gradient agree within a few units in the last place of the outputs' magnitude, on
 * every backend, in both dtypes; and a batch split at multiples of 16 images gives the bits of one pass (what
 * experiments' per-point passes rely on).
 */
@Tag("backends")
class WinogradTest {

    @AfterEach
    void on() {
        Winograd.setEnabled(true);
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String b : List.of("scalar", "vector", "native")) {
            if (Backends.probe(b).available()) {
                for (DType t : DType.values()) {
                    all.add(Arguments.of(b, t));
                }
            }
        }
        return all.stream();
    }

    /** {c, h, w, o, pad}: W3's second convolution, odd sizes, padding 0 and 2, more channels out than in. */
    private static final int[][] SHAPES = {{32, 14, 14, 64, 1}, {9, 7, 6, 12, 1}, {8, 5, 9, 8, 0}, {12, 6, 5, 8, 2}};

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static double maxDiff(double[] a, double[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void agreesWithIm2colAndGemm(String name, DType t) {
        Backend b = Backends.get(name);
        for (int[] s : SHAPES) {
            int n = name.equals("scalar") && s[0] == 32 ? 3 : 11;
            SplittableRandom rnd = new SplittableRandom(17 + s[0]);
            Tensor x = Tensor.normal(t, rnd, n, s[0], s[1], s[2]);
            Tensor w = Tensor.normal(t, rnd, s[3], s[0], 3, 3);
            int oh = s[1] + 2 * s[4] - 2;
            int ow = s[2] + 2 * s[4] - 2;
            Tensor g = Tensor.normal(t, rnd, n, s[3], oh, ow);
            double[][] direct = Engine.with(b, () -> {
                Winograd.setEnabled(false);
                return new double[][] {ImageOps.conv2d(x, w, 1, s[4]).toDoubleArray(),
                    ImageOps.conv2dInputGrad(g, w, s[1], s[2], 1, s[4]).toDoubleArray(),
                    ImageOps.conv2dWeightGrad(x, g, 3, 3, 1, s[4]).toDoubleArray()};
            });
            double[][] wino = Engine.with(b, () -> {
                Winograd.setEnabled(true);
                return new double[][] {ImageOps.conv2d(x, w, 1, s[4]).toDoubleArray(),
                    ImageOps.conv2dInputGrad(g, w, s[1], s[2], 1, s[4]).toDoubleArray(),
                    ImageOps.conv2dWeightGrad(x, g, 3, 3, 1, s[4]).toDoubleArray()};
            });
            // each output sums 9c products of unit normals (the weight gradient n outH outW): the transforms add at
            // most a small multiple of eps times the largest
            String[] what = {"forward", "input gradient", "weight gradient"};
            for (int k = 0; k < 3; k++) {
                double scale = maxAbs(direct[k]);
                assertThat(maxDiff(wino[k], direct[k])).as("%s %s, shape %s", what[k], t, java.util.Arrays.toString(s))
                        .isLessThan(16 * scale * t.epsilon()).isGreaterThan(0.0);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aBatchSplitAtMultiplesOfSixteenImagesGivesTheBitsOfOnePass(String name, DType t) {
        Backend b = Backends.get(name);
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 39;
        Tensor x = Tensor.normal(t, rnd, n, 16, 10, 10);
        Tensor w = Tensor.normal(t, rnd, 24, 16, 3, 3);
        Engine.with(b, () -> {
            double[] all = ImageOps.conv2d(x, w, 1, 1).toDoubleArray();
            int per = all.length / n;
            for (int first = 0; first < n; first += 16) {
                int end = Math.min(n, first + 16);
                double[] some = ImageOps.conv2d(x.slice(0, first, end), w, 1, 1).toDoubleArray();
                assertThat(some).as("images %d..%d", first, end)
                        .containsExactly(java.util.Arrays.copyOfRange(all, first * per, end * per));
            }
            return null;
        });
    }

    @org.junit.jupiter.api.Test
    void chunksArePowersOfTwoUpToSixteen() {
        assertThat(Winograd.chunkImages(0)).isEqualTo(1);
        assertThat(Winograd.chunkImages(1)).isEqualTo(1);
        assertThat(Winograd.chunkImages(13)).isEqualTo(8);
        assertThat(Winograd.chunkImages(16)).isEqualTo(16);
        assertThat(Winograd.chunkImages(1000)).isEqualTo(16);
    }
}
