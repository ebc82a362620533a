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
            new E1AffineClosedForm.Config(DataSets.EMBEDDED, 200, 8, 1, 50, 0.01, 3, 2));
    static final E4LastLayerScaling E4 = new E4LastLayerScaling(new E4LastLayerScaling.Config("mlp:784-16-10",
            List.of(DataSets.EMBEDDED), List.of(DataSets.FASHION), 100, 300, 20, 0.05, 100, new double[] {1, 2, 4, 8}, 2));
    static final E5Reparametrisation E5 = new E5Reparametrisation(new E5Reparametrisation.Config(
            "mlp:784-16-16-10", DataSets.EMBEDDED, 100, 1, 20, 0.05, new double[] {0.5, 1, 2, 4}, 60, 2));

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
    void e1ClosedFormMatchesExactGgnAndExactHvpToRoundOffInEverySeed() throws IOException {
        Path file = out.resolve("E1/traces.csv");
        assertThat(Files.readAllLines(file).getFirst()).startsWith("seed,step,");
        double[] last = new double[2];
        double[] first = new double[2];
        for (int k = 0; k < 2; k++) {
            Map<String, double[]> t = csvWhere(file, Integer.toString(k));
            assertThat(t.get("step")[0]).isZero();
            assertThat(t.get("step").length).isGreaterThanOrEqualTo(3);
            for (String col : List.of("reldiff_whole_ggn", "reldiff_point_ggn_max", "reldiff_whole_hvp",
                    "reldiff_point_hvp_max")) {
                for (double v : t.get(col)) {
                    assertThat(v).as("seed %d %s", k, col).isLessThan(1e-10);
                }
            }
            // the trace changes with training (the comparison is not between constants; round-off is ~1e-14)
            double[] tr = t.get("trace_closed_form");
            assertThat(Math.abs(tr[tr.length - 1] - tr[0])).isGreaterThan(1e-5 * tr[0]);
            first[k] = tr[0];
            last[k] = tr[tr.length - 1];
        }
        // seed 1 is another classifier: another initialisation and another batch order
        assertThat(first[1]).isNotEqualTo(first[0]);
        assertThat(last[1]).isNotEqualTo(last[0]);
        String md = Files.readString(out.resolve("report.md"));
        assertThat(md).contains("2 seeds", "Seed 0:", "| seed | final train acc | trace at step 0 | final trace |",
                " | " + Results.format(first[1], 6) + " | " + Results.format(last[1], 6) + " | ");
    }

    /** Row {@code row} of the logits {@code z} ({@code classes} per row) through softmax, written out here. */
    static double[] softmaxRow(double[] z, int row, int classes) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < classes; j++) {
            max = Math.max(max, z[row * classes + j]);
        }
        double sum = 0;
        for (int j = 0; j < classes; j++) {
            sum += Math.exp(z[row * classes + j] - max);
        }
        double[] p = new double[classes];
        for (int j = 0; j < classes; j++) {
            p[j] = Math.exp(z[row * classes + j] - max) / sum;
        }
        return p;
    }

    /** The rows of {@code file} whose first column is {@code first}, as column name to values (first column dropped). */
    static Map<String, double[]> csvWhere(Path file, String first) throws IOException {
        return csvWhere(file, first, null);
    }

    /** The numeric columns of the rows whose first column is {@code first} and, unless null, second {@code second}. */
    static Map<String, double[]> csvWhere(Path file, String first, String second) throws IOException {
        List<String> lines = Files.readAllLines(file);
        String[] head = lines.get(0).split(",");
        List<String[]> rows = lines.stream().skip(1).map(l -> l.split(","))
                .filter(r -> r[0].equals(first) && (second == null || r[1].equals(second))).toList();
        Map<String, double[]> m = new LinkedHashMap<>();
        for (int j = 1; j < head.length; j++) {
            double[] col = new double[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                col[i] = Double.parseDouble(rows.get(i)[j]);
            }
            m.put(head[j], col);
        }
        return m;
    }

    @Test
    void e4TraceFallsWithAlphaWhileAccuracyStays() throws IOException {
        boolean fashion = Reproduction.available(new DataSets(DataSets.Locations.fromEnvironment()), DataSets.FASHION);
        List<String> ran = fashion ? List.of(DataSets.EMBEDDED, DataSets.FASHION) : List.of(DataSets.EMBEDDED);
        List<String> firstColumn = Files.readAllLines(out.resolve("E4/scaling.csv")).stream().skip(1)
                .map(l -> l.split(",")[0]).toList();
        assertThat(firstColumn).hasSize(4 * 2 * ran.size()); // 4 alphas, 2 seeds
        assertThat(firstColumn.stream().distinct()).containsExactlyElementsOf(ran);
        String md = Files.readString(out.resolve("report.md"));
        String absentLine = "fashion-mnist is not installed, so E4 did not run on it";
        if (fashion) {
            assertThat(md).doesNotContain(absentLine).contains("### fashion-mnist (100 training, 300 test points)");
        } else {
            assertThat(md).contains(absentLine);
        }
        assertThat(md).contains("**Over the 2 seeds**");
        for (String run : ran.stream().flatMap(d -> java.util.stream.Stream.of(d + ",0", d + ",1")).toList()) {
            String data = run.split(",")[0];
            Map<String, double[]> t = csvWhere(out.resolve("E4/scaling.csv"), data, run.split(",")[1]);
            assertThat(t.get("alpha")).containsExactly(1, 2, 4, 8);
            double[] trace = t.get("trace_exact_ggn");
            double[] top = t.get("top_eigenvalue");
            for (int i = 1; i < trace.length; i++) {
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
            assertThat(t.get("train_acc")[0]).as(data).isEqualTo(1.0);
            // seed 0 is the network E4 trained before it had seeds: its trace and top eigenvalue fall at every step.
            // Other seeds need not within alphas 1-8: fashion-mnist's seed 1 fits every point with small margins,
            // and a point of margin m weighs about alpha^2 e^(-alpha m), which grows until alpha ~ 2/m (its trace
            // goes 26.1, 22.3, 27.1, 48.6); "arbitrarily flat" is a limit
            if (run.endsWith(",0")) {
                for (int i = 1; i < trace.length; i++) {
                    assertThat(trace[i]).as(run).isLessThan(trace[i - 1]);
                    assertThat(top[i]).as(run).isLessThan(top[i - 1]);
                }
            }
        }
        // the report counts the seeds whose curvature falls at every step, as the files say
        for (String data : ran) {
            int traceFalls = 0;
            int topFalls = 0;
            for (String seed : List.of("0", "1")) {
                Map<String, double[]> t = csvWhere(out.resolve("E4/scaling.csv"), data, seed);
                traceFalls += E4Seeds.falls(t.get("trace_exact_ggn")) ? 1 : 0;
                topFalls += E4Seeds.falls(t.get("top_eigenvalue")) ? 1 : 0;
            }
            String section = md.substring(md.indexOf("### " + data + " ("));
            assertThat(section).contains("the trace falls strictly from each alpha to the next in " + traceFalls
                    + " of 2 seeds, the top eigenvalue in " + topFalls + " of 2");
        }
        // seed 1 is another network (its own initialisation and batch order)
        assertThat(csvWhere(out.resolve("E4/scaling.csv"), DataSets.EMBEDDED, "1").get("trace_exact_ggn")[0])
                .isNotEqualTo(csvWhere(out.resolve("E4/scaling.csv"), DataSets.EMBEDDED, "0").get("trace_exact_ggn")[0]);
    }

    @Test
    void e5FunctionAndNormalisedMarginsUnchangedCurvatureNot() throws IOException {
        double[] firstTraces = null;
        for (String seed : List.of("0", "1")) {
            Map<String, double[]> t = csvWhere(out.resolve("E5/reparametrisation.csv"), seed);
            assertThat(t.get("alpha")).containsExactly(0.5, 1, 2, 4);
            for (int i = 0; i < t.get("alpha").length; i++) {
                assertThat(t.get("logits_max_abs_diff")[i]).isLessThan(1e-10);
                assertThat(t.get("normalised_margin_max_rel_diff")[i]).isLessThan(1e-10);
            }
            double[] trace = t.get("trace_exact_ggn");
            double lo = Arrays.stream(trace).min().orElseThrow();
            double hi = Arrays.stream(trace).max().orElseThrow();
            assertThat(hi / lo).as("seed " + seed).isGreaterThan(1.5);
            if (firstTraces == null) {
                firstTraces = trace;
            } else {
                assertThat(trace).as("seed 1 is another network").isNotEqualTo(firstTraces);
            }
        }
        assertThat(Files.readString(out.resolve("report.md"))).contains("**Over the 2 seeds**");
    }

    /**
     * An experiment that resumed checkpoints of an interrupted run is marked in the report's table, and the total
     * says it leaves out the earlier runs; a report without one has neither.
     */
    @Test
    void reportSaysWhenAWallTimeLeavesOutResumedCheckpoints(@TempDir Path dir) throws IOException {
        ReproduceContext c = new ReproduceContext(dir, 7, Scale.QUICK, new DataSets(DataSets.Locations.fromEnvironment()),
                DType.F64, Progress.NONE);
        Map<String, Object> summary = new LinkedHashMap<>();
        Reproduction.noteResumed(summary, 0);
        assertThat(summary).isEmpty();
        Reproduction.Outcome plain = new Reproduction.Outcome("E1", "t1", Map.of(), 2.5, false, "now",
                new Experiment.Section("a", summary, List.of()));
        Reproduction.writeReport(c, List.of(plain));
        String md = Files.readString(dir.resolve("report.md"));
        assertThat(md).contains("| E1 | t1 | 2.5 | in this run |", "experiments above: 2.5 s.");
        assertThat(md).doesNotContain("resumed");

        Map<String, Object> resumed = new LinkedHashMap<>();
        Reproduction.noteResumed(resumed, 17);
        Reproduction.Outcome r = new Reproduction.Outcome("E2", "t2", Map.of(), 4.0, false, "now",
                new Experiment.Section("b", resumed, List.of()));
        Reproduction.writeReport(c, List.of(plain, r));
        md = Files.readString(dir.resolve("report.md"));
        assertThat(md).contains("| E2 | t2 | 4.0 | in this run; resumed 17 checkpoints saved by an earlier run, "
                + "whose time is not in this wall time |", "experiments above: 6.5 s (without the earlier runs whose "
                + "checkpoints were resumed).");
    }

    /** A section's own heading (E2's, with its verdicts) heads it in the report and survives the marker. */
    @Test
    void aSectionsHeadingHeadsItAndIsKeptInTheMarker(@TempDir Path dir) throws IOException {
        ReproduceContext c = new ReproduceContext(dir, 7, Scale.QUICK, new DataSets(DataSets.Locations.fromEnvironment()),
                DType.F64, Progress.NONE);
        Reproduction.Outcome o = new Reproduction.Outcome("E2", "short title", Map.of("k", 1), 1.0, false, "now",
                new Experiment.Section("body", new LinkedHashMap<>(), List.of(), "the computed heading"));
        Reproduction.writeMarker(dir, o);
        Reproduction.Outcome back = Reproduction.readMarker(dir, "E2");
        assertThat(back.section().heading()).isEqualTo("the computed heading");
        assertThat(back.title()).isEqualTo("short title");
        Reproduction.writeReport(c, List.of(back));
        String md = Files.readString(dir.resolve("report.md"));
        assertThat(md).contains("\n## E2: the computed heading\n", "| E2 | short title |");
        assertThat(new Experiment.Section("b", Map.of(), List.of()).heading()).isNull();
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
    void reportHtmlHasATablePerMarkdownTableAndAnImagePerPlotThatExists() throws IOException {
        String md = Files.readString(out.resolve("report.md"));
        String html = Files.readString(out.resolve("report.html"));
        // a Markdown table is a header row followed by a delimiter row such as |---|---|
        long mdTables = md.lines().filter(l -> l.matches("\\|(\\s*:?-{3,}:?\\s*\\|)+\\s*")).count();
        assertThat(mdTables).isGreaterThanOrEqualTo(5); // two header tables, E1, E4 (one per data set), E5
        assertThat(Pattern.compile("<table>").matcher(html).results().count()).isEqualTo(mdTables);
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<title>" + Reproduction.TITLE + "</title>", "<style>")
                .doesNotContain("<script");
        List<String> plots = new ArrayList<>();
        for (Reproduction.Outcome o : first) {
            plots.addAll(o.section().plots());
        }
        Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
        List<String> srcs = new ArrayList<>();
        while (m.find()) {
            srcs.add(m.group(1));
        }
        assertThat(srcs).containsExactlyInAnyOrderElementsOf(plots);
        for (String src : srcs) {
            assertThat(out.resolve(src)).isRegularFile();
        }
        // the numbers of a table cell come through: E1's step-0 row starts the E1 table body
        assertThat(html).contains("<td>0</td>");
        // no temporary file is left behind by the atomic write
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("report")))
                    .containsExactlyInAnyOrder("report.md", "report.html");
        }
    }

    /** An experiment {@code id} with configuration {@code config} that only counts its runs. */
    private static Experiment counting(String id, Map<String, Object> config, AtomicInteger runs) {
        return new Experiment() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String title() {
                return "counter";
            }

            @Override
            public Map<String, Object> config(Scale scale) {
                return config;
            }

            @Override
            public Section run(ReproduceContext c) {
                runs.incrementAndGet();
                return new Section("nothing", Map.of(), List.of());
            }
        };
    }

    @Test
    void missingRequiredDataFailsBeforeAnyExperimentRuns(@TempDir Path dir) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Experiment counting = counting("X0", Map.of(), runs);
        DataSets none = new DataSets(new DataSets.Locations(Files.createDirectories(dir.resolve("cache")),
                Files.createDirectories(dir.resolve("fashion")), null));
        ReproduceContext full = new ReproduceContext(dir.resolve("r"), 0, Scale.FULL, none, DType.F64, Progress.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> Reproduction.run(List.of(counting, new E4LastLayerScaling()), full, false))
                .isInstanceOf(org.flatminima.experiments.UserException.class)
                .hasMessageStartingWith("E4 at full scale needs mnist")
                .hasMessageContaining("flatminima data fetch mnist");
        assertThat(runs).hasValue(0);
        assertThat(dir.resolve("r")).doesNotExist();
        // at quick scale nothing is required: Fashion-MNIST is optional, and its absence changes the configuration
        ReproduceContext quick = new ReproduceContext(dir.resolve("r"), 0, Scale.QUICK, none, DType.F64, Progress.NONE);
        Reproduction.checkData(List.of(new E1AffineClosedForm(), new E4LastLayerScaling(), new E5Reparametrisation()),
                quick);
        assertThat(Reproduction.config(new E4LastLayerScaling(), quick).get("optionalDataPresent"))
                .isEqualTo(List.of());
        // E4 full needs both data sets, E1 and E5 full the full MNIST
        assertThat(new E4LastLayerScaling().requiredData(Scale.FULL)).containsExactly("mnist", "fashion-mnist");
        assertThat(new E1AffineClosedForm().requiredData(Scale.FULL)).containsExactly("mnist");
        assertThat(new E5Reparametrisation().requiredData(Scale.FULL)).containsExactly("mnist");
        assertThat(new E1AffineClosedForm().requiredData(Scale.QUICK)).isEmpty();
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
        Experiment counting = counting("X1", Map.of("n", 1), runs);
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
