package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * A convolution and its max pooling in one pass ({@link ImageOps#conv2dMaxPool}: each chunk of images pooled from a
 * part's buffer right after the convolution writes it) has the bits and the routing of the convolution followed by
 * {@link PoolOps#maxPool2dRouted}, and gathering by a routing in one pass ({@link ImageOps#conv2dGather}) the bits of
 * the convolution then {@link PoolOps#maxPool2dGather}, with the images or the channels the routing's repeated (two
 * directions' tangents), and the weight gradient of a pooled cotangent scattered chunk by chunk
 * ({@link ImageOps#conv2dWeightGradRouted}) the bits of the scatter then {@link ImageOps#conv2dWeightGrad}, and the
 * input gradient so ({@link ImageOps#conv2dInputGradRouted}) the scatter's then {@link ImageOps#conv2dInputGrad}:
 * on every backend and dtype, at one and three threads, on each of the convolution's routes,
 * with and without a bias, for 2x2 windows and for overlapping padded ones; and with a ReLU after the pooling, its
 * values and the routing that also gates (-1 where the ReLU gives 0) against the ReLU of the unfused pooling.
 */
class ConvMaxPoolTest {

    /**
     * {n, c, h, w, o, k, stride, pad}: Winograd (8 and 16 channels, 3x3, stride 1; chunks of several images); the
     * direct kernel's shape (W3's first layer: one channel, several chunks); a 5x5 window with a stride of 2
     * (im2col and GEMM); a batch of one with odd sizes; 40 output channels, whose input gradient is a Winograd
     * convolution in two chunks of images (the routed input gradient scatters each).
     */
    private static final int[][] SHAPES = {{5, 8, 9, 7, 5, 3, 1, 1}, {7, 16, 14, 14, 6, 3, 1, 1},
        {11, 1, 28, 28, 32, 3, 1, 1}, {4, 2, 13, 13, 4, 5, 2, 1}, {1, 3, 7, 9, 2, 3, 1, 0},
        {5, 8, 14, 14, 40, 3, 1, 1}};

    /** {k, stride, pad} of the pooling. */
    private static final int[][] POOLS = {{2, 2, 0}, {3, 2, 1}};

    /** Windows that the ReLU shut (routed nowhere) over all cases: the test of the gate needs some. */
    private static final AtomicInteger DEAD = new AtomicInteger();

    @Test
    void poolingEachChunkInCacheGivesTheBitsAndRoutingOfTheConvolutionThenThePooling() {
        EveryBackend.forEach((name, be) -> {
            for (DType t : DType.values()) {
                for (int[] s : SHAPES) {
                    Tensor[] xwb = ConvBiasTest.operands(t, s);
                    Tensor x = xwb[0];
                    Tensor w = xwb[1];
                    Tensor b = xwb[2];
                    for (int[] pool : POOLS) {
                        for (Tensor bias : new Tensor[] {b, null}) {
                            for (int threads = 1; threads <= 3; threads += 2) {
                                be.setThreads(threads);
                                String what = String.format("%s %s %s pool %s bias %b, %d threads", name, t,
                                        Arrays.toString(s), Arrays.toString(pool), bias != null, threads);
                                Engine.with(be, () -> compare(x, w, bias, s, pool, what));
                            }
                        }
                    }
                }
            }
        });
        assertThat(DEAD.get()).as("windows shut by the ReLU").isGreaterThan(1000);
    }

    private static void compare(Tensor x, Tensor w, Tensor bias, int[] s, int[] pool, String what) {
        for (boolean relu : new boolean[] {false, true}) {
            compare(x, w, bias, s, pool, relu, what + (relu ? ", then relu" : ""));
        }
    }

    /**
     * With the ReLU: its values after the pooling's, and the pooling's routing but -1 (routing nowhere) where the
     * ReLU gives 0; the routing then also gates, in the gathers and the scattered weight gradient below.
     */
    private static void compare(Tensor x, Tensor w, Tensor bias, int[] s, int[] pool, boolean relu, String what) {
        Tensor conv = bias == null ? ImageOps.conv2d(x, w, s[6], s[7]) : ImageOps.conv2d(x, w, bias, s[6], s[7]);
        PoolOps.MaxPooled apart = PoolOps.maxPool2dRouted(conv, pool[0], pool[1], pool[2]);
        PoolAfterConv spec = PoolAfterConv.max(pool[0], pool[1], pool[2]);
        PoolOps.MaxPooled fused = ImageOps.conv2dMaxPool(x, w, bias, s[6], s[7], relu ? spec.thenRelu() : spec);
        Tensor values = ImageOps.conv2dMaxPoolValues(x, w, bias, s[6], s[7], relu ? spec.thenRelu() : spec);
        Tensor y = relu ? TensorOps.unary(UnaryOp.RELU, apart.y()) : apart.y();
        int[] routing = apart.routing().argmax().asSlice(0, y.size() * 4).toArray(ValueLayout.JAVA_INT);
        double[] pooled = apart.y().toDoubleArray();
        int dead = 0;
        for (int i = 0; relu && i < routing.length; i++) {
            if (!(pooled[i] > 0)) {
                routing[i] = -1;
                dead++;
            }
        }
        DEAD.addAndGet(dead);
        assertThat(fused.y().shape()).as(what).isEqualTo(y.shape());
        assertThat(bits(fused.y())).as("values, " + what).isEqualTo(bits(y));
        assertThat(bits(values)).as("values alone, " + what).isEqualTo(bits(y));
        assertThat(fused.routing().window()).as(what).isEqualTo(apart.routing().window());
        assertThat(fused.routing().inShape()).as(what).isEqualTo(conv.shape());
        assertThat(fused.routing().argmax().asSlice(0, y.size() * 4).toArray(ValueLayout.JAVA_INT))
                .as("routing, " + what).isEqualTo(routing);
        // the routing really routes: gathering the convolution by it gives the pooled values, fused or not
        assertThat(bits(PoolOps.maxPool2dGather(conv, fused.routing()))).as("gathered, " + what).isEqualTo(bits(y));
        PoolOps.PoolRouting r = fused.routing();
        assertThat(bits(ImageOps.conv2dGather(x, w, bias, s[6], s[7], r))).as("gathered in cache, " + what)
                .isEqualTo(bits(y));
        // two directions' tangents: the images repeated (a direction axis on the input), the channels repeated (two
        // filter banks stacked), each routed as its copy of the routing's
        SplittableRandom rnd = new SplittableRandom(what.hashCode());
        DType t = x.dtype();
        Tensor x2 = Tensor.normal(t, rnd, 2, s[0], s[1], s[2], s[3]);
        Tensor conv2 = bias == null ? ImageOps.conv2d(x2, w, s[6], s[7]) : ImageOps.conv2d(x2, w, bias, s[6], s[7]);
        assertThat(bits(ImageOps.conv2dGather(x2, w, bias, s[6], s[7], r))).as("images repeated, " + what)
                .isEqualTo(bits(PoolOps.maxPool2dGather(conv2, r)));
        Tensor w2 = Tensor.normal(t, rnd, 2 * s[4], s[1], s[5], s[5]);
        Tensor b2 = bias == null ? null : Tensor.normal(t, rnd, 2 * s[4]);
        Tensor wide = b2 == null ? ImageOps.conv2d(x, w2, s[6], s[7]) : ImageOps.conv2d(x, w2, b2, s[6], s[7]);
        int oh = wide.dim(2);
        int ow = wide.dim(3);
        Tensor byBank = wide.reshape(s[0], 2, s[4], oh, ow).transpose(0, 1).contiguous();
        int[] p = r.outShape();
        Tensor expected = PoolOps.maxPool2dGather(byBank, r).transpose(0, 1).contiguous()
                .reshape(s[0], 2 * s[4], p[2], p[3]);
        assertThat(bits(ImageOps.conv2dGather(x, w2, b2, s[6], s[7], r))).as("channels repeated, " + what)
                .isEqualTo(bits(expected));
        // the weight gradient of a pooled cotangent, scattered chunk by chunk, against the scatter then the gradient
        Tensor gp = Tensor.normal(t, rnd, r.outShape());
        Tensor scattered = PoolOps.maxPool2dScatter(gp, r);
        assertThat(bits(ImageOps.conv2dWeightGradRouted(x, gp, s[5], s[5], s[6], s[7], r))).as("weight grad, " + what)
                .isEqualTo(bits(ImageOps.conv2dWeightGrad(x, scattered, s[5], s[5], s[6], s[7])));
        // and the input gradient, scattered chunk by chunk where it is a Winograd convolution
        assertThat(bits(ImageOps.conv2dInputGradRouted(gp, w, s[2], s[3], s[6], s[7], r))).as("input grad, " + what)
                .isEqualTo(bits(ImageOps.conv2dInputGrad(scattered, w, s[2], s[3], s[6], s[7])));
    }

    private static long[] bits(Tensor t) {
        return Arrays.stream(t.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
    }
}
