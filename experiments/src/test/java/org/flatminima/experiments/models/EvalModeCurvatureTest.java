package org.flatminima.experiments.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.ExactTraces;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.kernels.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The authors measured curvature with the model in eval mode (PyHessian calls {@code model.eval()}), where batch
 * norm is affine and dropout the identity. On a small instance of each of their architectures (their layers in
 * their order, tiny widths and images), in eval mode with non-trivial batch-norm running statistics and affine
 * parameters and with dropout present, the exact per-point traces of the method the curvature code picks
 * ({@link Curvature#bestExact()}: exact-ggn, as every layer is piecewise linear) and of exact-hbp equal those of
 * exact-hvp (each point's Hessian diagonal from P Hessian-vector products by forward-over-reverse autodiff), in
 * float64. In training mode the exact methods refuse, naming the layer.
 */
class EvalModeCurvatureTest {

    /** The small instances: name, spec. */
    static String spec(String name) {
        return switch (name) {
            // LeNet: conv 5x5, pool 2, conv 5x5, pool 2, three linear layers with ReLU, the last on the logits
            case "lenet" -> Architectures.lenet(new int[] {1, 16, 16}, 3, 2, 3, 5, 4);
            // KeskarC3 with 2 filters, fc widths 4 and 3, dropout 0.5, on 6x6 and on odd 5x5 images
            case "keskar-c3" -> Architectures.keskarC3(new int[] {1, 6, 6}, 3, 2, 4, 3, 0.5);
            case "keskar-c3-odd" -> Architectures.keskarC3(new int[] {1, 5, 5}, 3, 2, 3, 3, 0.5);
            // SimpleNet with 8 hidden layers of width 3
            case "simplenet" -> Architectures.simpleNet(new int[] {1, 3, 3}, 3, 3, 8);
            // BatchNormSimpleNet: 5 hidden layers relu(bn(fc(x))) of width 4
            case "simplenet-bn" -> Architectures.simpleNetBn(new int[] {1, 3, 3}, 3, 4, 5);
            case "mlp-bn-dropout" -> "mlp:9-4x2-3,bn,dropout=0.5";
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The network in eval mode with random running statistics, and parameters away from their init. */
    static Network evalNetwork(ModelSpec s, SplittableRandom rnd) {
        Network net = s.network().withMode(Mode.EVAL);
        for (Map.Entry<String, Tensor> e : net.buffers().toMap().entrySet()) {
            int[] shape = e.getValue().shape();
            if (e.getKey().endsWith("running_mean")) {
                net.buffers().set(e.getKey(), TensorOps.mul(Tensor.normal(DType.F64, rnd, shape),
                        Tensor.scalar(DType.F64, 0.5)));
            } else if (e.getKey().endsWith("running_var")) {
                net.buffers().set(e.getKey(), Tensor.uniform(DType.F64, rnd, 0.3, 2.0, shape));
            }
        }
        return net;
    }

    @ParameterizedTest
    @CsvSource({"lenet", "keskar-c3", "keskar-c3-odd", "simplenet", "simplenet-bn", "mlp-bn-dropout"})
    void evalModeExactPerPointTracesEqualExactHvp(String name) {
        ModelSpec s = ModelSpec.parse(spec(name));
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        Network net = evalNetwork(s, rnd);
        Tensor theta = TensorOps.add(net.initParams(DType.F64, 3),
                TensorOps.mul(Tensor.normal(DType.F64, rnd, net.parameterCount()), Tensor.scalar(DType.F64, 0.3)));
        int n = 5;
        int[] sample = s.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = n;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Tensor x = Tensor.normal(DType.F64, rnd, shape);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rnd.nextInt(s.classes());
        }
        Curvature c = Curvature.of(net, theta, x, labels);
        assertThat(c.bestExact()).isEqualTo(Curvature.Method.EXACT_GGN);
        var picked = c.perPointTraces(Curvature.Method.AUTO);
        assertThat(picked.method()).isEqualTo("exact-ggn");
        double[] hvp = ExactTraces.exactHvp(net, theta, x, labels, true).perPoint();
        double[] hbp = c.breakdown(Curvature.Method.EXACT_HBP, true).perPoint();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double tol = 1e-10 * Math.max(1, Math.abs(hvp[i]));
            assertThat(picked.values()[i]).as("%s point %d exact-ggn", name, i).isCloseTo(hvp[i], within(tol));
            assertThat(hbp[i]).as("%s point %d exact-hbp", name, i).isCloseTo(hvp[i], within(tol));
            sum += hvp[i];
        }
        assertThat(sum).as("traces are not all zero").isGreaterThan(1e-4);
        // the whole-data trace too
        assertThat(c.trace(Curvature.Method.AUTO).value()).isCloseTo(
                ExactTraces.exactHvp(net, theta, x, labels, false).total(), within(1e-10 * Math.max(1, sum)));
    }

    /**
     * Training mode: batch statistics couple the points and dropout draws a random mask per pass, so no exact
     * per-point method applies; bestExact says none, the reason names the layer, and a Hessian in training mode
     * with dropout is refused for want of a noise seed rather than computed on a random function.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        keskar-c3      | layer 1 BatchNorm2d
        simplenet-bn   | BatchNorm1d
        mlp-bn-dropout | BatchNorm1d
        """)
    void trainingModeFallsBackAndSaysWhy(String name, String layer) {
        ModelSpec s = ModelSpec.parse(spec(name));
        Network train = s.network();
        assertThat(train.mode()).isEqualTo(Mode.TRAIN);
        assertThat(ExactTraces.whyNotPiecewiseLinear(train)).contains(layer).contains("is in training mode");
        Tensor theta = train.initParams(DType.F64, 1);
        int[] shape = new int[s.sampleShape().length + 1];
        shape[0] = 4;
        System.arraycopy(s.sampleShape(), 0, shape, 1, s.sampleShape().length);
        Curvature c = Curvature.of(train, theta, Tensor.normal(DType.F64, new SplittableRandom(1), shape),
                new int[] {0, 1, 2, 0});
        assertThat(c.bestExact()).isNull();
        assertThatThrownBy(() -> c.breakdown(Curvature.Method.EXACT_GGN, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("training mode");
        if (name.contains("dropout") || name.startsWith("keskar")) {
            assertThatThrownBy(() -> c.trace(Curvature.Method.EXACT_HVP)).hasMessageContaining("no noise seed");
        }
    }
}
