package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flatminima.experiments.UserException;

/**
 * {@code e4-scaling}: E4's rows of one data set from {@code E4/scaling.csv}: alpha (as {@code 1/4} below 1), training
 * and test accuracy, predictions changed, median output and normalised margins, trace and top eigenvalue (5
 * significant digits; magnitudes below {@link NumberFormats#ROUND_OFF}, float64 round-off here, with 2). Options:
 * {@code scale} (required, checked against {@code done.json}), {@code data} (the {@code data} column's value,
 * default {@code embedded}) and {@code seed} (the {@code seed} column's value, default 0, for files written since E4
 * has seeds; files without the column are one seed's).
 */
final class E4ScalingTable extends ExperimentTable {
    static final String CSV = "scaling.csv";
    private static final String[] NUMBERS = {"train_acc", "test_acc", "predictions_changed", "output_margin_median",
        "normalised_margin_median", "trace_exact_ggn", "top_eigenvalue"};

    E4ScalingTable() {
        super("e4-scaling",
                "E4: accuracies, margins and curvature of one data set after scaling the last layer by alpha", CSV);
    }

    @Override
    public Set<String> optionalOptions() {
        return Set.of("data", "seed");
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        ResultFiles.experimentConfig(source, "E4", options.get("scale"));
        String data = options.getOrDefault("data", "embedded");
        Path file = source.resolve(CSV);
        List<Map<String, String>> rows = ResultFiles.csv(source, CSV, "data", "alpha", "train_acc", "test_acc",
                "predictions_changed", "output_margin_median", "normalised_margin_median", "trace_exact_ggn",
                "top_eigenvalue");
        List<Map<String, String>> mine = seedRows(ResultFiles.where(rows, "data", data), options.getOrDefault("seed", "0"),
                file);
        if (mine.isEmpty()) {
            throw new UserException(file + " has no rows of data set '" + data + "' (it has "
                    + rows.stream().map(r -> r.get("data")).distinct().toList() + "): correct the marker's data option");
        }
        StringBuilder b = new StringBuilder("| alpha | train acc | test acc | predictions changed | output margin "
                + "| normalised margin | trace | top eigenvalue |\n|---|---|---|---|---|---|---|---|\n");
        for (Map<String, String> r : mine) {
            b.append("| ").append(NumberFormats.fraction(ResultFiles.number(r, "alpha", file)));
            for (String c : NUMBERS) {
                b.append(" | ").append(NumberFormats.significant(ResultFiles.number(r, c, file), 5));
            }
            b.append(" |\n");
        }
        return b.toString();
    }

    /** The rows of seed {@code seed} when the file has a {@code seed} column, else all (a file from before seeds). */
    static List<Map<String, String>> seedRows(List<Map<String, String>> rows, String seed, Path file) {
        if (rows.isEmpty() || !rows.getFirst().containsKey("seed")) {
            if (!seed.equals("0")) {
                throw new UserException(file + " has no seed column (one seed, written before the experiment had "
                        + "seeds): drop the marker's seed option");
            }
            return rows;
        }
        List<Map<String, String>> mine = ResultFiles.where(rows, "seed", seed);
        if (mine.isEmpty()) {
            throw new UserException(file + " has no rows of seed " + seed + " (it has seeds "
                    + rows.stream().map(r -> r.get("seed")).distinct().toList() + "): correct the marker's seed option");
        }
        return mine;
    }
}
