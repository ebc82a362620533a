package org.flatminima.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Safetensors;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PerPointTraces} on a tiny model written with the project's own safetensors writer and loaded back as a
 * user would: each point's exact trace against the trace of that point's loss Hessian from second-order central
 * finite differences in float64, one parameter at a time, of the model's loss written out in plain doubles (an
 * independent computation: no engine code).
 */
class PerPointTracesTest {

    private static final String SPEC = "mlp:784-4-10";
    private static final double H = 1e-3;

    @TempDir
    Path dir;

    private Path writeModel() {
        Network net = ModelSpec.parse(SPEC).network();
        Tensor theta = net.initParams(DType.F64, 42);
        Path file = dir.resolve("model.safetensors");
        Weights.save(file, net, theta, Map.of("format", "pt"));
        return file;
    }

    @Test
    void perPointTracesAgreeWithFiniteDifferences() {
        Path file = writeModel();
        Dataset data = PerPointTraces.testPoints(3);
        double[] traces = PerPointTraces.perPointTraces(SPEC, file, data);
        assertThat(traces).hasSize(3);

        // the file's tensors, read back by name (PyTorch's nn.Sequential names: Linear 0, ReLU 1, Linear 2)
        Map<String, Tensor> w = Safetensors.read(file, DType.F64).tensors();
        double[][] params = {w.get("0.weight").toDoubleArray(), w.get("0.bias").toDoubleArray(),
                w.get("2.weight").toDoubleArray(), w.get("2.bias").toDoubleArray()};
        double[] x = data.images().toDoubleArray();
        for (int n = 0; n < traces.length; n++) {
            double[] xn = java.util.Arrays.copyOfRange(x, n * 784, (n + 1) * 784);
            int label = data.label(n);
            double f0 = loss(params, xn, label);
            double trace = 0;
            for (double[] a : params) {
                for (int i = 0; i < a.length; i++) {
                    double keep = a[i];
                    a[i] = keep + H;
                    double fp = loss(params, xn, label);
                    a[i] = keep - H;
                    double fm = loss(params, xn, label);
                    a[i] = keep;
                    trace += (fp - 2 * f0 + fm) / (H * H);
                }
            }
            assertThat(traces[n]).as("point %d: exact-ggn trace vs finite differences", n)
                    .isCloseTo(trace, within(1e-6 * (1 + Math.abs(trace))));
            assertThat(trace).as("a nonzero trace (the check is not vacuous)").isGreaterThan(1e-3);
        }
    }

    /**
     * The cross-entropy of mlp:784-4-10 on one point, in plain doubles: z = W2 relu(W1 x + b1) + b2,
     * loss = log(sum(exp(z))) - z[label].
     */
    private static double loss(double[][] params, double[] x, int label) {
        double[] w1 = params[0];
        double[] b1 = params[1];
        double[] w2 = params[2];
        double[] b2 = params[3];
        double[] h = new double[4];
        for (int j = 0; j < 4; j++) {
            double s = b1[j];
            for (int k = 0; k < 784; k++) {
                s += w1[j * 784 + k] * x[k];
            }
            h[j] = Math.max(0, s);
        }
        double[] z = new double[10];
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < 10; c++) {
            z[c] = b2[c];
            for (int j = 0; j < 4; j++) {
                z[c] += w2[c * 4 + j] * h[j];
            }
            m = Math.max(m, z[c]);
        }
        double sum = 0;
        for (double zc : z) {
            sum += Math.exp(zc - m);
        }
        return m + Math.log(sum) - z[label];
    }

    @Test
    void mainPrintsEachPointAndTheMean() throws Exception {
        Path file = writeModel();
        double[] traces = PerPointTraces.perPointTraces(SPEC, file, PerPointTraces.testPoints(4));
        String out = Stdout.of(() -> PerPointTraces.main(new String[] {SPEC, file.toString(), "4"}));
        double mean = (traces[0] + traces[1] + traces[2] + traces[3]) / 4;
        assertThat(out).contains("point  label  trace").contains(String.format("mean of 4 points: %.6g", mean));
        assertThat(out.lines().filter(l -> l.matches("\\s+\\d+\\s+\\d\\s+\\S+")).count()).isEqualTo(4);
    }
}
