package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * A convolution with a bias adds the bias to each chunk of images while its outputs are in cache (Winograd,
 * the direct kernel, im2col and GEMM): on every backend and dtype, at one and two threads, the bits are those of the
 * convolution followed by the addition of the bias.
 */
class ConvBiasTest {

    /**
     * {n, c, h, w, o, k, stride, pad}: Winograd (8 channels, 3x3, stride 1); the direct kernel's shape (W3's first
     * layer: one channel, where the native backend has the kernel, in several chunks of images); a 5x5 window and
     * a stride of 2 (im2col and GEMM); a batch of one.
     */
    private static final int[][] SHAPES = {{5, 8, 9, 7, 5, 3, 1, 1}, {11, 1, 28, 28, 32, 3, 1, 1},
        {4, 2, 9, 9, 4, 5, 2, 1}, {1, 3, 6, 6, 2, 3, 1, 0}};

    /**
     * Normal input {@code [n, c, h, w]}, weight {@code [o, c, k, k]} and bias {@code [o]} of a shape {@code {n, c, h, w,
     * o, k, ...}}, drawn from a generator seeded by the shape (shared with {@code ConvMaxPoolTest}).
     */
    static Tensor[] operands(DType t, int[] s) {
        SplittableRandom rnd = new SplittableRandom(Arrays.hashCode(s));
        Tensor x = Tensor.normal(t, rnd, s[0], s[1], s[2], s[3]);
        Tensor w = Tensor.normal(t, rnd, s[4], s[1], s[5], s[5]);
        return new Tensor[] {x, w, Tensor.normal(t, rnd, s[4])};
    }

    @Test
    void eachChunkPlusTheBiasHasTheBitsOfTheConvolutionThenTheAddition() {
        EveryBackend.forEach((name, be) -> {
            for (DType t : DType.values()) {
                for (int[] s : SHAPES) {
                    Tensor[] xwb = operands(t, s);
                    Tensor x = xwb[0];
                    Tensor w = xwb[1];
                    Tensor b = xwb[2];
                    for (int threads = 1; threads <= 2; threads++) {
                        be.setThreads(threads);
                        double[] fused = Engine.with(be, () -> ImageOps.conv2d(x, w, b, s[6], s[7]).toDoubleArray());
                        double[] apart = Engine.with(be, () -> TensorOps.add(ImageOps.conv2d(x, w, s[6], s[7]),
                                b.reshape(s[4], 1, 1)).toDoubleArray());
                        assertThat(firstDifference(fused, apart)).as("first differing element, %s %s %s, %d threads",
                                name, t, Arrays.toString(s), threads).isEqualTo(-1);
                    }
                }
            }
        });
    }

    /** The first index where the two differ in their bits (or length), -1 if none. */
    private static int firstDifference(double[] a, double[] b) {
        if (a.length != b.length) {
            return Math.min(a.length, b.length);
        }
        for (int i = 0; i < a.length; i++) {
            if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aBiasOfTheWrongShapeOrDtypeIsRefusedWithWhatItShouldBe() {
        SplittableRandom rnd = new SplittableRandom(3);
        Tensor x = Tensor.normal(DType.F64, rnd, 2, 8, 5, 5);
        Tensor w = Tensor.normal(DType.F64, rnd, 4, 8, 3, 3);
        assertThatThrownBy(() -> ImageOps.conv2d(x, w, Tensor.zeros(DType.F64, 5), 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4]").hasMessageContaining("[5]");
        assertThatThrownBy(() -> ImageOps.conv2d(x, w, Tensor.zeros(DType.F32, 4), 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Tensor.to");
    }
}
