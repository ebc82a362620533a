package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.hipparchus.linear.MatrixUtils;
import org.hipparchus.linear.SingularValueDecomposition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * E3 end to end on a tiny configuration in float64: the runs' batch sizes, learning rates, momenta and step counts
 * (the controls' above all), and the measures in the CSVs recomputed independently from the saved per-point
 * margins and final parameters; mean and sd across seeds; reuse of finished seeds.
 */
class E3Test {

    @TempDir
    static Path out;

    /**
     * 64 training points, batches 4 and 64 (ratio 16: 16 and 1 steps per epoch); authors' regime 1 epoch, so the
     * control A3 trains 16 epochs = 16 steps; current regime 2 epochs, multiplier capped at 2; 2 seeds.
     */
    static final E3Config TINY = E3Config.builder().arch("mlp:784-8-10").data(DataSets.EMBEDDED).dtype("F64")
            .trainPoints(64).testPoints(64).tracePoints(32).seeds(2).checkpoints(3).smallBatch(4).largeBatch(64)
            .authorsLr(0.1).authorsEpochs(1).controlMaxEpochs(16).currentLr(0.05).currentMomentum(0.9)
            .currentEpochs(2).milestoneFractions(0.5, 0.75).gamma(0.1).maxMultiplier(2).histogramBins(10).build();

    static final long SEED = 3;

    static Experiment.Section section;

    static ReproduceContext ctx(Path dir) {
        return new ReproduceContext(dir, SEED, Scale.QUICK, new DataSets(DataSets.Locations.fromEnvironment()),
                DType.F64, Progress.NONE);
    }

    @BeforeAll
    static void runOnce() throws Exception {
        List<Reproduction.Outcome> o = Reproduction.run(List.of(new E3BatchSize(TINY)), ctx(out), false);
        section = o.get(0).section();
    }

    /** The rows of a CSV with string cells, by column name. */
    static List<Map<String, String>> rows(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        String[] head = lines.get(0).split(",");
        List<Map<String, String>> r = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] cells = l.split(",");
            Map<String, String> m = new java.util.LinkedHashMap<>();
            for (int j = 0; j < head.length; j++) {
                m.put(head[j], cells[j]);
            }
            r.add(m);
        }
        return r;
    }

    static double d(Map<String, String> row, String col) {
        return Double.parseDouble(row.get(col));
    }

    @Test
    void runsUseTheConfiguredBatchLearningRateMomentumAndStepCounts() throws Exception {
        // name -> {batch, epochs, lr, momentum, steps}
        Map<String, double[]> want = Map.of(
                "authors-small", new double[] {4, 1, 0.1, 0, 16},
                "authors-large", new double[] {64, 1, 0.1, 0, 1},
                "authors-large-steps", new double[] {64, 16, 0.1, 0, 16},
                "current-small", new double[] {4, 2, 0.05, 0.9, 32},
                "current-large", new double[] {64, 2, 0.05, 0.9, 2},
                "current-large-hoffer", new double[] {64, 4, 0.05 * 4, 0.9, 4},
                "current-large-steps", new double[] {64, 4, 0.05, 0.9, 4});
        List<Map<String, String>> runs = rows(out.resolve("E3/runs.csv"));
        assertThat(runs).hasSize(14);
        for (Map<String, String> r : runs) {
            double[] w = want.get(r.get("name"));
            String as = r.get("name") + " seed " + r.get("seed");
            assertThat(d(r, "batch")).as(as).isEqualTo(w[0]);
            assertThat(d(r, "epochs")).as(as).isEqualTo(w[1]);
            assertThat(d(r, "lr")).as(as).isCloseTo(w[2], within(1e-15));
            assertThat(d(r, "momentum")).as(as).isEqualTo(w[3]);
            assertThat(d(r, "steps")).as(as).isEqualTo(w[4]);
            long seed = Long.parseLong(r.get("seed"));
            // the step the trainer reached (its count follows from the batch size it used) and the rates in use
            Map<String, double[]> t = ReproduceTest.csv(out.resolve("E3/seed-" + seed + "/run-" + r.get("name")
                    + ".csv"));
            double[] step = t.get("step");
            assertThat(step[step.length - 1]).as(as).isEqualTo(w[4]);
            assertThat(t.get("lr")[0]).as(as).isCloseTo(w[2], within(1e-15));
            // the rate in use during the last epoch: the multistep milestones (epochs) passed by then count
            double lastLr = w[2];
            if (r.get("name").startsWith("current")) {
                for (long m : E3Plan.milestones(TINY, (int) w[1])) {
                    lastLr *= m <= w[1] - 1 ? 0.1 : 1;
                }
            }
            assertThat(t.get("lr")[step.length - 1]).as(as).isCloseTo(lastLr, within(1e-15));
            // what the checkpoint store recorded and the trainer was given
            JsonNode rec = CheckpointStore.JSON.readTree(out.resolve("E3/checkpoints/seed-" + seed + "/"
                    + r.get("name") + "/config.json").toFile());
            assertThat(rec.get("batch").asInt()).isEqualTo((int) w[0]);
            assertThat(rec.get("lr").asDouble()).isCloseTo(w[2], within(1e-15));
            assertThat(rec.get("momentum").asDouble()).isEqualTo(w[3]);
            assertThat(rec.get("seed").asLong()).isEqualTo(seed);
        }
        // the controls: A3 has A2's learning rate and A1's number of steps; C4 has C2's rate and C3's epochs
        List<E3Plan.Run> plan = E3Plan.runs(TINY, 64);
        E3Plan.Run a1 = E3Plan.find(plan, "authors", E3Plan.Role.SMALL);
        E3Plan.Run a2 = E3Plan.find(plan, "authors", E3Plan.Role.LARGE);
        E3Plan.Run a3 = E3Plan.find(plan, "authors", E3Plan.Role.STEPS);
        assertThat(a3.lr()).isEqualTo(a2.lr());
        assertThat(a3.steps(64)).isEqualTo(a1.steps(64));
        E3Plan.Run c2 = E3Plan.find(plan, "current", E3Plan.Role.LARGE);
        E3Plan.Run c3 = E3Plan.find(plan, "current", E3Plan.Role.HOFFER);
        E3Plan.Run c4 = E3Plan.find(plan, "current", E3Plan.Role.STEPS);
        assertThat(c4.lr()).isEqualTo(c2.lr());
        assertThat(c4.epochs()).isEqualTo(c3.epochs());
        assertThat(c4.milestones()).containsExactly(c3.milestones());
        // --epochs: every equal-epoch run takes N, the authors' control still A1's steps (its cap scaled), C3/C4 N x 2
        for (Map.Entry<E3Config, Integer> e : Map.of(TINY, 64, E3Config.quick(), 8192, E3Config.full(), 60000)
                .entrySet()) {
            E3Config c = e.getKey();
            int n = e.getValue();
            for (int epochs : new int[] {1, 3, 15}) {
                List<E3Plan.Run> p = E3Plan.runs(c.withEpochs(epochs), n);
                for (E3Plan.Role role : List.of(E3Plan.Role.SMALL, E3Plan.Role.LARGE)) {
                    assertThat(E3Plan.find(p, "authors", role).epochs()).isEqualTo(epochs);
                    assertThat(E3Plan.find(p, "current", role).epochs()).isEqualTo(epochs);
                }
                long a1Steps = E3Plan.find(p, "authors", E3Plan.Role.SMALL).steps(n);
                int largePerEpoch = (n + c.largeBatch() - 1) / c.largeBatch(); // A3 trains whole epochs
                assertThat(E3Plan.find(p, "authors", E3Plan.Role.STEPS).steps(n)).as("A3 of %d epochs", epochs)
                        .isBetween(a1Steps, a1Steps + largePerEpoch - 1);
                assertThat(E3Plan.find(p, "current", E3Plan.Role.STEPS).epochs())
                        .isEqualTo(epochs * E3Plan.multiplier(c));
            }
        }
        assertThat(E3Config.quick().withEpochs(15).controlMaxEpochs()).isEqualTo(240); // 64 x 15 / 4
        assertThat(E3Config.full().withEpochs(15).controlMaxEpochs()).isEqualTo(E3Config.full().controlMaxEpochs());
        // the cap: with controlMaxEpochs 8 the control stops at 8 epochs
        assertThat(E3Plan.controlEpochs(TINY.toBuilder().controlMaxEpochs(8).build(), 64)).isEqualTo(8);
        // uneven sizes: 100 points, batches 8 and 128: A1 13 steps per epoch, A3 ceil(13 / 1) epochs
        assertThat(E3Plan.controlEpochs(TINY.toBuilder().smallBatch(8).largeBatch(128).controlMaxEpochs(99)
                .build(), 100)).isEqualTo(13);
    }

    /** Largest singular value of the weight {@code [rows, cols]} at {@code offset} of {@code v}, by a dense SVD. */
    static double svdNorm(double[] v, int offset, int rows, int cols) {
        double[][] w = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(v, offset + i * cols, w[i], 0, cols);
        }
        return new SingularValueDecomposition(MatrixUtils.createRealMatrix(w)).getNorm();
    }

    static double frobenius(double[] v, int offset, int n) {
        double s = 0;
        for (int i = offset; i < offset + n; i++) {
            s += v[i] * v[i];
        }
        return Math.sqrt(s);
    }

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    @Test
    void skewnessMomentsAndNormalisedMarginsInTheCsvEqualARecomputationFromTheSavedMarginsAndParameters()
            throws Exception {
        Network net = ModelSpec.parse(TINY.arch()).network();
        Dataset d = new DataSets(DataSets.Locations.fromEnvironment()).load(DataSets.EMBEDDED, DataSets.Split.TRAIN)
                .as(DType.F64).as(Dataset.Layout.IMAGES).first(64);
        for (long seed : List.of(SEED, SEED + 1)) {
            for (E3Plan.Run r : E3Plan.runs(TINY, 64)) {
                String as = r.name() + " seed " + seed;
                Path sd = out.resolve("E3/seed-" + seed);
                Map<String, double[]> pts = ReproduceTest.csv(sd.resolve("margins-" + r.name() + ".csv"));
                double[] m = pts.get("output_margin");
                assertThat(m).hasSize(64);
                // the saved margins are those of the saved final parameters
                Tensor theta = Weights.load(sd.resolve(r.name() + "-final.safetensors"), net, DType.F64);
                double[] z = net.logits(Var.of(theta), d.images()).value().toDoubleArray();
                for (int i = 0; i < 64; i++) {
                    int y = d.labels()[i];
                    double other = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < 10; j++) {
                        if (j != y) {
                            other = Math.max(other, z[i * 10 + j]);
                        }
                    }
                    assertThat(m[i]).as(as).isCloseTo(z[i * 10 + y] - other, within(1e-12));
                }
                // skewness g1 and third moments by hand
                double mean = Arrays.stream(m).sum() / m.length;
                double absMean = Arrays.stream(m).map(Math::abs).sum() / m.length;
                double m2 = 0;
                double m3 = 0;
                double a3 = 0;
                for (double x : m) {
                    m2 += (x - mean) * (x - mean) / m.length;
                    m3 += (x - mean) * (x - mean) * (x - mean) / m.length;
                    a3 += Math.pow(Math.abs(x) - absMean, 3) / m.length;
                }
                Map<String, double[]> t = ReproduceTest.csv(sd.resolve("run-" + r.name() + ".csv"));
                int last = t.get("step").length - 1;
                assertThat(t.get("output_margin_skewness")[last]).as(as).isCloseTo(m3 / Math.pow(m2, 1.5),
                        within(1e-10));
                assertThat(t.get("output_margin_m3")[last]).as(as).isCloseTo(m3, within(1e-10 * Math.abs(m3)));
                assertThat(t.get("authors_margin_m3")[last]).as(as).isCloseTo(a3, within(1e-10 * Math.abs(a3)));
                assertThat(t.get("output_margin_median")[last]).as(as).isEqualTo(median(m));
                // the normalisers from the parameters: weights [8, 784] then [10, 8] (biases after each)
                double[] v = theta.toDoubleArray();
                int w2 = 8 * 784 + 8;
                double spectral = svdNorm(v, 0, 8, 784) * svdNorm(v, w2, 10, 8);
                double fro = frobenius(v, 0, 8 * 784) * frobenius(v, w2, 80);
                assertThat(t.get("spectral_norm_product")[last]).as(as).isCloseTo(spectral, within(1e-9 * spectral));
                assertThat(t.get("frobenius_norm_product")[last]).as(as).isCloseTo(fro, within(1e-12 * fro));
                assertThat(t.get("normalised_margin_spectral_median")[last]).as(as).isCloseTo(median(m) / spectral,
                        within(1e-9 * Math.abs(median(m) / spectral)));
                assertThat(t.get("normalised_margin_frobenius_median")[last]).as(as).isCloseTo(median(m) / fro,
                        within(1e-12 * Math.abs(median(m) / fro)));
                for (int i = 0; i < 64; i++) {
                    assertThat(pts.get("normalised_spectral")[i]).isCloseTo(m[i] / spectral,
                            within(1e-9 * Math.abs(m[i] / spectral)));
                }
                // the training moved the parameters: the margins differ from step 0's
                assertThat(t.get("output_margin_median")[0]).as(as).isNotEqualTo(t.get("output_margin_median")[last]);
            }
        }
    }

    @Test
    void meanAndSampleSdAcrossSeedsEqualARecomputationFromThePerSeedRows() throws Exception {
        List<Map<String, String>> runs = rows(out.resolve("E3/runs.csv"));
        List<Map<String, String>> summary = rows(out.resolve("E3/summary.csv"));
        assertThat(summary).hasSize(7 * E3Report.measures(TINY).size());
        for (Map<String, String> s : summary) {
            double[] v = runs.stream().filter(r -> r.get("name").equals(s.get("name")))
                    .mapToDouble(r -> d(r, s.get("measure"))).toArray();
            assertThat(v).hasSize(2);
            double mean = (v[0] + v[1]) / 2;
            double sd = Math.sqrt(((v[0] - mean) * (v[0] - mean) + (v[1] - mean) * (v[1] - mean)) / 1);
            String as = s.get("name") + " " + s.get("measure");
            assertThat(d(s, "mean")).as(as).isCloseTo(mean, within(1e-12 * Math.max(1, Math.abs(mean))));
            assertThat(d(s, "sd")).as(as).isCloseTo(sd, within(1e-12 * Math.max(1, sd)));
            assertThat(d(s, "seeds")).isEqualTo(2);
        }
        // the headline table shows them as "mean ± sd"
        assertThat(section.markdown()).contains("mean ± sample standard deviation across the 2 seeds");
    }

    @Test
    void reportPlotsAndTitleSayWhatRan() throws Exception {
        assertThat(section.plots()).hasSize(E3Plots.FILES.size());
        for (String p : section.plots()) {
            byte[] b = Files.readAllBytes(out.resolve(p));
            assertThat(b.length).isGreaterThan(1000);
            assertThat(Arrays.copyOf(b, 4)).containsExactly(0x89, 'P', 'N', 'G');
            assertThat(section.markdown()).contains("](" + p + ")");
        }
        assertThat(section.markdown()).contains("**Verdict for the authors' regime.**",
                "**Verdict for the current regime.**", "A3 (the large batch at the same lr for as many steps as A1");
        String report = Files.readString(out.resolve("report.md"));
        assertThat(report).contains("## E3: batch 4 vs 64, plain SGD at lr 0.1", "quick scale, embedded MNIST subset, "
                + "mlp:784-8-10, 2 seeds");
    }

    @Test
    void moreSeedsReuseTheFinishedSeeds(@TempDir Path dir) throws Exception {
        CheckpointStoreTest.Recorder one = new CheckpointStoreTest.Recorder(-1);
        new E3BatchSize(TINY.toBuilder().seeds(1).build(), one).run(ctx(dir));
        assertThat(one.saved).allMatch(s -> s.startsWith("E3 seed-" + SEED + " "));
        String before = Files.readString(dir.resolve("E3/seed-" + SEED + "/run-authors-small.csv"));
        CheckpointStoreTest.Recorder two = new CheckpointStoreTest.Recorder(-1);
        Experiment.Section sec = new E3BatchSize(TINY, two).run(ctx(dir));
        // nothing of the first seed is computed again; the second seed is computed in full
        assertThat(two.saved).isNotEmpty().allMatch(s -> s.startsWith("E3 seed-" + (SEED + 1) + " "));
        assertThat(two.saved).hasSameSizeAs(one.saved);
        assertThat(two.discarded).isEmpty();
        assertThat(two.resumed).isEmpty(); // no run was left unfinished
        assertThat(sec.summary()).containsEntry(Reproduction.RESUMED, one.saved.size());
        assertThat(Files.readString(dir.resolve("E3/seed-" + SEED + "/run-authors-small.csv"))).isEqualTo(before);
    }

    @Test
    void verdictsFollowTheNumbers() {
        E3BatchSize.Outcome o = E3VerdictsTest.outcome(TINY, new double[] {0.90, 0.80, 0.89}, 2);
        String h = new E3Verdicts(o).authorsHeadline();
        assertThat(h).contains("holds in all 2 seeds");
        E3BatchSize.Outcome worse = E3VerdictsTest.outcome(TINY, new double[] {0.90, 0.80, 0.82}, 2);
        assertThat(new E3Verdicts(worse).authorsHeadline()).contains("does not hold in every seed",
                "at least half recovered by A3 in 0 of 2 seeds");
    }

    @Test
    void atFullScaleE3UsesTheFullMnistAndAMissingOneFailsBeforeAnythingRuns(@TempDir Path dir,
                                                                            @TempDir Path empty) {
        E3BatchSize e3 = new E3BatchSize();
        assertThat(E3Config.full().data()).isEqualTo(DataSets.MNIST);
        assertThat(E3Config.full().seeds()).isGreaterThanOrEqualTo(3);
        assertThat(E3Config.quick().seeds()).isGreaterThanOrEqualTo(2);
        assertThat(e3.requiredData(Scale.FULL)).containsExactly(DataSets.MNIST);
        assertThat(e3.requiredData(Scale.QUICK)).isEmpty();
        ReproduceContext ctx = new ReproduceContext(dir, 1, Scale.FULL,
                new DataSets(DataSets.Locations.fromEnvironment().withCache(empty)), DType.F32, Progress.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Reproduction.checkData(List.of(e3), ctx))
                .isInstanceOf(org.flatminima.experiments.UserException.class)
                .hasMessageContaining("E3 at full scale needs mnist")
                .hasMessageContaining("flatminima data fetch mnist")
                .hasMessageNotContaining("\n");
        assertThat(dir.resolve("E3")).doesNotExist();
    }
}
