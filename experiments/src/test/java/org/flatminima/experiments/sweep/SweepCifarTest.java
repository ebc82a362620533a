package org.flatminima.experiments.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.CifarFiles;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sweep specification on CIFAR-10 ({@code dataset: cifar10}): resolved, checked against the files, run. */
class SweepCifarTest {

    @TempDir
    Path tmp;

    @Test
    void aCifar10SpecResolvesChecksItsDataAndRuns() throws IOException {
        Path dir = CifarFiles.writeDir(tmp.resolve("cifar-10-batches-bin"), 4);
        SweepSpec spec = SweepSpecTest.parse("dataset: cifar10", "arch: affine:3072-10", "train_points: 12",
                "test_points: 4", "epochs: 1", "batch_size: 4", "lr: 0.01", "dtype: f64", "measures: [trace]");
        RunConfig cfg = spec.runs().getFirst();
        assertThat(cfg.dataset()).isEqualTo("cifar-10");
        // the same run however the name is spelled
        assertThat(SweepSpecTest.parse("dataset: CIFAR-10", "arch: affine:3072-10", "train_points: 12",
                "test_points: 4", "epochs: 1", "batch_size: 4", "lr: 0.01", "dtype: f64", "measures: [trace]")
                .runs().getFirst().id()).isEqualTo(cfg.id());
        DataSets.Locations here = DataSets.Locations.fromEnvironment().withCifarDir(dir);
        spec.requireData(new DataSets(here));
        // 12 + 4 points are there, the full release's 50,000 are not
        SweepSpec all = SweepSpecTest.parse("dataset: cifar10", "arch: affine:3072-10");
        assertThatThrownBy(() -> all.requireData(new DataSets(here))).isInstanceOf(UserException.class)
                .hasMessageContaining("has 20 training and 4 test points, but the run {} needs 50000 and 10000");
        assertThat(SweepSpecTest.error("dataset: cifar10", "arch: mlp:784-10"))
                .startsWith("test.yaml line 2: model mlp:784-10 takes inputs of shape [784] but cifar-10 has "
                        + "3x32x32 images (3072 values)");

        List<SweepTable.Row> rows = SweepRun.execute(cfg, tmp.resolve("run"), SweepRun.QUIET, here);
        SweepTable.Row last = rows.getLast();
        assertThat(last.status()).isEqualTo("finished");
        assertThat(last.cell("dataset")).isEqualTo("cifar-10");
        // the trace of the mean loss of an affine model: mean over the points of (1 - |p|^2)(|x|^2 + 1)
        Network net = ModelSpec.parse("affine:3072-10").network();
        Tensor theta = Weights.load(tmp.resolve("run/model.safetensors"), net, DType.F64);
        List<ParameterLayout.Entry> e = net.layout().entries();
        double[] w = theta.slice(0, e.get(0).offset(), e.get(0).end()).toDoubleArray();
        double[] b = theta.slice(0, e.get(1).offset(), e.get(1).end()).toDoubleArray();
        double sum = 0;
        for (int p = 0; p < 12; p++) {
            byte[] batch = CifarFiles.batch(p / 4, 4);
            int r = p % 4;
            double[] x = new double[3072];
            double sq = 1;
            for (int i = 0; i < 3072; i++) {
                x[i] = (batch[r * 3073 + 1 + i] & 0xFF) / 255.0;
                sq += x[i] * x[i];
            }
            double[] z = new double[10];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 10; k++) {
                z[k] = b[k];
                for (int i = 0; i < 3072; i++) {
                    z[k] += w[k * 3072 + i] * x[i];
                }
                max = Math.max(max, z[k]);
            }
            double norm = 0;
            for (int k = 0; k < 10; k++) {
                norm += Math.exp(z[k] - max);
            }
            double p2 = 0;
            for (int k = 0; k < 10; k++) {
                double q = Math.exp(z[k] - max) / norm;
                p2 += q * q;
            }
            sum += (1 - p2) * sq;
        }
        assertThat(last.number("trace")).isCloseTo(sum / 12, within(1e-9 * sum));
    }
}
