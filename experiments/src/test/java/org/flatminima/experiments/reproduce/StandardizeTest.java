package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reproduce --standardize} and {@code --epochs}: the statistics, where they apply, what E2/E3 record. */
class StandardizeTest {
    @TempDir
    Path tmp;

    private static final E2Config TINY = E2Config.builder().archs("affine:784-10").lrs(0.01)
            .data(DataSets.EMBEDDED).trainPoints(40).testPoints(10).epochs(1).batchSize(10).checkpoints(2)
            .resamples(10).build();

    /** Pixels 0, 255, 51, 102: values 0, 1, 0.2, 0.4, mean 0.4, population variance 0.14. */
    @Test
    void oneMeanAndDeviationOverEveryPixelByHand() {
        Dataset d = Dataset.of("t", "test", 1, 1, 2, new byte[] {0, (byte) 255, 51, 102}, new int[] {0, 1}, 2)
                .as(DType.F64);
        Dataset.Standardization s = Dataset.Standardization.ofAllPixels(d);
        assertThat(s.mean()).containsExactly(new double[] {0.4, 0.4}, within(1e-15));
        assertThat(s.std()).containsExactly(new double[] {Math.sqrt(0.14), Math.sqrt(0.14)}, within(1e-15));
        Dataset[] both = Standardize.GLOBAL.apply(d, d.first(1));
        double sd = Math.sqrt(0.14);
        assertThat(both[0].images().toDoubleArray()).containsExactly(
                new double[] {-0.4 / sd, 0.6 / sd, -0.2 / sd, 0.0}, within(1e-12));
        assertThat(both[1].images().toDoubleArray()).containsExactly(new double[] {-0.4 / sd, 0.6 / sd}, within(1e-12));
        // per pixel: position 0 has values 0, 0.2 (mean 0.1, sd 0.1); position 1 has 1, 0.4 (mean 0.7, sd 0.3)
        assertThat(Standardize.PER_PIXEL.apply(d, d)[0].images().toDoubleArray())
                .containsExactly(new double[] {-1, 1, 1, -1}, within(1e-12));
        assertThat(Standardize.NONE.apply(d, d)[0].images().toDoubleArray())
                .containsExactly(new double[] {0, 1, 0.2, 0.4}, within(1e-15));
    }

    /**
     * On the embedded subset's first 1,500 training images, numpy (float64: {@code x.mean(), x.std()} of the
     * pixels / 255) gives 0.13089146658663467 and 0.308518316795743; on MNIST's 60,000 (when fetched) it gives
     * 0.1306604762738429 and 0.3081078038564622, the authors' (0.1307, 0.3081).
     */
    @Test
    void matchesNumpyOnMnist() {
        DataSets ds = new DataSets(DataSets.Locations.fromEnvironment());
        Dataset sub = ds.load(DataSets.EMBEDDED, DataSets.Split.TRAIN).first(1500);
        Dataset.Standardization s = Dataset.Standardization.ofAllPixels(sub);
        assertThat(s.mean()[0]).isCloseTo(0.13089146658663467, within(1e-12));
        assertThat(s.mean()[783]).isEqualTo(s.mean()[0]);
        assertThat(s.std()[500]).isCloseTo(0.308518316795743, within(1e-11)); // numpy sums pairwise
        Assumptions.assumeTrue(Reproduction.available(ds, DataSets.MNIST), "full MNIST not fetched");
        Dataset.Standardization full = Dataset.Standardization.ofAllPixels(ds.load(DataSets.MNIST, DataSets.Split.TRAIN));
        // 47 M terms summed in order here, pairwise by numpy
        assertThat(full.mean()[0]).isCloseTo(0.1306604762738429, within(1e-10)).isCloseTo(0.1307, within(5e-5));
        assertThat(full.std()[0]).isCloseTo(0.3081078038564622, within(1e-10)).isCloseTo(0.3081, within(5e-5));
    }

    @Test
    void parsesItsThreeNamesAndRefusesOthersInOneLine() {
        assertThat(Standardize.parse(" Global ")).isEqualTo(Standardize.GLOBAL);
        assertThat(Standardize.parse("per-pixel")).isEqualTo(Standardize.PER_PIXEL);
        assertThat(Standardize.parse("none")).isEqualTo(Standardize.NONE);
        assertThatThrownBy(() -> Standardize.parse("zscore")).isInstanceOf(UserException.class)
                .hasMessage("--standardize zscore is not known: give none, global (the authors' one mean and "
                        + "deviation) or per-pixel");
        assertThatThrownBy(() -> Overrides.NONE.withEpochs(-1)).isInstanceOf(UserException.class);
    }

    /**
     * The recorded configuration: {@code standardize} only when set (so that run directories made before the
     * option still match theirs), E2's and E3's epochs replaced by {@code --epochs} (E3's control cap scaled).
     */
    @Test
    void e2AndE3RecordWhatTheyTake() {
        ReproduceContext ctx = new ReproduceContext(tmp, 1, Scale.QUICK, null, DType.F64, Progress.NONE);
        Map<String, Object> own = configOf(new E2FlatnessVsMargins(TINY), ctx);
        assertThat(own).doesNotContainKey("standardize").containsEntry("epochs", 1);
        ReproduceContext both = ctx.withOverrides(Overrides.NONE.withStandardize(Standardize.GLOBAL).withEpochs(7));
        Map<String, Object> changed = configOf(new E2FlatnessVsMargins(TINY), both);
        assertThat(changed).containsEntry("standardize", "global").containsEntry("epochs", 7);
        Map<String, Object> e3 = configOf(new E3BatchSize(E3Test.TINY), both);
        assertThat(e3).containsEntry("standardize", "global").containsEntry("authorsEpochs", 7)
                .containsEntry("currentEpochs", 7).containsEntry("controlMaxEpochs", 16 * 7);
        assertThat(configOf(new E3BatchSize(E3Test.TINY), ctx.withOverrides(Overrides.NONE.withEpochs(7))))
                .doesNotContainKey("standardize").containsEntry("authorsEpochs", 7);
        assertThat(configOf(new E3BatchSize(E3Test.TINY), ctx)).doesNotContainKey("standardize");
        // an override of none is recorded as the configurations' own
        assertThat(configOf(new E2FlatnessVsMargins(TINY),
                ctx.withOverrides(Overrides.NONE.withStandardize(Standardize.NONE)))).isEqualTo(own);
    }

    /**
     * E2 with {@code --standardize global} trains and measures on standardised inputs: at step 0 the affine
     * model's per-point trace and the authors' raw-input expression equal {@code (||x||^2 + 1)(1 - ||p||^2)}
     * computed here from the standardised pixels and the seeded initialisation (and not from pixels / 255).
     */
    @Test
    void e2MeasuresTheStandardisedInputs() throws Exception {
        DataSets ds = new DataSets(DataSets.Locations.fromEnvironment());
        Path out = tmp.resolve("out");
        ReproduceContext ctx = new ReproduceContext(out, 5, Scale.QUICK, ds, DType.F64, Progress.NONE)
                .withOverrides(Overrides.NONE.withStandardize(Standardize.GLOBAL));
        Reproduction.Outcome o = Reproduction.run(List.of(new E2FlatnessVsMargins(TINY)), ctx, false).getFirst();
        assertThat(o.config()).containsEntry("standardize", "global");

        Dataset d = ds.load(DataSets.EMBEDDED, DataSets.Split.TRAIN).as(DType.F64).first(40);
        double[] raw = d.images().toDoubleArray();
        double mean = 0;
        for (double v : raw) {
            mean += v;
        }
        mean /= raw.length;
        double var = 0;
        for (double v : raw) {
            var += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(var / raw.length);
        double[] x = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            x[i] = (raw[i] - mean) / sd;
        }
        Network net = ModelSpec.parse("affine:784-10").network();
        Tensor theta = net.initParams(DType.F64, E2Seeds.seed(5, 0));
        double[] standardised = expression(net, theta, x);
        double[] unscaled = expression(net, theta, raw);

        Map<String, double[]> rows = ReproduceTest.csvWhere(out.resolve("E2/embedded/seed-0/points.csv"), "affine");
        int checked = 0;
        for (int i = 0; i < rows.get("step").length; i++) {
            if (rows.get("step")[i] != 0) {
                continue;
            }
            int p = (int) rows.get("point")[i];
            assertThat(rows.get(E2Authors.RAW)[i]).isCloseTo(standardised[p], within(1e-9 * standardised[p]));
            assertThat(rows.get("trace")[i]).isCloseTo(standardised[p], within(1e-9 * standardised[p]));
            assertThat(Math.abs(rows.get("trace")[i] - unscaled[p])).isGreaterThan(1e-3 * standardised[p]);
            checked++;
        }
        assertThat(checked).isEqualTo(40);
        assertThat(Files.readString(out.resolve("E2/done.json"))).contains("\"standardize\"");
    }

    /** The configuration experiment {@code e} records under {@code ctx}, its overrides applied as by a run. */
    private static Map<String, Object> configOf(Experiment e, ReproduceContext ctx) {
        Reproduction.applyDataOverride(List.of(e), ctx);
        return Reproduction.config(e, ctx);
    }

    /** {@code (||x_i||^2 + 1)(1 - ||softmax(W x_i + b)||^2)} for each of the 40 points of {@code x}. */
    private static double[] expression(Network net, Tensor theta, double[] x) {
        Tensor in = Tensor.of(DType.F64, x, 40, 1, 28, 28);
        double[] z = net.logits(Var.of(theta), in).value().toDoubleArray();
        double[] r = new double[40];
        for (int i = 0; i < 40; i++) {
            double p2 = 0;
            for (double p : ReproduceTest.softmaxRow(z, i, 10)) {
                p2 += p * p;
            }
            double x2 = 0;
            for (int f = 0; f < 784; f++) {
                x2 += x[i * 784 + f] * x[i * 784 + f];
            }
            r[i] = (x2 + 1) * (1 - p2);
        }
        return r;
    }
}
