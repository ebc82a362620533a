package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's default initialisation, by its statistics: every Linear weight and bias in
 * {@code [-1/sqrt(fan_in), 1/sqrt(fan_in))}, with the uniform's mean 0 and variance {@code bound^2 / 3}. The
 * layers are chosen so that fan_in differs from fan_out by far (784 vs 512, 512 vs 10): a bound computed from
 * the wrong fan fails the variance and the extreme-value checks.
 */
class InitTest {

    static void checkUniform(String name, double[] v, int fanIn) {
        double bound = 1 / Math.sqrt(fanIn);
        double mean = 0;
        double sq = 0;
        double maxAbs = 0;
        for (double x : v) {
            mean += x / v.length;
            sq += x * x / v.length;
            maxAbs = Math.max(maxAbs, Math.abs(x));
        }
        double var = sq - mean * mean;
        double want = bound * bound / 3;
        assertThat(maxAbs).as(name + " max |w|").isLessThanOrEqualTo(bound);
        if (v.length >= 1000) {
            // a sample of n >= 1000 reaches within 1% of the bound with probability 1 - 0.99^n > 0.99995
            assertThat(maxAbs).as(name + " max |w|").isGreaterThan(0.99 * bound);
            // standard error of the mean: bound / sqrt(3 n); of the variance: about 0.9 want / sqrt(n)
            assertThat(Math.abs(mean)).as(name + " mean").isLessThan(5 * bound / Math.sqrt(3.0 * v.length));
            assertThat(Math.abs(var - want) / want).as(name + " relative variance error")
                    .isLessThan(5 * 0.9 / Math.sqrt(v.length));
        }
    }

    @Test
    void mlpWeightsAndBiasesFollowKaimingUniformWithASqrt5() {
        Network net = new Network(Sequential.mlp(784, 512, 512, 10), 784);
        Tensor theta = net.initParams(DType.F64, 2024);
        Map<String, Tensor> m = net.layout().toMap(theta);
        checkUniform("0.weight", m.get("0.weight").toDoubleArray(), 784);
        checkUniform("0.bias", m.get("0.bias").toDoubleArray(), 784);
        checkUniform("2.weight", m.get("2.weight").toDoubleArray(), 512);
        checkUniform("2.bias", m.get("2.bias").toDoubleArray(), 512);
        checkUniform("4.weight", m.get("4.weight").toDoubleArray(), 512);
        checkUniform("4.bias", m.get("4.bias").toDoubleArray(), 512);
        // the bias of layer 0 uses fan_in = 784: all 512 values inside 1/sqrt(784) = 0.0357 (1/sqrt(512) = 0.0442
        // would put about 19% of them outside)
        assertThat(java.util.Arrays.stream(m.get("0.bias").toDoubleArray()).map(Math::abs).max().orElseThrow())
                .isLessThanOrEqualTo(1 / 28.0);
    }

    @Test
    void initialisationIsReproducibleFromTheSeedInBothDtypes() {
        Network net = new Network(Sequential.mlp(20, 7, 3), 20);
        double[] a = net.initParams(DType.F64, 5).toDoubleArray();
        assertThat(net.initParams(DType.F64, 5).toDoubleArray()).containsExactly(a);
        assertThat(net.initParams(DType.F64, 6).toDoubleArray()).doesNotContain(a[0]);
        double[] f = net.initParams(DType.F32, 5).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(f[i]).isEqualTo((double) (float) a[i]);
        }
    }
}
