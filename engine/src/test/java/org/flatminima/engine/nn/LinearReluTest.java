package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Sequential} runs a {@link Linear} with bias and the {@link ReLU} after it as one primitive
 * ({@code matmul_add_relu}: the ReLU in the product's last store where the GEMM can). The reference is the written
 * order, which the same network runs when a {@link LayerHook} watches its modules: the loss, its gradient, a
 * Hessian-vector product and three batched ones the same to the bit, in both dtypes, for a small MLP, two whose
 * products are large enough for the native backend's packed GEMM, and layers with no bias or no ReLU among them; and
 * the fused forward allocates less (no pre-activation is stored).
 */
@Tag("backends")
class LinearReluTest {

    static Stream<Arguments> cases() {
        Module small = Sequential.of(new Linear(7, 9), new ReLU(), new Linear(9, 6), new ReLU(), new Linear(6, 4));
        Module large = Sequential.of(new Linear(300, 256), new ReLU(), new Linear(256, 10));
        Module deep = Sequential.of(new Linear(300, 256), new ReLU(), new Linear(256, 256), new ReLU(),
                new Linear(256, 10));
        Module mixed = Sequential.of(new Linear(7, 9, false), new ReLU(), new Linear(9, 8), new Tanh(),
                new Linear(8, 6), new ReLU(), new Linear(6, 4));
        return Stream.of(DType.F64, DType.F32).flatMap(t -> Stream.of(Arguments.of("small", small, 7, 6, t),
                Arguments.of("large", large, 300, 260, t), Arguments.of("deep", deep, 300, 260, t),
                Arguments.of("mixed", mixed, 7, 6, t)));
    }

    @ParameterizedTest(name = "{0} {4}")
    @MethodSource("cases")
    void oneLinearAndReluPrimitiveChangesNoBit(String label, Module module, int in, int n, DType t) {
        Network net = new Network(module, in);
        SplittableRandom rnd = new SplittableRandom(label.hashCode());
        Tensor x = Tensor.of(t, rnd.doubles((long) n * in, -1, 1).toArray(), n, in);
        int classes = net.logits(Var.of(net.initParams(t, 3)), x).value().dim(1);
        int[] labels = rnd.ints(n, 0, classes).toArray();
        Var th = Var.of(net.initParams(t, 7));
        LayerHook watch = (path, m, i, out) -> out;
        Function<Var, Var> fused = p -> net.logits(p, x).crossEntropy(labels);
        Function<Var, Var> written = p -> net.logits(p, x, watch).crossEntropy(labels);

        SameBits.lossGradientAndHvps(fused, written, th, net.parameterCount(), t, rnd);
        // the written order's ReLUs do shut units (so the gates are exercised), and the fused forward stores no
        // pre-activation: at least one [n, out] buffer less
        assertThat(net.logits(th, x, (path, m, i, out) -> {
            if (m instanceof ReLU) {
                shut[0] += (int) java.util.Arrays.stream(out.value().toDoubleArray()).filter(d -> d == 0).count();
            }
            return out;
        }).value().dim(0)).isEqualTo(n);
        assertThat(shut[0]).isGreaterThan(0);
        assertThat(SameBits.forwardBytes(net, th, x, null, 1))
                .isLessThanOrEqualTo(SameBits.forwardBytes(net, th, x, watch, 1)
                - (long) n * 6 * t.byteSize());
    }

    private final int[] shut = new int[1];
}
