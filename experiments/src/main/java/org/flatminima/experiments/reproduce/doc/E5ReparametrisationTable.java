package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code e5-reparametrisation}: E5's trace (exact-ggn) and top eigenvalue per alpha from {@code E5/reparametrisation.csv},
 * one column per alpha (as {@code 1/8} below 1), 5 significant digits. Options: {@code scale} (required, checked
 * against {@code done.json}) and {@code seed} (the {@code seed} column's value, default 0, for files written since E5
 * has seeds; files without the column are one seed's).
 */
final class E5ReparametrisationTable extends ExperimentTable {
    static final String CSV = "reparametrisation.csv";

    E5ReparametrisationTable() {
        super("e5-reparametrisation",
                "E5: trace and top eigenvalue of the same function reparametrised by alpha", CSV);
    }

    @Override
    public java.util.Set<String> optionalOptions() {
        return java.util.Set.of("seed");
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        ResultFiles.experimentConfig(source, "E5", options.get("scale"));
        Path file = source.resolve(CSV);
        List<Map<String, String>> rows = E4ScalingTable.seedRows(
                ResultFiles.csv(source, CSV, "alpha", "trace_exact_ggn", "top_eigenvalue"),
                options.getOrDefault("seed", "0"), file);
        StringBuilder head = new StringBuilder("| alpha |");
        StringBuilder rule = new StringBuilder("|---|");
        StringBuilder trace = new StringBuilder("| trace (exact-ggn) |");
        StringBuilder top = new StringBuilder("| top eigenvalue |");
        for (Map<String, String> r : rows) {
            head.append(' ').append(NumberFormats.fraction(ResultFiles.number(r, "alpha", file))).append(" |");
            rule.append("---|");
            trace.append(' ').append(NumberFormats.significant(ResultFiles.number(r, "trace_exact_ggn", file), 5))
                    .append(" |");
            top.append(' ').append(NumberFormats.significant(ResultFiles.number(r, "top_eigenvalue", file), 5))
                    .append(" |");
        }
        return head + "\n" + rule + "\n" + trace + "\n" + top + "\n";
    }
}
