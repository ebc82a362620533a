package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** E2 end to end on a tiny configuration; contents checked against the math. */
class E2Test {

    @TempDir
    static Path out;

    static Experiment.Section section;

    /** Three models, two data sets, two seeds; 200 points, batch 50, one epoch: checkpoints at steps 0, 1, 2, 4. */
    static final E2Config TINY = E2Config.builder().archs("affine:784-10", "mlp:784-16-10",
                    "seq:1x28x28:conv(2,3,pad=1),relu,maxpool(2),flatten,linear(10)").lrs(0.01, 0.05, 0.05)
            .data(DataSets.EMBEDDED, DataSets.FASHION).seeds(2).trainPoints(200).measurePoints(0).testPoints(100)
            .epochs(1).batchSize(50).checkpoints(3).resamples(20).authorsArch("mlp:784-16-10").authorsPoints(3)
            .build();

    static final E2FlatnessVsMargins E2 = new E2FlatnessVsMargins(TINY);

    @BeforeAll
    static void runOnce() throws Exception {
        ReproduceContext ctx = new ReproduceContext(out, 7, Scale.QUICK,
                new DataSets(DataSets.Locations.fromEnvironment()), DType.F64, Progress.NONE);
        section = E2.run(ctx);
    }

    /** Rows of a CSV as string cells (no quoting in our CSVs). */
    static List<String[]> rows(Path file) throws Exception {
        List<String> lines = Files.readAllLines(file);
        List<String[]> r = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            r.add(l.split(","));
        }
        return r;
    }

    @Test
    void affineTraceExpressionIsTheAffineModelsPerPointTrace() throws Exception {
        Map<String, double[]> p = ReproduceTest.csv(out.resolve("E2/embedded/seed-0/points.csv"));
        List<String[]> raw = rows(out.resolve("E2/embedded/seed-0/points.csv"));
        int checked = 0;
        for (long step : new long[] {0, 1, 2, 4}) {
            List<Double> t = new ArrayList<>();
            List<Double> a = new ArrayList<>();
            for (int i = 0; i < raw.size(); i++) {
                if (raw.get(i)[0].equals("affine") && p.get("step")[i] == step) {
                    t.add(p.get("trace")[i]);
                    a.add(p.get("affine_trace_expr")[i]);
                }
            }
            if (t.isEmpty()) {
                continue;
            }
            double[] tt = t.stream().mapToDouble(Double::doubleValue).toArray();
            double[] aa = a.stream().mapToDouble(Double::doubleValue).toArray();
            for (int i = 0; i < tt.length; i++) {
                assertThat(aa[i]).isCloseTo(tt[i], org.assertj.core.data.Offset.offset(1e-10 * Math.abs(tt[i])));
            }
            assertThat(Correlation.pearson(tt, aa)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(2);
        // and the CSV of correlations says the same
        for (String[] r : rows(out.resolve("E2/embedded/seed-0/correlations.csv"))) {
            if (r[0].equals("affine") && r[3].equals("affine_trace_expr") && r[4].equals("all")
                    && r[5].equals("pearson")) {
                assertThat(Double.parseDouble(r[6])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }

    @Test
    void correlationsLieInMinusOneOneWithTheirIntervals() throws Exception {
        List<String[]> c = rows(out.resolve("E2/embedded/seed-0/correlations.csv"));
        assertThat(c).isNotEmpty();
        int models = 0;
        int inside = 0;
        for (String[] r : c) {
            double v = Double.parseDouble(r[6]);
            double lo = Double.parseDouble(r[7]);
            double hi = Double.parseDouble(r[8]);
            assertThat(v).isBetween(-1.0 - 1e-12, 1.0 + 1e-12);
            assertThat(lo).isLessThanOrEqualTo(hi);
            assertThat(lo).isBetween(-1.0 - 1e-12, 1.0 + 1e-12);
            assertThat(hi).isBetween(-1.0 - 1e-12, 1.0 + 1e-12);
            // a percentile interval need not contain the estimate (e.g. near +-1 the resampled coefficients are
            // skewed away from the bound); it does for the great majority of rows
            inside += lo <= v + 1e-12 && v <= hi + 1e-12 ? 1 : 0;
            models += r[0].equals("cnn") ? 1 : 0;
        }
        assertThat(models).isPositive();
        assertThat(inside).isGreaterThanOrEqualTo((int) (0.9 * c.size()));
        assertThat(c.stream().anyMatch(r -> r[5].equals("pearson_authors_estimator"))).isTrue();
        assertThat(c.stream().anyMatch(r -> r[5].equals("kendall") && r[4].equals("correct"))).isTrue();
    }

    @Test
    void perPointTracesAreNonNegativeAndOutputsExist() throws Exception {
        Map<String, double[]> p = ReproduceTest.csv(out.resolve("E2/embedded/seed-0/points.csv"));
        assertThat(p.get("trace").length).isGreaterThanOrEqualTo(3 * 3 * 200);
        for (double v : p.get("trace")) {
            assertThat(v).isGreaterThanOrEqualTo(0.0);
        }
        for (double v : p.get("one_minus_m2")) {
            assertThat(v).isBetween(0.0, 1.0);
        }
        // four of the first seed and the two redrawn figures per data set, and the authors' estimator's error plot
        assertThat(section.plots()).hasSize(2 * (4 + 2) + 1);
        for (String plot : section.plots()) {
            Path f = out.resolve(plot);
            assertThat(f).exists();
            byte[] head = Files.readAllBytes(f);
            assertThat(head[1]).isEqualTo((byte) 'P');
            assertThat(section.markdown()).contains(plot);
        }
        // the authors' estimator at every checkpoint of the MLP (steps 0, 1, 2, 4), on both data sets
        Map<String, double[]> a = ReproduceTest.csv(out.resolve("E2/authors_estimator.csv"));
        List<String[]> araw = rows(out.resolve("E2/authors_estimator.csv"));
        assertThat(araw).hasSize(2 * 4);
        assertThat(araw.stream().map(r -> r[0]).distinct()).containsExactly("embedded", "fashion-mnist");
        assertThat(a.get("step")).containsExactly(0, 1, 2, 4, 0, 1, 2, 4);
        for (int i = 0; i < araw.size(); i++) {
            assertThat(a.get("points")[i]).isEqualTo(3);
            assertThat(a.get("relerr_q1")[i]).isGreaterThanOrEqualTo(0.0)
                    .isLessThanOrEqualTo(a.get("relerr_median")[i]);
            assertThat(a.get("relerr_median")[i]).isLessThanOrEqualTo(a.get("relerr_q3")[i]);
            assertThat(a.get("relerr_q3")[i]).isLessThanOrEqualTo(a.get("relerr_p90")[i]);
            assertThat(a.get("probes_median")[i]).isBetween(1.0, 100.0);
        }
        assertThat(rows(out.resolve("E2/embedded/seed-0/authors_correlations.csv")))
                .hasSize(4 * E2FlatnessVsMargins.MEASURES.size());
    }

    @Test
    void withoutFashionMnistTheReportSaysSoAndMnistStillRuns(@TempDir Path dir, @TempDir Path empty) throws Exception {
        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins(E2Config.builder().archs("affine:784-10").lrs(0.01)
                .data(DataSets.EMBEDDED, DataSets.FASHION).trainPoints(60).testPoints(30).batchSize(20)
                .checkpoints(2).resamples(10).authorsArch("affine:784-10").authorsPoints(2).build());
        ReproduceContext ctx = new ReproduceContext(dir, 1, Scale.QUICK,
                new DataSets(DataSets.Locations.fromEnvironment().withFashionDir(empty)), DType.F64, Progress.NONE);
        Experiment.Section s = e2.run(ctx);
        assertThat(s.markdown()).contains("Fashion-MNIST (`fashion-mnist`) is not installed here, so E2 ran without "
                + "it (apt-get install dataset-fashion-mnist).");
        assertThat(dir.resolve("E2/embedded/seed-0/points.csv")).exists();
        assertThat(dir.resolve("E2/fashion-mnist")).doesNotExist();
        assertThat(s.summary().get("missingDataSets")).isEqualTo(List.of(DataSets.FASHION));
    }

    @Test
    void withoutTheFullMnistE2StopsWithOneLineNamingTheFetchCommand(@TempDir Path dir, @TempDir Path empty) {
        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins(E2Config.builder().archs("affine:784-10").lrs(0.01)
                .data(DataSets.MNIST, DataSets.FASHION).trainPoints(60).testPoints(30).batchSize(20)
                .checkpoints(2).resamples(10).authorsArch("affine:784-10").authorsPoints(2).build());
        ReproduceContext ctx = new ReproduceContext(dir, 1, Scale.FULL,
                new DataSets(DataSets.Locations.fromEnvironment().withCache(empty)), DType.F64, Progress.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> e2.run(ctx))
                .isInstanceOf(org.flatminima.experiments.UserException.class)
                .hasMessageContaining("flatminima data fetch mnist")
                .hasMessageNotContaining("\n");
    }

    /**
     * Chunked measuring (chunk 7 of 23 points) against one pass. On the scalar backend every row of a product is
     * computed by the same loop whatever the batch, so the values must agree bit for bit (order, concatenation);
     * OpenBLAS (the native default) picks kernels by the row count, so there they agree to rounding only.
     */
    @Test
    void measuringInChunksGivesTheOnePassValues() {
        org.flatminima.engine.Engine.with(org.flatminima.kernels.Backends.get("scalar"),
                () -> checkChunked(0));
        checkChunked(1e-12);
    }

    private static void checkChunked(double rel) {
        org.flatminima.experiments.data.Dataset d = new DataSets(DataSets.Locations.fromEnvironment())
                .load(DataSets.EMBEDDED, DataSets.Split.TRAIN).first(23).as(DType.F64)
                .as(org.flatminima.experiments.data.Dataset.Layout.IMAGES);
        org.flatminima.experiments.train.Batch b = Nets.batch(d);
        org.flatminima.experiments.train.Batch test = b.range(0, 5);
        for (String arch : List.of("affine:784-10", "mlp:784-16-10",
                "seq:1x28x28:conv(2,3,pad=1),relu,maxpool(2),flatten,linear(10)")) {
            org.flatminima.engine.nn.Network net = org.flatminima.experiments.models.ModelSpec.parse(arch).network();
            org.flatminima.engine.Tensor theta = net.initParams(DType.F64, 11);
            E2FlatnessVsMargins.PointValues one = E2FlatnessVsMargins.measure(net, 3, theta, b, test, b.size());
            E2FlatnessVsMargins.PointValues chunked = E2FlatnessVsMargins.measure(net, 3, theta, b, test, 7);
            assertClose(arch + " trace", chunked.trace(), one.trace(), rel);
            assertThat(chunked.predicted()).as(arch).containsExactly(one.predicted());
            assertThat(chunked.labels()).as(arch).containsExactly(one.labels());
            for (String m : E2FlatnessVsMargins.MEASURES) {
                assertClose(arch + " " + m, chunked.measures().get(m), one.measures().get(m), rel);
            }
            assertThat(chunked.trainAcc()).isEqualTo(one.trainAcc());
            assertThat(chunked.testAcc()).isEqualTo(one.testAcc());
            // the one-pass values against an independent computation: the margins of the logits
            org.flatminima.experiments.measures.Margins.Columns cols = org.flatminima.experiments.measures.Margins
                    .of(Nets.logits(net, theta, b.x()), b.labels());
            assertClose(arch + " output margin vs logits", one.measures().get("output_margin"), cols.output(), rel);
            assertThat(one.trainAcc()).isEqualTo(org.flatminima.experiments.measures.Margins.accuracy(cols,
                    b.labels()));
        }
    }

    private static void assertClose(String what, double[] actual, double[] expected, double rel) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (rel == 0) {
                assertThat(Double.doubleToRawLongBits(actual[i])).as(what + " [" + i + "]")
                        .isEqualTo(Double.doubleToRawLongBits(expected[i]));
            } else {
                assertThat(actual[i]).as(what + " [" + i + "]").isCloseTo(expected[i],
                        org.assertj.core.data.Offset.offset(rel * Math.max(1, Math.abs(expected[i]))));
            }
        }
    }

    @Test
    void atFullScaleE2NeedsTheFullMnistAndUsesFashionMnistWhenPresent() {
        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins();
        assertThat(e2.requiredData(Scale.FULL)).containsExactly(DataSets.MNIST);
        assertThat(e2.optionalData(Scale.FULL)).containsExactly(DataSets.FASHION);
        assertThat(e2.requiredData(Scale.QUICK)).isEmpty();
        assertThat(e2.optionalData(Scale.QUICK)).containsExactly(DataSets.FASHION);
    }

    @Test
    void aMissingFullMnistFailsE2BeforeAnythingRuns(@TempDir Path dir, @TempDir Path empty) {
        ReproduceContext ctx = new ReproduceContext(dir, 1, Scale.FULL,
                new DataSets(DataSets.Locations.fromEnvironment().withCache(empty)), DType.F64, Progress.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Reproduction.checkData(
                        List.of(new E2FlatnessVsMargins()), ctx))
                .isInstanceOf(org.flatminima.experiments.UserException.class)
                .hasMessageContaining("E2 at full scale needs mnist")
                .hasMessageContaining("flatminima data fetch mnist")
                .hasMessageNotContaining("\n");
        assertThat(dir.resolve("E2")).doesNotExist();
    }

    // ---- seeds ----

    /** Rows of one seed's CSV of data set {@code data}, as string cells. */
    static List<String[]> seedRows(String data, int seed, String file) throws Exception {
        return rows(out.resolve("E2").resolve(data).resolve("seed-" + seed).resolve(file));
    }

    /** Pearson's r, written out here independently of {@code Correlation}. */
    static double pearson(double[] x, double[] y) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    @Test
    void seedZeroIsTheMasterSeedAndTheOthersSplitMix64() {
        assertThat(E2Seeds.seed(7, 0)).isEqualTo(7L);
        // SplitMix64 seeded with 0: its first output is 0xE220A8397B1DCDAF (Vigna's reference splitmix64.c)
        assertThat(E2Seeds.seed(0, 1)).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(java.util.stream.IntStream.range(0, 50).mapToLong(k -> E2Seeds.seed(7, k)).distinct().count())
                .isEqualTo(50);
    }

    @Test
    void theSeedsGiveDifferentNetworks() throws Exception {
        for (String data : List.of(DataSets.EMBEDDED, DataSets.FASHION)) {
            List<String[]> a = seedRows(data, 0, "points.csv");
            List<String[]> b = seedRows(data, 1, "points.csv");
            assertThat(b).hasSameSizeAs(a);
            for (String model : List.of("affine", "mlp:784-16-10", "cnn")) {
                // the trace column of every checkpoint but the first (the affine model starts at zero whatever the
                // seed; its batch order differs), and the whole column for the networks (the initialisation too)
                long differ = 0;
                long differAtStart = 0;
                for (int i = 0; i < a.size(); i++) {
                    if (!a.get(i)[0].equals(model)) {
                        continue;
                    }
                    assertThat(b.get(i)[0]).isEqualTo(model);
                    assertThat(b.get(i)[1]).isEqualTo(a.get(i)[1]); // same steps
                    boolean d = !a.get(i)[6].equals(b.get(i)[6]);
                    differ += d ? 1 : 0;
                    differAtStart += d && a.get(i)[1].equals("0") ? 1 : 0;
                }
                assertThat(differ).as(data + " " + model).isGreaterThan(100);
                if (!model.equals("affine")) {
                    assertThat(differAtStart).as(data + " " + model + " at step 0").isEqualTo(200);
                }
            }
        }
    }

    @Test
    void meanAndSdAcrossSeedsAreThoseOfThePerSeedCsvs() throws Exception {
        int checked = 0;
        for (String data : List.of(DataSets.EMBEDDED, DataSets.FASHION)) {
            List<String[]> s0 = seedRows(data, 0, "correlations.csv");
            List<String[]> s1 = seedRows(data, 1, "correlations.csv");
            List<String[]> across = rows(out.resolve("E2").resolve(data).resolve("correlations_across_seeds.csv"));
            for (String[] r : s0) {
                if (!r[5].equals("pearson") || !r[1].equals("4")) {
                    continue;
                }
                String[] o = s1.stream().filter(q -> q[0].equals(r[0]) && q[1].equals(r[1]) && q[3].equals(r[3])
                        && q[4].equals(r[4]) && q[5].equals(r[5])).findFirst().orElse(null);
                if (o == null) {
                    continue;
                }
                double x = Double.parseDouble(r[6]);
                double y = Double.parseDouble(o[6]);
                double mean = (x + y) / 2;
                double sd = Math.abs(x - y) / Math.sqrt(2); // sample sd of two values
                String[] a = across.stream().filter(q -> q[0].equals(r[0]) && q[1].equals(r[1]) && q[2].equals(r[3])
                        && q[3].equals(r[4]) && q[4].equals("pearson")).findFirst().orElseThrow();
                assertThat(Integer.parseInt(a[5])).isEqualTo(2);
                assertThat(Double.parseDouble(a[6])).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-15));
                assertThat(Double.parseDouble(a[7])).isCloseTo(sd, org.assertj.core.data.Offset.offset(1e-15));
                assertThat(Double.parseDouble(a[9])).isEqualTo(x);
                assertThat(Double.parseDouble(a[10])).isEqualTo(y);
                if (r[4].equals("all")) {
                    // the report's headline row of this model and measure
                    String cell = String.format(java.util.Locale.ROOT, "%.3f ± %.3f", mean, sd);
                    String line = section.markdown().lines().filter(l -> l.startsWith("| " + r[0] + " | "
                            + E2Verdicts.measureName(r[3]) + " |")).filter(l -> l.contains(cell)).findFirst()
                            .orElse(null);
                    assertThat(line).as(data + " " + r[0] + " " + r[3] + " " + cell).isNotNull();
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(2 * 3 * E2FlatnessVsMargins.CORRELATED.size());
    }

    @Test
    void theSplitCorrelationsArePearsonOverThePointsOfThatLabel() throws Exception {
        int checked = 0;
        for (int seed = 0; seed < 2; seed++) {
            List<String[]> pts = seedRows(DataSets.EMBEDDED, seed, "points.csv");
            List<String> header = List.of(Files.readAllLines(out.resolve("E2/embedded/seed-" + seed + "/points.csv"))
                    .get(0).split(","));
            for (String[] r : seedRows(DataSets.EMBEDDED, seed, "correlations.csv")) {
                if (!r[5].equals("pearson") || r[4].equals("all")) {
                    continue;
                }
                String want = r[4].equals("correct") ? "1" : "0";
                int col = header.indexOf(r[3]);
                List<String[]> g = pts.stream().filter(p -> p[0].equals(r[0]) && p[1].equals(r[1])
                        && p[5].equals(want)).toList();
                double[] t = g.stream().mapToDouble(p -> Double.parseDouble(p[6])).toArray();
                double[] m = g.stream().mapToDouble(p -> Double.parseDouble(p[col])).toArray();
                assertThat(t.length).isGreaterThanOrEqualTo(E2FlatnessVsMargins.MIN_GROUP);
                assertThat(Double.parseDouble(r[6])).as(String.join(",", r))
                        .isCloseTo(pearson(t, m), org.assertj.core.data.Offset.offset(1e-9));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(2 * 3 * 4 * 2); // both groups at several checkpoints of every model
    }

    @Test
    void theHeadingStatesScaleDataSeedsAndTheComputedVerdicts() {
        assertThat(section.heading()).startsWith("flatness vs margins during training, quick scale, the MNIST "
                + "subset and Fashion-MNIST, 3 models, 2 seeds: at the last checkpoint ");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Map<String, String>>> v = (Map<String, Map<String, Map<String, String>>>)
                section.summary().get("verdicts");
        for (String meas : E2FlatnessVsMargins.CORRELATED) {
            // the weakest verdict over the models, per data set, is what the heading says
            for (String data : List.of(DataSets.EMBEDDED, DataSets.FASHION)) {
                java.util.Collection<String> words = v.get(meas).get(data).values();
                String worst = words.contains("does not hold") ? "does not hold" : words.contains("weak") ? "weak"
                        : "holds";
                String phrase = section.heading().substring(section.heading().indexOf(E2Verdicts.measureName(meas)));
                phrase = phrase.contains(";") ? phrase.substring(0, phrase.indexOf(';')) : phrase;
                assertThat(phrase).as(meas + " " + data).contains(worst + " on ");
            }
        }
    }

    @Test
    void verdictsFollowTheirDefinition() {
        java.util.function.BiFunction<double[], double[][], E2Seeds.Across> row = (v, iv) -> new E2Seeds.Across(
                "m", 1, "one_minus_m2", "all", "pearson", v, iv[0], iv[1], new double[v.length]);
        assertThat(E2Seeds.verdict(row.apply(new double[] {0.7, 0.6}, new double[][] {{0.6, 0.5}, {0.8, 0.7}})))
                .isEqualTo(E2Seeds.Verdict.HOLDS);
        assertThat(E2Seeds.verdict(row.apply(new double[] {0.7, 0.4}, new double[][] {{0.6, 0.3}, {0.8, 0.5}})))
                .isEqualTo(E2Seeds.Verdict.WEAK);
        // an interval reaching 0 fails, however large the coefficient
        assertThat(E2Seeds.verdict(row.apply(new double[] {0.7, 0.6}, new double[][] {{0.6, -0.01}, {0.8, 0.9}})))
                .isEqualTo(E2Seeds.Verdict.FAILS);
        assertThat(E2Seeds.verdict(row.apply(new double[] {0.7, Double.NaN},
                new double[][] {{0.6, Double.NaN}, {0.8, Double.NaN}}))).isEqualTo(E2Seeds.Verdict.FAILS);
        // margins are expected to correlate negatively
        E2Seeds.Across margin = new E2Seeds.Across("m", 1, "output_margin", "all", "pearson",
                new double[] {-0.7, -0.6}, new double[] {-0.8, -0.7}, new double[] {-0.6, -0.5}, new double[2]);
        assertThat(E2Seeds.verdict(margin)).isEqualTo(E2Seeds.Verdict.HOLDS);
    }

    @Test
    void aRerunWithASeedAddedComputesOnlyTheNewSeed(@TempDir Path dir) throws Exception {
        E2Config one = E2Config.builder().archs("affine:784-10", "mlp:784-16-10").lrs(0.01, 0.05)
                .data(DataSets.EMBEDDED).seeds(1).trainPoints(60).testPoints(30).batchSize(20).checkpoints(2)
                .resamples(10).authorsArch("mlp:784-16-10").authorsPoints(2).build();
        CheckpointStoreTest.Recorder first = new CheckpointStoreTest.Recorder(-1);
        new E2FlatnessVsMargins(one, first).run(CheckpointStoreTest.ctx(dir, 3));
        String seed0 = Files.readString(dir.resolve("E2/embedded/seed-0/points.csv"));
        assertThat(first.saved).isNotEmpty().allMatch(s -> s.contains("/seed-0/"));

        CheckpointStoreTest.Recorder again = new CheckpointStoreTest.Recorder(-1);
        Experiment.Section s = new E2FlatnessVsMargins(one.toBuilder().seeds(2).build(), again)
                .run(CheckpointStoreTest.ctx(dir, 3));
        assertThat(again.discarded).isEmpty();
        assertThat(again.saved).hasSameSizeAs(first.saved).allMatch(x -> x.contains("/seed-1/"));
        assertThat(Files.readString(dir.resolve("E2/embedded/seed-0/points.csv"))).isEqualTo(seed0);
        assertThat(dir.resolve("E2/embedded/seed-1/points.csv")).exists();
        assertThat(s.summary()).containsEntry(Reproduction.RESUMED, first.saved.size());
    }
}
