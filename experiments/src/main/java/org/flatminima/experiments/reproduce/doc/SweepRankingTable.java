package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;

/**
 * {@code sweep-ranking}: the measures of {@link #SELECTED} from a sweep's {@code rank.csv} (what {@code flatminima rank}
 * writes), in the file's order (by |tau|, largest first): a readable label, Kendall's tau, its bootstrap interval, the
 * granulated coefficient Psi (3 decimals each) and the verdict. The selection is the measures that carry the page's
 * argument: the margins, the per-point and whole-data traces, the top eigenvalue and the normalised margins; the file
 * has the rest. A selected measure missing from the file is an error, not a shorter table.
 */
final class SweepRankingTable implements TableRenderer {
    static final String CSV = "rank.csv";

    /** The measures shown, each with its label in the table. */
    static final Map<String, String> SELECTED = selected();

    private static Map<String, String> selected() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("one_minus_m2_mean", "1 - m² (mean)");
        m.put("output_margin_median", "output margin (median)");
        m.put("softmax_margin_median", "softmax margin (median)");
        m.put("pp_trace_q1", "per-point trace, first quartile");
        m.put("pp_trace_median", "per-point trace, median");
        m.put("affine_trace_expr_mean", "affine expression (mean)");
        m.put("input_margin_norm_median", "input margin / spectral-norm product (median)");
        m.put("spectral_norm_product", "spectral-norm product");
        m.put("trace", "trace of the mean loss");
        m.put("output_margin_norm_median", "output margin / spectral-norm product (median)");
        m.put("top_eigenvalue", "top eigenvalue");
        return java.util.Collections.unmodifiableMap(m);
    }

    @Override
    public String id() {
        return "sweep-ranking";
    }

    @Override
    public String description() {
        return "a sweep's ranking of the measures (rank.csv): tau, interval, Psi and verdict of the main measures";
    }

    @Override
    public List<String> files() {
        return List.of(CSV);
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        Path file = source.resolve(CSV);
        List<Map<String, String>> rows = ResultFiles.csv(source, CSV, "measure", "tau", "tau_low", "tau_high", "psi",
                "verdict");
        for (String m : SELECTED.keySet()) {
            if (ResultFiles.where(rows, "measure", m).isEmpty()) {
                throw new UserException(file + " has no row for measure '" + m + "': rank a sweep that measured it, "
                        + "or drop it from the table '" + id() + "'");
            }
        }
        StringBuilder b = new StringBuilder("| measure | tau | 95% interval | Psi | verdict |\n|---|--:|--:|--:|---|\n");
        for (Map<String, String> r : rows) {
            String label = SELECTED.get(r.get("measure"));
            if (label == null) {
                continue;
            }
            b.append("| ").append(label)
                    .append(" | ").append(NumberFormats.fixed(ResultFiles.number(r, "tau", file), 3))
                    .append(" | [").append(NumberFormats.fixed(ResultFiles.number(r, "tau_low", file), 3))
                    .append(", ").append(NumberFormats.fixed(ResultFiles.number(r, "tau_high", file), 3))
                    .append("] | ").append(NumberFormats.fixed(ResultFiles.number(r, "psi", file), 3))
                    .append(" | ").append(r.get("verdict")).append(" |\n");
        }
        return b.toString();
    }
}
