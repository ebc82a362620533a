package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code e2-authors-estimator}: the authors' per-point trace estimator (their PyHessian stopping rule in float32)
 * against the exact per-point traces, from {@code E2/authors_estimator.csv}: per data set its first and last step (in
 * file order), with the model and number of points it ran on, the training accuracy (3 decimals), the median number of
 * probes, the relative error |estimate - exact| / |exact| as median / third quartile / maximum over the points (3
 * significant digits) and the fraction of negative estimates (a percentage). Option {@code scale} (required, checked
 * against {@code done.json}).
 */
final class E2AuthorsEstimatorTable extends ExperimentTable {
    static final String CSV = "authors_estimator.csv";

    E2AuthorsEstimatorTable() {
        super("e2-authors-estimator", "E2: the authors' estimator's relative error and negative estimates at the "
                + "first and last step of each data set", CSV);
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        ResultFiles.experimentConfig(source, "E2", options.get("scale"));
        Path file = source.resolve(CSV);
        List<Map<String, String>> rows = ResultFiles.csv(source, CSV, "data", "model", "step", "train_acc", "points",
                "probes_median", "relerr_median", "relerr_q3", "relerr_max", "negative_fraction");
        Map<String, List<Map<String, String>>> byData = new LinkedHashMap<>();
        for (Map<String, String> r : rows) {
            byData.computeIfAbsent(r.get("data"), d -> new ArrayList<>()).add(r);
        }
        StringBuilder b = new StringBuilder("| data | model | points | step | train acc | probes (median) "
                + "| relative error: median / q3 / max | negative estimates |\n|---|---|--:|--:|--:|--:|--:|--:|\n");
        for (List<Map<String, String>> d : byData.values()) {
            row(b, d.get(0), file);
            if (d.size() > 1) {
                row(b, d.get(d.size() - 1), file);
            }
        }
        return b.toString();
    }

    private static void row(StringBuilder b, Map<String, String> r, Path file) {
        b.append("| ").append(Labels.dataSet(r.get("data")))
                .append(" | `").append(r.get("model")).append('`')
                .append(" | ").append(NumberFormats.compact(ResultFiles.number(r, "points", file)))
                .append(" | ").append(NumberFormats.compact(ResultFiles.number(r, "step", file)))
                .append(" | ").append(NumberFormats.fixed(ResultFiles.number(r, "train_acc", file), 3))
                .append(" | ").append(NumberFormats.compact(ResultFiles.number(r, "probes_median", file)))
                .append(" | ").append(NumberFormats.significant(ResultFiles.number(r, "relerr_median", file), 3))
                .append(" / ").append(NumberFormats.significant(ResultFiles.number(r, "relerr_q3", file), 3))
                .append(" / ").append(NumberFormats.significant(ResultFiles.number(r, "relerr_max", file), 3))
                .append(" | ").append(NumberFormats.percent(ResultFiles.number(r, "negative_fraction", file)))
                .append(" |\n");
    }
}
