package org.flatminima.experiments.sweep.rank;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.flatminima.experiments.reproduce.ReportHtml;
import org.flatminima.experiments.sweep.rank.MeasureRanking.Row;
import org.flatminima.experiments.sweep.rank.Networks.Network;

/**
 * The sweep's report: {@code report.md} and {@code report.html} (the same Markdown rendered by {@link ReportHtml}),
 * with the run counts, the ranking table ({@link RankFiles#markdownTable}) and scatter plots in {@code plots/}: each
 * measure against the target, one point per network, coloured by the first hyperparameter that varies; for the key
 * measures ({@link #KEY_MEASURES}) one more plot per further varying hyperparameter, at most {@link #MAX_EXTRA_AXES}
 * of them, so a sweep gives at most 17 + 4 x 3 plots. Every file is written atomically.
 */
public final class SweepReport {
    /** Measures plotted once per varying hyperparameter. */
    public static final List<String> KEY_MEASURES = List.of("trace", "top_eigenvalue", "output_margin_median",
            "input_margin_norm_median");
    /** Varying hyperparameters beyond the first that get plots of the key measures. */
    public static final int MAX_EXTRA_AXES = 3;

    private SweepReport() {
    }

    /**
     * Reads {@code dir/table.csv}, ranks its measures and writes {@code rank.csv}, {@code rank.md}, {@code report.md},
     * {@code report.html} and {@code plots/} into {@code dir}: what {@code flatminima rank DIR} and the end of a sweep
     * do. Returns the ranking.
     */
    public static MeasureRanking rankSweep(Path dir, RankOptions options) throws IOException {
        MeasureRanking r = MeasureRanking.of(TableCsv.read(dir.resolve("table.csv")), options);
        String name = sweepName(dir);
        RankFiles.write(r, dir, name);
        write(r, dir, name);
        return r;
    }

    /**
     * The sweep's name: the {@code name} of {@code dir/sweep.yaml} when it has one, else the directory's name. The
     * specification is read only for that key; one that cannot be read gives the directory's name (the sweep
     * command reports a bad specification, not the ranking).
     */
    public static String sweepName(Path dir) {
        Path spec = dir.resolve("sweep.yaml");
        if (Files.isRegularFile(spec)) {
            try {
                JsonNode n = new ObjectMapper(new YAMLFactory()).readTree(spec.toFile());
                if (n != null && n.hasNonNull("name") && n.get("name").isTextual()) {
                    return n.get("name").asText();
                }
            } catch (IOException e) {
                // the directory's name
            }
        }
        Path f = dir.toAbsolutePath().normalize().getFileName();
        return f == null ? dir.toString() : f.toString();
    }

    /** Writes the plots, {@code report.md} and {@code report.html} of ranking {@code r} into {@code dir}. */
    public static void write(MeasureRanking r, Path dir, String sweepName) throws IOException {
        String title = "Sweep " + sweepName + ": flatness and margins against generalisation";
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        md.append(RankFiles.counts(r)).append('\n');
        md.append("## Ranking\n\n").append(RankFiles.markdownTable(r)).append('\n').append(RankFiles.legend(r));
        md.append("\n## Each measure against `").append(r.options().target()).append("`\n\n");
        List<String> varying = r.networks().varying();
        String colour = varying.isEmpty() ? null : varying.get(0);
        md.append("One point per network").append(colour == null ? "" : ", coloured by `" + colour + "`")
                .append("; in the ranking's order.\n\n");
        for (Row row : r.rows()) {
            String file = "plots/" + row.measure() + "-vs-" + r.options().target() + ".png";
            plot(r, row, colour).save(dir.resolve(file));
            md.append("### `").append(row.measure()).append("`: tau ").append(RankFiles.num(row.tau()))
                    .append(", Psi ").append(RankFiles.num(row.granulated().psi())).append("\n\n")
                    .append("![").append(row.measure()).append(" against ").append(r.options().target()).append("](")
                    .append(file).append(")\n\n");
        }
        List<String> extra = varying.size() <= 1 ? List.of()
                : varying.subList(1, Math.min(varying.size(), 1 + MAX_EXTRA_AXES));
        List<Row> keys = r.rows().stream().filter(row -> KEY_MEASURES.contains(row.measure())).toList();
        if (!extra.isEmpty() && !keys.isEmpty()) {
            md.append("## Key measures by the other hyperparameters\n\n");
            for (Row row : keys) {
                for (String axis : extra) {
                    String file = "plots/" + row.measure() + "-vs-" + r.options().target() + "-by-" + axis + ".png";
                    plot(r, row, axis).save(dir.resolve(file));
                    md.append("![").append(row.measure()).append(" by ").append(axis).append("](").append(file)
                            .append(")\n\n");
                }
            }
        }
        String text = md.toString();
        RankFiles.writeText(dir.resolve("report.md"), text);
        RankFiles.writeText(dir.resolve("report.html"), ReportHtml.render(title, text));
    }

    /** The scatter of {@code row}'s measure against the target, one series per value of {@code colour}. */
    private static ScatterPlot plot(MeasureRanking r, Row row, String colour) {
        String target = r.options().target();
        ScatterPlot p = new ScatterPlot(String.format(Locale.ROOT, "%s: tau %s, Psi %s (%d networks)",
                row.measure(), RankFiles.num(row.tau()), RankFiles.num(row.granulated().psi()), row.networks()),
                row.measure(), target);
        Map<String, List<Network>> byValue = new TreeMap<>(VALUE_ORDER);
        for (Network n : r.networks().networks()) {
            String key = colour == null ? "all networks" : colour + " = " + n.hyperparameters().get(colour);
            byValue.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
        }
        for (Map.Entry<String, List<Network>> e : byValue.entrySet()) {
            for (Network n : e.getValue()) {
                Double x = n.value(row.measure());
                Double y = n.value(target);
                if (x != null && y != null) {
                    p.point(e.getKey(), x, y);
                }
            }
        }
        return p;
    }

    /** "axis = value" labels in numeric order of the values when both are numbers, else in text order. */
    static final Comparator<String> VALUE_ORDER = (a, b) -> {
        Double x = number(a.substring(a.indexOf('=') + 1).trim());
        Double y = number(b.substring(b.indexOf('=') + 1).trim());
        if (x != null && y != null && !x.equals(y)) {
            return Double.compare(x, y);
        }
        return a.compareTo(b);
    };

    private static Double number(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
