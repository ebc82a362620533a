package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reproduction end to end on tiny configurations: contents checked against the math, not just existence. */
class ReproduceTest {

    @TempDir
    static Path out;

    static List<Reproduction.Outcome> first;

    static final E1AffineClosedForm E1 = new E1AffineClosedForm(
            new E1AffineClosedForm.Config(DataSets.EMBEDDED, 200, 8, 1, 50, 0.01, 3));
    static final E4LastLayerScaling E4 = new E4LastLayerScaling(new E4LastLayerScaling.Config("mlp:784-16-10",
            DataSets.EMBEDDED, 100, 300, 20, 0.05, 100, new double[] {1, 2, 4, 8}));
    static final E5Reparametrisation E5 = new E5Reparametrisation(new E5Reparametrisation.Config(
            "mlp:784-16-16-10", DataSets.EMBEDDED, 100, 1, 20, 0.05, new double[] {0.5, 1, 2, 4}));

    static ReproduceContext ctx() {
        return new ReproduceContext(out, 7, Scale.QUICK, new DataSets(DataSets.Locations.fromEnvironment()),
                DType.F64, Progress.NONE);
    }

    @BeforeAll
    static void runOnce() throws Exception {
        first = Reproduction.run(List.of(E1, E4, E5), ctx(), false);
    }

    /** The CSV at {@code file} as column name to values (numbers; non-numbers as NaN). */
    static Map<String, double[]> csv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        String[] head = lines.get(0).split(",");
        Map<String, double[]> m = new LinkedHashMap<>();
        for (int j = 0; j < head.length; j++) {
            double[] col = new double[lines.size() - 1];
            for (int i = 1; i < lines.size(); i++) {
                String cell = lines.get(i).split(",")[j];
                col[i - 1] = cell.matches("[-+0-9.eE]+|NaN|-?Infinity") ? Double.parseDouble(cell) : Double.NaN;
            }
            m.put(head[j], col);
        }
        return m;
    }

    @Test
    void e1ClosedFormMatchesExactGgnAndExactHvpToRoundOff() throws IOException {
        Map<String, double[]> t = csv(out.resolve("E1/traces.csv"));
        assertThat(t.get("step")[0]).isZero();
        assertThat(t.get("step").length).isGreaterThanOrEqualTo(3);
        for (String col : List.of("reldiff_whole_ggn", "reldiff_point_ggn_max", "reldiff_whole_hvp",
                "reldiff_point_hvp_max")) {
            for (double v : t.get(col)) {
                assertThat(v).as(col).isLessThan(1e-10);
            }
        }
        // the trace changes with training (the comparison is not between constants)
        double[] tr = t.get("trace_closed_form");
        assertThat(Math.abs(tr[tr.length - 1] - tr[0])).isGreaterThan(1e-3 * tr[0]);
    }

    @Test
    void e4TraceFallsWithAlphaWhileAccuracyStays() throws IOException {
        Map<String, double[]> t = csv(out.resolve("E4/scaling.csv"));
        double[] trace = t.get("trace_exact_ggn");
        double[] top = t.get("top_eigenvalue");
        for (int i = 1; i < trace.length; i++) {
            assertThat(trace[i]).isLessThan(trace[i - 1]);
            assertThat(top[i]).isLessThan(top[i - 1]);
            assertThat(t.get("train_acc")[i]).isEqualTo(t.get("train_acc")[0]);
            assertThat(t.get("test_acc")[i]).isEqualTo(t.get("test_acc")[0]);
            assertThat(t.get("predictions_changed")[i]).isZero();
            // output margins scale by alpha; normalised margins do not change
            double ratio = t.get("alpha")[i] / t.get("alpha")[0];
            assertThat(t.get("output_margin_median")[i] / t.get("output_margin_median")[0])
                    .isCloseTo(ratio, org.assertj.core.data.Offset.offset(1e-9 * ratio));
            assertThat(t.get("normalised_margin_median")[i] / t.get("normalised_margin_median")[0])
                    .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(t.get("train_acc")[0]).isEqualTo(1.0);
    }

    @Test
    void e5FunctionAndNormalisedMarginsUnchangedCurvatureNot() throws IOException {
        Map<String, double[]> t = csv(out.resolve("E5/reparametrisation.csv"));
        for (int i = 0; i < t.get("alpha").length; i++) {
            assertThat(t.get("logits_max_abs_diff")[i]).isLessThan(1e-10);
            assertThat(t.get("normalised_margin_max_rel_diff")[i]).isLessThan(1e-10);
        }
        double[] trace = t.get("trace_exact_ggn");
        double lo = Arrays.stream(trace).min().orElseThrow();
        double hi = Arrays.stream(trace).max().orElseThrow();
        assertThat(hi / lo).isGreaterThan(1.5);
    }

    @Test
    void reportNamesEveryPlotAndEveryPlotIsAPng() throws IOException {
        Path report = out.resolve("report.md");
        String md = Files.readString(report);
        assertThat(md).contains("| seed | 7 |", "| scale | quick |", "## E1:", "## E4:", "## E5:",
                "## E5:");
        assertThat(md).doesNotContain("Not yet implemented");
        List<String> plots = new ArrayList<>();
        for (Reproduction.Outcome o : first) {
            plots.addAll(o.section().plots());
        }
        assertThat(plots).hasSize(4);
        Matcher m = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)").matcher(md);
        List<String> embedded = new ArrayList<>();
        while (m.find()) {
            embedded.add(m.group(1));
        }
        assertThat(embedded).containsExactlyInAnyOrderElementsOf(plots);
        for (String p : plots) {
            byte[] b = Files.readAllBytes(out.resolve(p));
            assertThat(b.length).isGreaterThan(1000);
            assertThat(Arrays.copyOf(b, 8)).containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
        }
    }

    @Test
    void aSecondRunReusesFinishedExperiments() throws Exception {
        Map<String, String> before = new LinkedHashMap<>();
        for (String id : List.of("E1", "E4", "E5")) {
            before.put(id, Files.readString(out.resolve(id).resolve(Reproduction.MARKER)));
        }
        List<Reproduction.Outcome> again = Reproduction.run(List.of(E1, E4, E5), ctx(), false);
        assertThat(again).allMatch(Reproduction.Outcome::reused);
        for (String id : before.keySet()) {
            assertThat(Files.readString(out.resolve(id).resolve(Reproduction.MARKER))).isEqualTo(before.get(id));
        }
        assertThat(Files.readString(out.resolve("report.md"))).contains("## E1:", "## E4:", "## E5:");
    }

    @Test
    void forceRecomputesAndAnotherConfigurationIsNotReused(@TempDir Path dir) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Experiment counting = new Experiment() {
            @Override
            public String id() {
                return "X1";
            }

            @Override
            public String title() {
                return "counter";
            }

            @Override
            public Map<String, Object> config(Scale scale) {
                return Map.of("n", 1);
            }

            @Override
            public Section run(ReproduceContext c) {
                runs.incrementAndGet();
                return new Section("nothing", Map.of(), List.of());
            }
        };
        ReproduceContext c = new ReproduceContext(dir, 1, Scale.QUICK, null, DType.F64, Progress.NONE);
        Reproduction.run(List.of(counting), c, false);
        Reproduction.run(List.of(counting), c, false);
        assertThat(runs).hasValue(1);
        Reproduction.run(List.of(counting), c, true);
        assertThat(runs).hasValue(2);
        ReproduceContext otherSeed = new ReproduceContext(dir, 2, Scale.QUICK, null, DType.F64, Progress.NONE);
        Reproduction.run(List.of(counting), otherSeed, false);
        assertThat(runs).hasValue(3);
        assertThat(Files.exists(dir.resolve("X1").resolve(Reproduction.MARKER))).isTrue();
    }

    @Test
    void selectRejectsUnknownAndNotYetImplementedIds() {
        assertThat(Reproduction.select(List.of()).stream().map(Experiment::id)).containsExactly("E1", "E2", "E3", "E4",
                "E5");
        assertThat(Reproduction.select(List.of("e4", "E1")).stream().map(Experiment::id)).containsExactly("E1", "E4");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Reproduction.select(List.of("E9")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown experiment 'E9'");
    }
}
