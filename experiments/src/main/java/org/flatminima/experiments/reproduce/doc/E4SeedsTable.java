package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.measures.Moments;

/**
 * {@code e4-seeds}: E4 across its seeds for one data set, from {@code E4/scaling.csv} (written since E4 has seeds):
 * per alpha, the test accuracy, the median normalised margin, the trace and the top eigenvalue as mean ± sample
 * standard deviation over the seeds (3 significant digits of the mean), and the most predictions any seed changed.
 * Options: {@code scale} (required) and {@code data} (default {@code embedded}).
 */
final class E4SeedsTable extends ExperimentTable {
    private static final String[] MEANS = {"test_acc", "normalised_margin_median", "trace_exact_ggn",
        "top_eigenvalue"};

    E4SeedsTable() {
        super("e4-seeds", "E4: test accuracy, normalised margin and curvature per alpha, mean ± sd over the seeds",
                E4ScalingTable.CSV);
    }

    @Override
    public Set<String> optionalOptions() {
        return Set.of("data");
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        ResultFiles.experimentConfig(source, "E4", options.get("scale"));
        String data = options.getOrDefault("data", "embedded");
        Path file = source.resolve(E4ScalingTable.CSV);
        List<Map<String, String>> rows = ResultFiles.where(ResultFiles.csv(source, E4ScalingTable.CSV, "data", "seed",
                "alpha", "test_acc", "predictions_changed", "normalised_margin_median", "trace_exact_ggn",
                "top_eigenvalue"), "data", data);
        if (rows.isEmpty()) {
            throw new UserException(file + " has no rows of data set '" + data + "': correct the marker's data option");
        }
        Map<String, List<Map<String, String>>> byAlpha = new LinkedHashMap<>();
        for (Map<String, String> r : rows) {
            byAlpha.computeIfAbsent(r.get("alpha"), a -> new ArrayList<>()).add(r);
        }
        long seeds = rows.stream().map(r -> r.get("seed")).distinct().count();
        StringBuilder b = new StringBuilder("| alpha | seeds | test acc | predictions changed (most) | normalised "
                + "margin | trace | top eigenvalue |\n|---|--:|---|--:|---|---|---|\n");
        for (Map.Entry<String, List<Map<String, String>>> e : byAlpha.entrySet()) {
            List<Map<String, String>> at = e.getValue();
            if (at.size() != seeds) {
                throw new UserException(file + ": alpha " + e.getKey() + " has " + at.size() + " rows of data set '"
                        + data + "', not one per seed (" + seeds + ")");
            }
            b.append("| ").append(NumberFormats.fraction(ResultFiles.number(at.getFirst(), "alpha", file)))
                    .append(" | ").append(at.size());
            b.append(" | ").append(cell(at, "test_acc", file));
            double most = 0;
            for (Map<String, String> r : at) {
                most = Math.max(most, ResultFiles.number(r, "predictions_changed", file));
            }
            b.append(" | ").append(NumberFormats.significant(most, 5));
            for (String c : List.of(MEANS).subList(1, MEANS.length)) {
                b.append(" | ").append(cell(at, c, file));
            }
            b.append(" |\n");
        }
        return b.toString();
    }

    private static String cell(List<Map<String, String>> at, String column, Path file) {
        double[] v = at.stream().mapToDouble(r -> ResultFiles.number(r, column, file)).toArray();
        return NumberFormats.meanSdSignificant(Moments.mean(v), Moments.sd(v), 3);
    }
}
