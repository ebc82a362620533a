package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.measures.LocalOutlierFactor;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authors' quantities in E2 ({@link E2Authors}) on a tiny configuration, checked against computations in the
 * test: the raw-input affine expression by hand at step 0, the LOF-filtered correlations on the points an LOF
 * fitted here keeps, and their estimator's error statistics recomputed at step 0.
 */
class E2AuthorsTest {

    @TempDir
    static Path out;

    static final long SEED = 7;
    static final String MLP = "mlp:784-16-10";

    static final E2FlatnessVsMargins E2 = new E2FlatnessVsMargins(E2Config.builder().archs("affine:784-10", MLP)
            .lrs(0.01, 0.05).data(DataSets.EMBEDDED).trainPoints(120).measurePoints(0).testPoints(50).epochs(1)
            .batchSize(40).checkpoints(2).resamples(20).authorsArch(MLP).authorsPoints(6).build());

    static Map<String, double[]> points;
    static List<String[]> pointRows;
    static List<String[]> corr;
    static Batch train;

    @BeforeAll
    static void runOnce() throws Exception {
        DataSets ds = new DataSets(DataSets.Locations.fromEnvironment());
        ReproduceContext ctx = new ReproduceContext(out, SEED, Scale.QUICK, ds, DType.F64, Progress.NONE);
        Experiment.Section s = E2.run(ctx);
        assertThat(s.markdown()).contains("LocalOutlierFactor").contains(E2Authors.RAW);
        points = ReproduceTest.csv(out.resolve("E2/embedded/seed-0/points.csv"));
        pointRows = E2Test.rows(out.resolve("E2/embedded/seed-0/points.csv"));
        corr = E2Test.rows(out.resolve("E2/embedded/seed-0/correlations.csv"));
        train = Nets.batch(ds.load(DataSets.EMBEDDED, DataSets.Split.TRAIN).first(120).as(DType.F64)
                .as(Dataset.Layout.IMAGES));
    }

    /** Indices of the points.csv rows of a model and step. */
    private static int[] rowsOf(String model, long step) {
        return java.util.stream.IntStream.range(0, pointRows.size())
                .filter(i -> pointRows.get(i)[0].equals(model) && points.get("step")[i] == step).toArray();
    }

    private static double[] col(String name, int[] idx) {
        return Arrays.stream(idx).mapToDouble(i -> points.get(name)[i]).toArray();
    }

    @Test
    void rawAffineExpressionIsOursForTheAffineModelAndTheFormulaForTheMlp() {
        int[] a = rowsOf("affine", 0);
        assertThat(a).hasSize(120);
        double[] raw = col(E2Authors.RAW, a);
        double[] ours = col("affine_trace_expr", a);
        double[] trace = col("trace", a);
        for (int i = 0; i < a.length; i++) {
            assertThat(raw[i]).isCloseTo(ours[i], within(1e-12 * Math.max(1, ours[i])));
            assertThat(raw[i]).isCloseTo(trace[i], within(1e-10 * Math.max(1, trace[i])));
        }
        // the MLP at step 0 has its initial parameters: (||x||^2 + 1)(1 - ||softmax(z)||^2) by hand
        Network net = ModelSpec.parse(MLP).network();
        Tensor theta = net.initParams(DType.F64, SEED);
        double[] z = Nets.logits(net, theta, train.x()).toDoubleArray();
        double[] x = train.x().toDoubleArray();
        int d = 784;
        int[] m = rowsOf(MLP, 0);
        double[] mraw = col(E2Authors.RAW, m);
        double[] mours = col("affine_trace_expr", m);
        int differ = 0;
        for (int n = 0; n < m.length; n++) {
            double x2 = 0;
            for (int k = 0; k < d; k++) {
                x2 += x[n * d + k] * x[n * d + k];
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 10; j++) {
                max = Math.max(max, z[n * 10 + j]);
            }
            double s = 0;
            double[] e = new double[10];
            for (int j = 0; j < 10; j++) {
                e[j] = Math.exp(z[n * 10 + j] - max);
                s += e[j];
            }
            double p2 = 0;
            for (int j = 0; j < 10; j++) {
                p2 += e[j] * e[j] / (s * s);
            }
            assertThat(mraw[n]).isCloseTo((x2 + 1) * (1 - p2), within(1e-10 * Math.max(1, mraw[n])));
            differ += Math.abs(mraw[n] - mours[n]) > 1e-6 * mraw[n] ? 1 : 0;
        }
        assertThat(differ).isEqualTo(m.length);
        // its Pearson with the trace and the other measures, as the report's table computes it
        var pv = new E2FlatnessVsMargins.PointValues(0, 0, 0, "exact-ggn", col("trace", m), new int[m.length],
                new int[m.length], Map.of(E2Authors.RAW, mraw, "affine_trace_expr", mours, "one_minus_m2",
                col("one_minus_m2", m), "output_margin", col("output_margin", m), "input_margin",
                col("input_margin", m)));
        double[] against = E2Authors.rawAgainst(pv);
        assertThat(against[0]).isCloseTo(Correlation.pearson(mraw, col("trace", m)), within(1e-12));
        assertThat(against[3]).isCloseTo(Correlation.pearson(mraw, col("output_margin", m)), within(1e-12));
        // and it is correlated like the other measures
        assertThat(corr.stream().filter(r -> r[3].equals(E2Authors.RAW) && r[5].equals("pearson")).count())
                .isGreaterThanOrEqualTo(2 * 3);
    }

    @Test
    void lofFilteredCorrelationsAreTheCorrelationsOfThePointsLofKeeps() {
        int checked = 0;
        for (String[] r : corr) {
            if (!r[5].equals(E2Authors.PEARSON_LOF) && !r[5].equals(E2Authors.KENDALL_LOF)) {
                continue;
            }
            int[] idx = rowsOf(r[0], Long.parseLong(r[1]));
            String group = r[4];
            int[] g = Arrays.stream(idx).filter(i -> switch (group) {
                case "correct" -> points.get("correct")[i] == 1;
                case "incorrect" -> points.get("correct")[i] == 0;
                default -> true;
            }).toArray();
            double[] t = col("trace", g);
            double[] v = col(r[3], g);
            // the authors' filter: LOF (k = 10, contamination 0.2) on the (measure, trace) pairs
            boolean[] keep = g.length < 5 ? null : LocalOutlierFactor.fit(v, t, 10, 0.2).inlier();
            List<Double> tk = new ArrayList<>();
            List<Double> vk = new ArrayList<>();
            for (int i = 0; i < g.length; i++) {
                if (keep == null || keep[i]) {
                    tk.add(t[i]);
                    vk.add(v[i]);
                }
            }
            assertThat(tk.size()).isLessThan(g.length);
            double[] ta = tk.stream().mapToDouble(Double::doubleValue).toArray();
            double[] va = vk.stream().mapToDouble(Double::doubleValue).toArray();
            double want = r[5].equals(E2Authors.PEARSON_LOF) ? Correlation.pearson(ta, va)
                    : Correlation.kendallTauB(ta, va);
            assertThat(Double.parseDouble(r[6])).as(String.join(",", r)).isCloseTo(want, within(1e-12));
            checked++;
        }
        // 2 models x 3 checkpoints x 5 measures x (at least the group of all points) x 2 methods
        assertThat(checked).isGreaterThanOrEqualTo(2 * 3 * 5 * 2);
    }

    @Test
    void theirEstimatorsErrorAtStepZeroIsRecomputedHere() throws Exception {
        Map<String, double[]> a = ReproduceTest.csv(out.resolve("E2/authors_estimator.csv"));
        assertThat(a.get("step")[0]).isZero();
        for (int i = 0; i < a.get("step").length; i++) {
            assertThat(a.get("relerr_max")[i]).isGreaterThanOrEqualTo(a.get("relerr_p90")[i]);
            assertThat(a.get("negative_fraction")[i]).isBetween(0.0, 1.0);
        }
        Network net = ModelSpec.parse(MLP).network();
        Tensor theta = net.initParams(DType.F64, SEED);
        Batch sub = train.range(0, 6);
        var est = E2Authors.theirEstimator(net, theta, sub, SEED);
        double[] exact = col("trace", rowsOf(MLP, 0));
        double[] rel = new double[6];
        int neg = 0;
        for (int i = 0; i < 6; i++) {
            rel[i] = Math.abs(est.values()[i] - exact[i]) / exact[i];
            neg += est.values()[i] < 0 ? 1 : 0;
        }
        double[] sorted = rel.clone();
        Arrays.sort(sorted);
        System.out.printf("E2 tiny, their estimator at step 0 (f32): relerr %s, negative %d/6, probes %s%n",
                Arrays.toString(sorted), neg, Arrays.toString(est.probes()));
        // float32 HVPs agree to rounding between runs, not bitwise
        assertThat(a.get("relerr_max")[0]).isCloseTo(sorted[5], within(1e-4 * (1 + sorted[5])));
        assertThat(a.get("relerr_median")[0]).isCloseTo((sorted[2] + sorted[3]) / 2, within(1e-4 * (1 + sorted[3])));
        assertThat(a.get("negative_fraction")[0]).isEqualTo(neg / 6.0);
    }
}
