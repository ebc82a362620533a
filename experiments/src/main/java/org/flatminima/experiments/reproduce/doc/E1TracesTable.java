package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code e1-traces}: E1's checkpoints from {@code E1/traces.csv}, with the numbers of points from {@code E1/done.json}
 * (its configuration's {@code trainPoints} and {@code hvpPoints}). Columns: step; training accuracy (4 significant
 * digits); the closed-form trace of all points (6 significant digits); the relative differences of exact-ggn (all
 * points) and exact-hvp (the subset) from the closed form, whole-data / worst point (2 significant digits, exact 0 as
 * {@code 0}). Options: {@code scale} (required): the scale the marker states, checked against {@code done.json};
 * {@code seed} (the {@code seed} column's value, default 0, for files written since E1 has seeds; files without the
 * column are one seed's).
 */
final class E1TracesTable extends ExperimentTable {
    static final String CSV = "traces.csv";

    E1TracesTable() {
        super("e1-traces",
                "E1: closed-form trace and its relative differences from exact-ggn and exact-hvp per checkpoint", CSV);
    }

    @Override
    public java.util.Set<String> optionalOptions() {
        return java.util.Set.of("seed");
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        Map<String, Object> config = ResultFiles.experimentConfig(source, "E1", options.get("scale"));
        Path marker = source.resolve("done.json");
        long points = ResultFiles.integer(config, "trainPoints", marker);
        long hvp = ResultFiles.integer(config, "hvpPoints", marker);
        Path file = source.resolve(CSV);
        List<Map<String, String>> rows = E4ScalingTable.seedRows(ResultFiles.csv(source, CSV, "step", "train_acc",
                "trace_closed_form", "reldiff_whole_ggn", "reldiff_point_ggn_max", "reldiff_whole_hvp",
                "reldiff_point_hvp_max"), options.getOrDefault("seed", "0"), file);
        StringBuilder b = new StringBuilder();
        b.append("| step | train acc | trace (closed form, ").append(NumberFormats.count(points))
                .append(" pts) | rel. diff exact-ggn, whole / worst point | rel. diff exact-hvp (")
                .append(NumberFormats.count(hvp)).append(" pts), whole / worst point |\n");
        b.append("|---|---|---|---|---|\n");
        for (Map<String, String> r : rows) {
            b.append("| ").append(NumberFormats.compact(ResultFiles.number(r, "step", file)))
                    .append(" | ").append(NumberFormats.significant(ResultFiles.number(r, "train_acc", file), 4))
                    .append(" | ").append(NumberFormats.significant(ResultFiles.number(r, "trace_closed_form", file), 6))
                    .append(" | ").append(pair(r, "reldiff_whole_ggn", "reldiff_point_ggn_max", file))
                    .append(" | ").append(pair(r, "reldiff_whole_hvp", "reldiff_point_hvp_max", file))
                    .append(" |\n");
        }
        return b.toString();
    }

    static String pair(Map<String, String> r, String whole, String point, Path file) {
        return NumberFormats.scientific(ResultFiles.number(r, whole, file), 2) + " / "
                + NumberFormats.scientific(ResultFiles.number(r, point, file), 2);
    }
}
