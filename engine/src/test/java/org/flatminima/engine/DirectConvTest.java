package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 3x3 convolutions of stride 1 with few input channels, which the native backend computes with its direct kernels
 * where it has them ({@link Backend#hasConv3x3Direct}: floats on a CPU with AVX-512 or AVX2), against the oracle
 * backend's im2col and GEMM: the forward and the weight gradient agree within a few units in the last place of their
 * magnitude, and the weight gradient has the same bits at one and two threads.
 */
@Tag("backends")
class DirectConvTest {

    /** {c, h, w, o, pad}: W3's first convolution, three channels, odd sizes, padding 0 and 2, a 32-wide output. */
    private static final int[][] SHAPES = {{1, 28, 28, 32, 1}, {3, 9, 7, 5, 0}, {2, 5, 17, 4, 2}, {1, 6, 32, 3, 1}};

    @ParameterizedTest
    @EnumSource(DType.class)
    void agreesWithTheOraclesIm2colAndGemmAndKeepsItsBitsAcrossThreads(DType t) {
        Backend nat = Backends.get("native");
        Backend oracle = Backends.get("scalar");
        int directShapes = 0;
        for (int[] s : SHAPES) {
            int n = 11; // more images than weight-gradient parts: some parts sum several
            SplittableRandom rnd = new SplittableRandom(31 + s[0] * 7 + s[2]);
            Tensor x = Tensor.normal(t, rnd, n, s[0], s[1], s[2]);
            Tensor w = Tensor.normal(t, rnd, s[3], s[0], 3, 3);
            int oh = s[1] + 2 * s[4] - 2;
            int ow = s[2] + 2 * s[4] - 2;
            Tensor g = Tensor.normal(t, rnd, n, s[3], oh, ow);
            directShapes += nat.hasConv3x3Direct(t, new Window2d(n, s[0], s[1], s[2], 3, 3, 1, 1, s[4], s[4])) ? 1 : 0;
            double[][] want = Engine.with(oracle, () -> new double[][] {ImageOps.conv2d(x, w, 1, s[4]).toDoubleArray(),
                ImageOps.conv2dWeightGrad(x, g, 3, 3, 1, s[4]).toDoubleArray()});
            int threads = nat.threads();
            try {
                double[][][] got = new double[2][][];
                for (int th = 1; th <= 2; th++) {
                    nat.setThreads(th);
                    got[th - 1] = Engine.with(nat, () -> new double[][] {ImageOps.conv2d(x, w, 1, s[4]).toDoubleArray(),
                        ImageOps.conv2dWeightGrad(x, g, 3, 3, 1, s[4]).toDoubleArray()});
                }
                String[] what = {"forward", "weight gradient"};
                for (int k = 0; k < 2; k++) {
                    double scale = Arrays.stream(want[k]).map(Math::abs).max().orElse(0);
                    for (int i = 0; i < want[k].length; i++) {
                        assertThat(Math.abs(got[0][k][i] - want[k][i])).as("%s %s %s [%d]", what[k], t,
                                Arrays.toString(s), i).isLessThanOrEqualTo(16 * scale * t.epsilon());
                    }
                    assertThat(got[1][k]).as("%s at two threads, %s", what[k], Arrays.toString(s))
                            .containsExactly(got[0][k]);
                }
            } finally {
                nat.setThreads(threads);
            }
        }
        // where the direct kernels run, they ran on every shape here (none on doubles)
        assertThat(directShapes).isIn(0, t == DType.F32 ? SHAPES.length : 0);
    }
}
