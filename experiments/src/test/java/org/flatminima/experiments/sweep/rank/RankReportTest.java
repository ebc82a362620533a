package org.flatminima.experiments.sweep.rank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.flatminima.cli.ErrorHandling;
import org.flatminima.experiments.UserException;
import org.hipparchus.stat.correlation.KendallsCorrelation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The files of a ranked sweep: table.csv read by its header (quoted fields included), rank.csv and rank.md with the
 * right numbers, report.md and report.html with the counts, the table and the plots, and the rank command.
 */
class RankReportTest {

    /** 2 lr x 2 batch sizes x 2 seeds finished, one diverged run; arch with a comma (a quoted CSV field). */
    private static SweepTableFixture sweep() {
        SweepTableFixture t = new SweepTableFixture();
        String[] lrs = {"0.1", "0.5"};
        String[] bss = {"32", "128"};
        int k = 0;
        for (String lr : lrs) {
            for (String bs : bss) {
                for (int s = 0; s < 2; s++) {
                    double trace = 1 + k * 0.5 + (k % 3 == 0 ? 2 : 0);
                    double margin = 5 - k * 0.4;
                    double gap = 0.01 * k + 0.005 * s;
                    for (long step : new long[] {10, 20}) {
                        t.row("run" + k, "finished", step, "arch", "seq:1x28x28:conv,relu", "lr", lr,
                                "batch_size", bs, "seed", "" + s, "trace", "" + (trace * step / 20),
                                "output_margin_median", "" + margin, "gap_accuracy", "" + gap);
                    }
                    k++;
                }
            }
        }
        t.row("runD", "diverged", 5, "lr", "9.0", "trace", "NaN", "gap_accuracy", "NaN");
        return t;
    }

    @Test
    void tableCsvReadsQuotedFieldsAndCrlfAndRejectsDamage() {
        List<Map<String, String>> rows = TableCsv.parse("a,b,c\r\n1,\"x,\"\"y\"\"\",\r\n2,,\"multi\nline\"\r\n", "t");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).containsExactly(Map.entry("a", "1"), Map.entry("b", "x,\"y\""), Map.entry("c", ""));
        assertThat(rows.get(1).get("c")).isEqualTo("multi\nline");
        assertThat(TableCsv.parse(sweep().csv(), "t")).isEqualTo(sweep().rows());
        assertThatThrownBy(() -> TableCsv.parse("a,b\n1,2,3\n", "t.csv")).isInstanceOf(UserException.class)
                .hasMessage("t.csv: record 2 has 3 cells, the header 2: the table is damaged; rerun the sweep to "
                        + "rewrite it");
        assertThatThrownBy(() -> TableCsv.parse("a,a\n1,2\n", "t.csv")).isInstanceOf(UserException.class)
                .hasMessageContaining("'a' appears twice");
        assertThatThrownBy(() -> TableCsv.parse("a\n\"1\n", "t.csv")).isInstanceOf(UserException.class)
                .hasMessageContaining("not closed");
    }

    @Test
    void writesRankFilesAndReport(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("table.csv"), sweep().csv());
        Files.writeString(dir.resolve("sweep.yaml"), "name: tiny-grid\nseeds: [0, 1]\n");
        MeasureRanking r = SweepReport.rankSweep(dir, RankOptions.builder().resamples(200).build());

        // rank.csv: every row, numbers as Double.toString; tau as Hipparchus computes it on the last checkpoints
        double[] trace = new double[8];
        double[] margin = new double[8];
        double[] gap = new double[8];
        for (int k = 0; k < 8; k++) {
            trace[k] = 1 + k * 0.5 + (k % 3 == 0 ? 2 : 0);
            margin[k] = 5 - k * 0.4;
            gap[k] = 0.01 * k + 0.005 * (k % 2);
        }
        double tauTrace = new KendallsCorrelation().correlation(trace, gap);
        List<Map<String, String>> rank = TableCsv.read(dir.resolve("rank.csv"));
        assertThat(rank).extracting(m -> m.get("measure")).containsExactly("output_margin_median", "trace");
        Map<String, String> traceRow = rank.get(1);
        assertThat(Double.parseDouble(traceRow.get("tau"))).isEqualTo(tauTrace);
        assertThat(traceRow.get("networks")).isEqualTo("8");
        assertThat(traceRow.get("expected_sign")).isEqualTo("1");
        assertThat(rank.get(0).get("tau")).isEqualTo("-1.0");
        assertThat(rank.get(0).get("verdict")).isEqualTo("as expected");
        assertThat(rank.get(0).get("expected_sign")).isEqualTo("-1");
        assertThat(traceRow).containsKeys("psi", "psi_lr", "psi_lr_groups", "psi_batch_size_defined", "reason");
        assertThat(traceRow.get("psi_lr")).isEqualTo(Double.toString(r.rows().get(1).granulated().axes().get(0).psi()));
        // margin falls in every group: psi = -1 on both axes, 4 groups each (2 others x 2 seeds)
        assertThat(rank.get(0).get("psi")).isEqualTo("-1.0");
        assertThat(rank.get(0).get("psi_lr_groups")).isEqualTo("4");

        String md = Files.readString(dir.resolve("rank.md"));
        assertThat(md).contains("# Ranking of the measures: sweep tiny-grid")
                .contains(String.format("| `trace` | + | 8 | %.3f |", tauTrace))
                .contains("| `output_margin_median` | - | 8 | -1.000 | [-1.000, -1.000] | as expected | -1.000 |");

        String report = Files.readString(dir.resolve("report.md"));
        assertThat(report).startsWith("# Sweep tiny-grid: flatness and margins against generalisation")
                .contains("- runs: 9 (finished 8, diverged 1)")
                .contains("- networks ranked: 8 (each finished run at its last checkpoint)")
                .contains("hyperparameters that vary: `lr`, `batch_size`")
                .contains("![trace against gap_accuracy](plots/trace-vs-gap_accuracy.png)")
                .contains("plots/trace-vs-gap_accuracy-by-batch_size.png")
                .contains("- not measured in this sweep: `pp_trace_mean`");
        assertThat(report.indexOf("`output_margin_median` | -")).isLessThan(report.indexOf("`trace` | +"));

        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).contains("<title>Sweep tiny-grid: flatness and margins against generalisation</title>")
                .contains("<img src=\"plots/trace-vs-gap_accuracy.png\"")
                .contains("<img src=\"plots/output_margin_median-vs-gap_accuracy.png\"")
                .contains("<img src=\"plots/output_margin_median-vs-gap_accuracy-by-batch_size.png\"")
                .contains("<td>as expected</td>");
        List<String> pngs;
        try (Stream<Path> s = Files.list(dir.resolve("plots"))) {
            pngs = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(pngs).containsExactly("output_margin_median-vs-gap_accuracy-by-batch_size.png",
                "output_margin_median-vs-gap_accuracy.png", "trace-vs-gap_accuracy-by-batch_size.png",
                "trace-vs-gap_accuracy.png");
        for (String p : pngs) {
            byte[] b = Files.readAllBytes(dir.resolve("plots").resolve(p));
            assertThat(new String(b, 1, 3, StandardCharsets.ISO_8859_1)).as(p).isEqualTo("PNG");
            assertThat(b.length).as(p).isGreaterThan(2000);
        }
        try (Stream<Path> s = Files.list(dir)) { // nothing half-written left behind
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void everyRunDivergedGivesAReportWithNothingToRank(@TempDir Path dir) throws IOException {
        SweepTableFixture t = new SweepTableFixture().row("a", "diverged", 3, "trace", "NaN", "gap_accuracy", "NaN")
                .row("b", "diverged", 4, "lr", "0.5", "trace", "NaN", "gap_accuracy", "NaN");
        Files.writeString(dir.resolve("table.csv"), t.csv());
        MeasureRanking r = SweepReport.rankSweep(dir, RankOptions.builder().build());
        assertThat(r.rows()).isEmpty();
        assertThat(r.notMeasured()).isEmpty();
        assertThat(Files.readString(dir.resolve("report.md"))).contains("- runs: 2 (finished 0, diverged 2)")
                .contains("- nothing to rank: no finished run\n").doesNotContain("not measured");
        assertThat(TableCsv.read(dir.resolve("rank.csv"))).isEmpty();
        assertThat(dir.resolve("report.html")).exists();
    }

    @Test
    void rankCommandPrintsTheRankingAndReportsUserErrors(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("table.csv"), sweep().csv());
        CommandLine cl = new CommandLine(new RankCommand());
        ErrorHandling.install(cl);
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        assertThat(cl.execute(dir.toString(), "--resamples", "100", "--step", "10")).isEqualTo(0);
        assertThat(out.toString()).contains("rank: 8 networks (9 runs: 8 finished, 1 diverged) against gap_accuracy")
                .contains("output_margin_median").contains("report: ");
        assertThat(dir.resolve("report.html")).exists();
        assertThat(SweepReport.sweepName(dir)).isEqualTo(dir.getFileName().toString());

        assertThat(cl.execute(dir.toString(), "--target", "accuracy")).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(err.toString()).contains("unknown target 'accuracy'");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThat(cl.execute(empty.toString())).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(err.toString()).contains("no sweep table at " + empty.resolve("table.csv"));
        assertThat(empty.resolve("report.md")).doesNotExist();
    }
}
