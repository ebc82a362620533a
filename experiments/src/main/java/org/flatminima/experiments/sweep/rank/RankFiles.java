package org.flatminima.experiments.sweep.rank;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.sweep.rank.MeasureRanking.Row;

/**
 * Writes a {@link MeasureRanking} as {@code rank.csv} (every number, {@code Double.toString}, NaN as {@code NaN}) and
 * {@code rank.md} (the table rounded for reading, with a legend), each atomically ({@link AtomicFiles}). Rows are in
 * the ranking's order: |tau| descending.
 */
public final class RankFiles {
    private RankFiles() {
    }

    /** Writes {@code dir/rank.csv} and {@code dir/rank.md}. */
    public static void write(MeasureRanking r, Path dir, String sweepName) throws IOException {
        writeText(dir.resolve("rank.csv"), csv(r));
        writeText(dir.resolve("rank.md"), "# Ranking of the measures: sweep " + sweepName + "\n\n" + counts(r)
                + "\n" + markdownTable(r) + "\n" + legend(r));
    }

    /** Writes {@code text} to {@code file} atomically, UTF-8. */
    static void writeText(Path file, String text) throws IOException {
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The CSV: {@code measure, expected_sign, networks, tau, tau_low, tau_high, verdict, psi, psi_low, psi_high}, then
     * for each varying axis A {@code psi_A, psi_A_low, psi_A_high, psi_A_groups, psi_A_defined}, then {@code reason}.
     */
    public static String csv(MeasureRanking r) {
        List<String> axes = r.networks().varying();
        List<String> header = new ArrayList<>(List.of("measure", "expected_sign", "networks", "tau", "tau_low",
                "tau_high", "verdict", "psi", "psi_low", "psi_high"));
        for (String a : axes) {
            header.addAll(List.of("psi_" + a, "psi_" + a + "_low", "psi_" + a + "_high", "psi_" + a + "_groups",
                    "psi_" + a + "_defined"));
        }
        header.add("reason");
        StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
        for (Row row : r.rows()) {
            Granulated.Result g = row.granulated();
            List<String> cells = new ArrayList<>(List.of(row.measure(), Integer.toString(row.expectedSign()),
                    Integer.toString(row.networks()), Double.toString(row.tau()), Double.toString(row.low()),
                    Double.toString(row.high()), row.verdict().label(), Double.toString(g.psi()),
                    Double.toString(g.low()), Double.toString(g.high())));
            for (Granulated.Axis a : g.axes()) {
                cells.addAll(List.of(Double.toString(a.psi()), Double.toString(a.low()), Double.toString(a.high()),
                        Integer.toString(a.groups()), Integer.toString(a.defined())));
            }
            cells.add(join(row.reason(), g.reason()));
            sb.append(String.join(",", cells.stream().map(RankFiles::quote).toList())).append('\n');
        }
        return sb.toString();
    }

    /** The networks and run counts, as a Markdown list. */
    static String counts(MeasureRanking r) {
        Networks n = r.networks();
        RankOptions o = r.options();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "- runs: %d (finished %d, diverged %d%s)%n", n.runs(), n.finished(),
                n.diverged(), n.other() == 0 ? "" : ", other status " + n.other()));
        sb.append(String.format(Locale.ROOT, "- networks ranked: %d (%s)%s%n", n.networks().size(),
                o.step() == null ? "each finished run at its last checkpoint" : "each finished run at step " + o.step(),
                n.missingStep() == 0 ? "" : "; " + n.missingStep() + " finished runs have no checkpoint at that step"));
        sb.append("- target: `").append(o.target()).append("`; hyperparameters that vary: ")
                .append(n.varying().isEmpty() ? "none" : "`" + String.join("`, `", n.varying()) + "`")
                .append(" (seeds are replicates, not an axis)\n");
        sb.append(String.format(Locale.ROOT, "- intervals: %.0f%% percentile bootstrap, %d resamples, seed %d; "
                + "granulated coefficient with seeds %s%n", 100 * o.level(), o.resamples(), o.seed(),
                o.seeds() == RankOptions.Seeds.PAIRED ? "paired (a seed is one of the fixed other values)"
                        : "averaged per configuration first"));
        if (n.networks().isEmpty()) {
            sb.append("- nothing to rank: no finished run").append(o.step() == null ? "" : " has a checkpoint at step "
                    + o.step()).append('\n');
        }
        if (!r.notMeasured().isEmpty()) {
            sb.append("- not measured in this sweep: `").append(String.join("`, `", r.notMeasured())).append("`\n");
        }
        return sb.toString();
    }

    /** The ranking table in Markdown, numbers to 3 decimals. */
    public static String markdownTable(MeasureRanking r) {
        List<String> axes = r.networks().varying();
        int pct = (int) Math.round(100 * r.options().level());
        StringBuilder sb = new StringBuilder("| measure | expected sign | networks | tau | " + pct
                + "% interval | verdict | Psi | " + pct + "% interval |");
        StringBuilder rule = new StringBuilder("|---|:-:|--:|--:|--:|---|--:|--:|");
        for (String a : axes) {
            sb.append(" psi ").append(a).append(" (groups) |");
            rule.append("--:|");
        }
        sb.append(" notes |\n").append(rule).append("---|\n");
        for (Row row : r.rows()) {
            Granulated.Result g = row.granulated();
            sb.append("| `").append(row.measure()).append("` | ").append(row.expectedSign() > 0 ? "+" : "-")
                    .append(" | ").append(row.networks()).append(" | ").append(num(row.tau())).append(" | ")
                    .append(interval(row.low(), row.high())).append(" | ").append(row.verdict().label()).append(" | ")
                    .append(num(g.psi())).append(" | ").append(interval(g.low(), g.high())).append(" |");
            for (Granulated.Axis a : g.axes()) {
                sb.append(' ').append(num(a.psi())).append(" (").append(a.defined()).append('/').append(a.groups())
                        .append(") |");
            }
            sb.append(' ').append(join(row.reason(), g.reason()).replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }

    /** What the columns mean. */
    static String legend(MeasureRanking r) {
        return """
                Sorted by |tau| (the strength of the relation, either sign), largest first; undefined last.
                **tau**: Kendall's tau-b between the measure and `%s` across the networks (one per finished run);
                the interval resamples networks with replacement. **expected sign**: the sign tau has if the measure
                predicts generalisation as proposed (sharpness and norms: +, margins: -, against a gap; flipped for
                test accuracy). **verdict**: *as expected* / *opposite* when the whole interval has that sign,
                *inconclusive* when it contains 0. **Psi**: the granulated coefficient of Jiang et al. (ICLR 2020),
                the mean over the varying hyperparameters of psi, itself the mean tau inside the groups of networks
                that differ in that hyperparameter only (groups with a defined tau / groups); its interval resamples
                groups.
                """.formatted(r.options().target());
    }

    static String num(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String interval(double lo, double hi) {
        return Double.isNaN(lo) ? "-" : "[" + num(lo) + ", " + num(hi) + "]";
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "; Psi: " + b;
    }

    /** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
    static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
