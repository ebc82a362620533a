package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Sequential} runs a ReLU followed by a max pooling as pooling first, then the ReLU, and a ReLU, a zero
 * padding and a max pooling as one max pooling with -infinity padding, then the ReLU. The reference is the
 * written order, which the same network runs when a {@link LayerHook} watches its modules: the loss, its
 * gradient, a Hessian-vector product and three batched ones must be the same to the bit, in both dtypes, for
 * 2x2 windows, for overlapping padded ones and for KeskarC3's zero padding (windows wholly in it included), on
 * weights whose windows often have no positive value. Under a hook on the parametrised layers alone (what
 * {@link Taps} uses), the order is changed too: the same cotangents at those layers as in the written order, and
 * fewer bytes allocated.
 */
@Tag("backends")
class ReluPoolOrderTest {

    static Stream<Arguments> cases() {
        Module twoByTwo = Sequential.of(new Conv2d(2, 6, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                new Conv2d(6, 8, 3, 1, 1, true), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 2 * 2, 5));
        Module padded = Sequential.of(new Conv2d(2, 4, 3, 1, 1, true), new ReLU(), new MaxPool2d(3, 2, 1),
                new Flatten(), new Linear(4 * 4 * 4, 5));
        Module zeroPadded = keskarBlock();
        return Stream.of(DType.F64, DType.F32).flatMap(t -> Stream.of(
                Arguments.of("2x2 windows", twoByTwo, t), Arguments.of("3x3 stride 2 pad 1", padded, t),
                Arguments.of("zeropad 3, 3x3 stride 2", zeroPadded, t)));
    }

    /**
     * KeskarC3's block on 2 x 8 x 8 images: zeropad(3) around the 8x8 maps, then 3x3 windows with stride 2: 6x6, its
     * corners all padding (shared with {@code ConvPoolTest}).
     */
    static Module keskarBlock() {
        return Sequential.of(new Conv2d(2, 4, 3, 1, 1, true), new ReLU(), new ZeroPad2d(3), new MaxPool2d(3, 2, 0),
                new Flatten(), new Linear(4 * 6 * 6, 5));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void poolingBeforeTheReluChangesNoBit(String label, Module module, DType t) {
        Network net = new Network(module, 2, 8, 8);
        SplittableRandom rnd = new SplittableRandom(label.hashCode());
        int n = 6;
        double[] xs = rnd.doubles(n * 2 * 8 * 8, -1, 1).toArray();
        Tensor x = Tensor.of(t, xs, n, 2, 8, 8);
        int[] labels = rnd.ints(n, 0, 5).toArray();
        // shifted biases: many windows with no positive value, whose gradient must be zero either way
        Tensor theta = net.initParams(t, 7);
        Var th = Var.of(theta);
        LayerHook watch = (path, m, in, out) -> out;
        Function<Var, Var> fused = p -> net.logits(p, x).crossEntropy(labels);
        Function<Var, Var> written = p -> net.logits(p, x, watch).crossEntropy(labels);

        // the first layer's bias: its cotangent summed over the pooled map, not the convolution's scattered one
        SameBits.lossGradientAndHvps(fused, written, th, net.parameterCount(), t, rnd, ConvPoolTest.convBiases(net));
        // and the ReLU of the written order really sees windows without a positive value
        Tensor pre = net.logits(th, x, (path, m, in, out) -> {
            if (m instanceof ReLU && path.equals("1")) {
                zeroWindows[0] = countZeroWindows(out.value(), module);
            }
            return out;
        }).value();
        assertThat(pre.size()).isEqualTo(n * 5L);
        assertThat(zeroWindows[0]).isGreaterThan(0);

        // under a hook on the parametrised layers alone (Taps'), pooling runs first too: the same per-layer
        // cotangents as under a hook on every module, which keeps the written order
        Tensor seed = Tensor.of(t, rnd.doubles(n * 5L, -1, 1).toArray(), n, 5);
        List<String> seen = new java.util.ArrayList<>();
        List<Tensor> reordered = layerCotangents(net, theta, x, seed, seen, true);
        List<Tensor> asWritten = layerCotangents(net, theta, x, seed, new java.util.ArrayList<>(), false);
        assertThat(seen).isEqualTo(Taps.sites(net, n).stream().map(Taps.Site::path).toList());
        for (int i = 0; i < reordered.size(); i++) {
            assertThat(SameBits.bits(reordered.get(i))).as("layer %s", seen.get(i))
                    .isEqualTo(SameBits.bits(asWritten.get(i)));
        }
        // and the reordering happened: the ReLU on the pooled map allocates less than on the convolution's output
        assertThat(SameBits.forwardBytes(net, th, x, LayerHook.parametrised((path, m, in, out) -> out), 1))
                .isLessThan(SameBits.forwardBytes(net, th, x, watch, 1));
    }

    /**
     * The cotangents at the parametrised layers' outputs for {@code seed} at the logits, through zero taps added by
     * a hook on those layers alone ({@link LayerHook#parametrised}) or by one on every module; {@code seen} gets
     * the paths the hook was called with.
     */
    private static List<Tensor> layerCotangents(Network net, Tensor theta, Tensor x, Tensor seed, List<String> seen,
            boolean parametrisedOnly) {
        List<Taps.Site> sites = Taps.sites(net, x.dim(0));
        Var[] taps = sites.stream().map(s -> Var.of(Tensor.zeros(theta.dtype(), s.outputShape()))).toArray(Var[]::new);
        Autodiff.Pullback pb = Autodiff.vjpN(tv -> {
            int[] next = {0};
            LayerHook add = (path, m, in, out) -> {
                seen.add(path);
                return out.add(tv[next[0]++]);
            };
            LayerHook every = (path, m, in, out) -> m.parameters().isEmpty() || m instanceof Sequential
                    ? out : add.after(path, m, in, out);
            return net.logits(Var.of(theta), x, parametrisedOnly ? LayerHook.parametrised(add) : every);
        }, taps);
        return java.util.Arrays.stream(pb.pullback().apply(Var.of(seed))).map(Var::value).toList();
    }

    private final int[] zeroWindows = new int[1];

    /**
     * Windows of the first pooling whose ReLU outputs (and zero padding) are all zero: their gradient is zero in
     * both orders.
     */
    private static int countZeroWindows(Tensor relu, Module module) {
        List<Module> layers = ((Sequential) module).layers();
        int zeroPad = layers.get(2) instanceof ZeroPad2d z ? z.pad() : 0;
        MaxPool2d pool = (MaxPool2d) layers.get(zeroPad > 0 ? 3 : 2);
        Tensor pooled = org.flatminima.engine.PoolOps.maxPool2d(relu, pool.kernel(), pool.stride(),
                pool.pad() + zeroPad);
        int zeros = 0;
        for (double d : pooled.toDoubleArray()) {
            zeros += d <= 0 ? 1 : 0;
        }
        return zeros;
    }
}
