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
        ImageOps.MaxPooled p = ImageOps.maxPool2dRouted(x, 3, 2, 1);
        // of the pooled input: the pooling
        assertThat(ImageOps.maxPool2dGather(x, p.routing()).toDoubleArray()).containsExactly(p.y().toDoubleArray());

        // of two stacked other tensors (a batched tangent): each gathered at the same positions
        Tensor v = Tensor.normal(t, rnd, 2, 2, 3, 7, 6);
        double[] got = ImageOps.maxPool2dGather(v, p.routing()).toDoubleArray();
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
}
