package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Sequential} runs a {@link Conv2d} and the {@link MaxPool2d} after it (with a {@link ReLU}, or a ReLU and a
 * {@link ZeroPad2d}, between them, run after the pooling) as one primitive ({@code conv2d_max_pool}: each chunk of
 * images pooled while the convolution's output for it is in cache). The reference is the written order, which the
 * same network runs when a {@link LayerHook} watches its modules: the loss, its gradient, a Hessian-vector product
 * and three batched ones the same to the bit, in both dtypes, for W3's two blocks in small (the second convolution
 * by Winograd), a convolution without bias or ReLU, a strided 5x5 convolution with overlapping padded windows, and
 * KeskarC3's zero padding; and the fused forward never stores the convolution's output whole.
 */
@Tag("backends")
class ConvPoolTest {

    static Stream<Arguments> cases() {
        Module w3 = Sequential.of(new Conv2d(2, 8, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                new Conv2d(8, 8, 3, 1, 1, true), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 2 * 2, 5));
        Module plain = Sequential.of(new Conv2d(2, 4, 3, 1, 1, false), new MaxPool2d(2), new Flatten(),
                new Linear(4 * 4 * 4, 5));
        Module strided = Sequential.of(new Conv2d(2, 4, 5, 2, 2, true), new ReLU(), new MaxPool2d(3, 2, 1),
                new Flatten(), new Linear(4 * 2 * 2, 5));
        Module zeroPadded = ReluPoolOrderTest.keskarBlock();
        return Stream.of(DType.F64, DType.F32).flatMap(t -> Stream.of(Arguments.of("W3's blocks", w3, t),
                Arguments.of("no bias, no ReLU", plain, t), Arguments.of("5x5 stride 2, 3x3 pool pad 1", strided, t),
                Arguments.of("zeropad 3, 3x3 stride 2", zeroPadded, t)));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void oneConvolutionAndPoolingPrimitiveChangesNoBit(String label, Module module, DType t) {
        Network net = new Network(module, 2, 8, 8);
        SplittableRandom rnd = new SplittableRandom(label.hashCode());
        int n = 6;
        Tensor x = Tensor.of(t, rnd.doubles(n * 2 * 8 * 8, -1, 1).toArray(), n, 2, 8, 8);
        int[] labels = rnd.ints(n, 0, 5).toArray();
        Var th = Var.of(net.initParams(t, 7));
        LayerHook watch = (path, m, in, out) -> out;
        Function<Var, Var> fused = p -> net.logits(p, x).crossEntropy(labels);
        Function<Var, Var> written = p -> net.logits(p, x, watch).crossEntropy(labels);
        // the convolutions' biases: their cotangents summed over the pooled map (where the ReLU lets through), not
        // over the convolution's scattered one
        SameBits.lossGradientAndHvps(fused, written, th, net.parameterCount(), t, rnd, convBiases(net));
    }

    /**
     * W3's first block on 40 images: the written order stores the convolution's output ({@code 40 x 8 x 28 x 28}),
     * the fused one at most a part's buffer of it per thread (20 images here, one thread), the rest the same.
     */
    @Test
    void theConvolutionsOutputIsNeverStoredWhole() {
        Network net = new Network(Sequential.of(new Conv2d(1, 8, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(8 * 14 * 14, 3)), 1, 28, 28);
        DType t = DType.F64;
        int n = 40;
        Tensor x = Tensor.of(t, new SplittableRandom(5).doubles(n * 28L * 28, -1, 1).toArray(), n, 1, 28, 28);
        Var th = Var.of(net.initParams(t, 7));
        long whole = (long) n * 8 * 28 * 28 * t.byteSize();
        long fused = SameBits.forwardBytes(net, th, x, null, 1);
        long written = SameBits.forwardBytes(net, th, x, (path, m, in, out) -> out, 1);
        assertThat(written - fused).isGreaterThanOrEqualTo(whole / 2);
    }

    /**
     * The entries of the biases of the network's convolutions in the flat parameters, as pairs {@code [from, to)}
     * (a convolution's bias is named {@code "<index>.bias"} beside a four-axis weight).
     */
    static int[] convBiases(Network net) {
        return net.layout().names().stream()
                .filter(n -> n.endsWith(".bias") && net.layout().names().contains(n.replace(".bias", ".weight"))
                        && net.layout().entry(n.replace(".bias", ".weight")).shape().length == 4)
                .flatMapToInt(n -> java.util.stream.IntStream.of(net.layout().entry(n).offset(), net.layout().entry(n).end()))
                .toArray();
    }
}
