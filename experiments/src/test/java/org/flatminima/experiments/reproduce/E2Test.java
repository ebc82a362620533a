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

    static final E2FlatnessVsMargins E2 = new E2FlatnessVsMargins(new E2FlatnessVsMargins.Config(
            List.of("affine:784-10", "mlp:784-16-10",
                    "seq:1x28x28:conv(2,3,pad=1),relu,maxpool(2),flatten,linear(10)"),
            new double[] {0.01, 0.05, 0.05}, List.of(DataSets.EMBEDDED, DataSets.FASHION), 200, 0, 100, 1, 50, 3,
            20, "mlp:784-16-10", 3));

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
        Map<String, double[]> p = ReproduceTest.csv(out.resolve("E2/embedded/points.csv"));
        List<String[]> raw = rows(out.resolve("E2/embedded/points.csv"));
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
        for (String[] r : rows(out.resolve("E2/embedded/correlations.csv"))) {
            if (r[0].equals("affine") && r[3].equals("affine_trace_expr") && r[4].equals("all")
                    && r[5].equals("pearson")) {
                assertThat(Double.parseDouble(r[6])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }

    @Test
    void correlationsLieInMinusOneOneWithTheirIntervals() throws Exception {
        List<String[]> c = rows(out.resolve("E2/embedded/correlations.csv"));
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
        Map<String, double[]> p = ReproduceTest.csv(out.resolve("E2/embedded/points.csv"));
        assertThat(p.get("trace").length).isGreaterThanOrEqualTo(3 * 3 * 200);
        for (double v : p.get("trace")) {
            assertThat(v).isGreaterThanOrEqualTo(0.0);
        }
        for (double v : p.get("one_minus_m2")) {
            assertThat(v).isBetween(0.0, 1.0);
        }
        // four per data set, and the authors' estimator's error plot
        assertThat(section.plots()).hasSize(2 * 4 + 1);
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
        assertThat(rows(out.resolve("E2/embedded/authors_correlations.csv")))
                .hasSize(4 * E2FlatnessVsMargins.MEASURES.size());
    }

    @Test
    void withoutFashionMnistTheReportSaysSoAndMnistStillRuns(@TempDir Path dir, @TempDir Path empty) throws Exception {
        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins(new E2FlatnessVsMargins.Config(List.of("affine:784-10"),
                new double[] {0.01}, List.of(DataSets.EMBEDDED, DataSets.FASHION), 60, 0, 30, 1, 20, 2, 10,
                "affine:784-10", 2));
        ReproduceContext ctx = new ReproduceContext(dir, 1, Scale.QUICK,
                new DataSets(DataSets.Locations.fromEnvironment().withFashionDir(empty)), DType.F64, Progress.NONE);
        Experiment.Section s = e2.run(ctx);
        assertThat(s.markdown()).contains("Fashion-MNIST (`fashion-mnist`) is not installed here, so E2 ran without "
                + "it (apt-get install dataset-fashion-mnist).");
        assertThat(dir.resolve("E2/embedded/points.csv")).exists();
        assertThat(dir.resolve("E2/fashion-mnist")).doesNotExist();
        assertThat(s.summary().get("missingDataSets")).isEqualTo(List.of(DataSets.FASHION));
    }

    @Test
    void withoutTheFullMnistE2StopsWithOneLineNamingTheFetchCommand(@TempDir Path dir, @TempDir Path empty) {
        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins(new E2FlatnessVsMargins.Config(List.of("affine:784-10"),
                new double[] {0.01}, List.of(DataSets.MNIST, DataSets.FASHION), 60, 0, 30, 1, 20, 2, 10,
                "affine:784-10", 2));
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
}
