package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The max-pool routing gather, on every backend and both dtypes, against the pooling itself and a plain loop. */
@Tag("backends")
class ImageOpsTest {

    @ParameterizedTest
    @EnumSource(DType.class)
    void gatherByTheRoutingIsThePoolingAndActsOnEveryCopy(DType t) {
        SplittableRandom rnd = new SplittableRandom(11);
        Tensor x = Tensor.normal(t, rnd, 2, 3, 7, 6);
        PoolOps.MaxPooled p = PoolOps.maxPool2dRouted(x, 3, 2, 1);
        // of the pooled input: the pooling
        assertThat(PoolOps.maxPool2dGather(x, p.routing()).toDoubleArray()).containsExactly(p.y().toDoubleArray());

        // of two stacked other tensors (a batched tangent): each gathered at the same positions
        Tensor v = Tensor.normal(t, rnd, 2, 2, 3, 7, 6);
        double[] got = PoolOps.maxPool2dGather(v, p.routing()).toDoubleArray();
        double[] xs = x.toDoubleArray();
        double[] ys = p.y().toDoubleArray();
        double[] vs = v.toDoubleArray();
        int in = xs.length;
        int out = ys.length;
        int plane = 7 * 6;
        int outPlane = out / 6;
        for (int c = 0; c < 2; c++) {
            for (int o = 0; o < out; o++) {
                int base = o / outPlane * plane;
                int at = -1; // the position of y[o] in its plane of x: its first occurrence is the routing
                for (int i = base; i < base + plane && at < 0; i++) {
                    at = xs[i] == ys[o] ? i : -1;
                }
                assertThat(got[c * out + o]).isEqualTo(vs[c * in + at]);
            }
        }
    }

    /**
     * The tangents of k directions through a stacked convolution ({@code [B, k*C, H, W]} seen as
     * {@code [k, B, C, H, W]}: images contiguous, the rest not) are gathered image by image without a copy; the
     * result equals the gather of their contiguous copy bit for bit, as does that of a layout whose images are
     * not contiguous (height and width swapped back), which is copied first.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void gatherOfAStackedTangentViewEqualsTheGatherOfItsCopy(DType t) {
        SplittableRandom rnd = new SplittableRandom(12);
        int b = 3;
        int k = 4;
        Tensor x = Tensor.normal(t, rnd, b, 5, 8, 9);
        PoolOps.MaxPooled p = PoolOps.maxPool2dRouted(x, 2, 2, 0);
        Tensor stacked = Tensor.normal(t, rnd, b, k * 5, 8, 9);
        Tensor view = stacked.reshape(b, k, 5, 8, 9).transpose(0, 1);
        assertThat(view.isContiguous()).isFalse();
        double[] want = PoolOps.maxPool2dGather(view.contiguous(), p.routing()).toDoubleArray();
        Tensor got = PoolOps.maxPool2dGather(view, p.routing());
        assertThat(got.shape()).containsExactly(k, b, 5, 4, 4);
        assertThat(got.toDoubleArray()).containsExactly(want);
        // direction 2, image 1, channel 3, output (1, 2): the maximum of its window of x, taken from the view
        int row = -1;
        int col = -1;
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 2; i < 4; i++) {
            for (int j = 4; j < 6; j++) {
                if (x.get(1, 3, i, j) > best) {
                    best = x.get(1, 3, i, j);
                    row = i;
                    col = j;
                }
            }
        }
        assertThat(got.get(2, 1, 3, 1, 2)).isEqualTo(stacked.get(1, 2 * 5 + 3, row, col));

        Tensor swapped = Tensor.normal(t, rnd, k, b, 5, 9, 8).transpose(3, 4); // images not contiguous: copied
        assertThat(PoolOps.maxPool2dGather(swapped, p.routing()).toDoubleArray())
                .containsExactly(PoolOps.maxPool2dGather(swapped.contiguous(), p.routing()).toDoubleArray());
    }
}
