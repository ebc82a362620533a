package org.flatminima.experiments.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.LayerHook;
import org.flatminima.engine.nn.Network;
import org.flatminima.kernels.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The authors' KeskarC3 pads with zeros before each max pooling ({@code relu, zeropad(P), maxpool(3,stride=2)}),
 * which {@code nn.Sequential} runs as one max pooling with -infinity padding and then the ReLU. On small KeskarC3s
 * (windows wholly in the padding included) in eval mode, the loss, gradient and a Hessian-vector product equal the
 * written order's (run under a layer hook) to the bit.
 */
class KeskarPaddingTest {

    @ParameterizedTest
    @CsvSource({"6, F64", "5, F64", "6, F32", "7, F32"})
    void fusedPaddingAndPoolingChangeNoBit(int side, DType t) {
        ModelSpec s = ModelSpec.parse(Architectures.keskarC3(new int[] {1, side, side}, 3, 2, 4, 3, 0.5));
        assertThat(s.toString()).contains("zeropad(");
        SplittableRandom rnd = new SplittableRandom(side);
        Network net = EvalModeCurvatureTest.evalNetwork(s, rnd);
        int n = 4;
        Tensor x = Tensor.of(t, rnd.doubles((long) n * side * side, -1, 1).toArray(), n, 1, side, side);
        int[] labels = rnd.ints(n, 0, 3).toArray();
        Tensor theta = TensorOps.add(net.initParams(t, 5),
                Tensor.of(t, rnd.doubles(net.parameterCount(), -0.3, 0.3).toArray(), net.parameterCount()));
        Var th = Var.of(theta);
        LayerHook watch = (path, m, in, out) -> out;
        Function<Var, Var> fused = p -> net.logits(p, x).crossEntropy(labels);
        Function<Var, Var> written = p -> net.logits(p, x, watch).crossEntropy(labels);
        // double[] equality is Arrays.equals: bit for bit (doubleToLongBits), -0.0 apart from 0.0
        assertThat(fused.apply(th).value().toDoubleArray()).isEqualTo(written.apply(th).value().toDoubleArray());
        assertThat(Autodiff.grad(fused, th).value().toDoubleArray())
                .isEqualTo(Autodiff.grad(written, th).value().toDoubleArray());
        Var v = Var.of(Tensor.of(t, rnd.doubles(net.parameterCount(), -1, 1).toArray(), net.parameterCount()));
        assertThat(Autodiff.hvp(fused, th, v).value().toDoubleArray())
                .isEqualTo(Autodiff.hvp(written, th, v).value().toDoubleArray());
    }
}
